"""Fixed-window counters in Redis: one round trip per hit, shared by every web worker."""
import hashlib
import hmac

from flask import current_app

from app.redis_client import get_redis


def hit(key, window):
    """Count one event in the window that starts with the first one; returns (count, seconds_left)."""
    pipe = get_redis().pipeline()
    pipe.set(key, 0, ex=window, nx=True)
    pipe.incr(key)
    pipe.ttl(key)
    _, count, ttl = pipe.execute()
    return count, max(ttl, 0)


def peek(key):
    """Current count and seconds left, without counting."""
    pipe = get_redis().pipeline()
    pipe.get(key)
    pipe.ttl(key)
    value, ttl = pipe.execute()
    return int(value or 0), max(ttl or 0, 0)


def clear(key):
    get_redis().delete(key)


def opaque(value):
    """A key fragment that never puts personal data (ID numbers, mobiles) into Redis in clear."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, str(value).encode(), hashlib.sha256).hexdigest()[:32]


def minutes(seconds):
    return max(1, (seconds + 59) // 60)
