"""Login throttling after OWASP's authentication advice: slow guessing down without locking people out.

- Failures are counted per account and per network address. The first LOGIN_MAX_FAILURES (per
  account) or LOGIN_IP_MAX_FAILURES (per address) cost nothing; after that each failure makes the next
  attempt wait, doubling from LOGIN_BASE_DELAY up to LOGIN_MAX_DELAY. Counts fade after LOGIN_FAIL_WINDOW.
- A correct password from a device that logged in to this account before (a random device token in a
  long-lived cookie, remembered per account in Redis) is let through whatever the counters say: a
  stranger who knows a mobile number cannot keep its owner out. So is a correct password sent with an
  SMS code from the account's mobile (`/auth/login-code`). A known device has its own failure counter,
  so a copied device cookie does not lift the limits for guessing.
- Every refusal says how long to wait and what else to do (SMS code, reset).
"""
import hashlib
import secrets

from flask import after_this_request, current_app, request

from app.errors import ApiError
from app.ratelimit import hit, opaque
from app.redis_client import get_redis

DEVICE_COOKIE = "ce_dev"
DEVICE_DAYS = 180


def _device_digest():
    token = request.cookies.get(DEVICE_COOKIE, "")
    return hashlib.sha256(token.encode()).hexdigest() if 20 <= len(token) <= 100 else None


def known_device(user_id):
    """Whether this browser logged in to this account before."""
    digest = _device_digest()
    return bool(digest) and bool(get_redis().sismember(f"login:dev:{user_id}", digest))


def remember_device(user_id):
    """After a successful login: this browser becomes a known device of the account."""
    digest = _device_digest()
    token = None
    if digest is None:
        token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(token.encode()).hexdigest()
    r, key = get_redis(), f"login:dev:{user_id}"
    r.sadd(key, digest)
    r.expire(key, DEVICE_DAYS * 86400)
    if token:
        @after_this_request
        def _set_cookie(response):
            response.set_cookie(DEVICE_COOKIE, token, max_age=DEVICE_DAYS * 86400, path="/", httponly=True,
                                secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")
            return response


def _subjects(account, ip, trusted_device):
    """The counters this attempt is judged by: (name, redis key part, free failures)."""
    cfg = current_app.config
    if trusted_device:
        return [("device", f"dev:{_device_digest()}", cfg["LOGIN_MAX_FAILURES"])]
    return [("account", f"acct:{account}", cfg["LOGIN_MAX_FAILURES"]),
            ("ip", f"ip:{opaque(ip)}", cfg["LOGIN_IP_MAX_FAILURES"])]


def check(account, ip, trusted_device=False, sms_verified=False):
    """Refuse an attempt that comes too soon after repeated failures (never when an SMS code was given)."""
    if sms_verified:
        return
    r = get_redis()
    for name, part, _ in _subjects(account, ip, trusted_device):
        wait = r.ttl(f"login:wait:{part}")
        if wait and wait > 0:
            raise _refusal(name, wait)


def failed(account, ip, trusted_device=False):
    """Count a failure; returns how many free attempts the account has left (0 when waits apply)."""
    cfg = current_app.config
    r = get_redis()
    left = None
    for name, part, free in _subjects(account, ip, trusted_device):
        count, _ = hit(f"login:fail:{part}", cfg["LOGIN_FAIL_WINDOW"])
        if count >= free:
            wait = min(cfg["LOGIN_MAX_DELAY"], cfg["LOGIN_BASE_DELAY"] * 2 ** (count - free))
            r.set(f"login:wait:{part}", 1, ex=wait)
        if name in ("account", "device"):
            left = max(0, free - count)
    return left


def succeeded(account, ip):
    """A correct login clears the account's counters (the address's fade on their own)."""
    r = get_redis()
    r.delete(f"login:fail:acct:{account}", f"login:wait:acct:{account}")
    digest = _device_digest()
    if digest:
        r.delete(f"login:fail:dev:{digest}", f"login:wait:dev:{digest}")


def _refusal(name, wait):
    when = f"{wait} 秒" if wait < 120 else f"{(wait + 59) // 60} 分钟"
    if name == "ip":
        message = f"该网络登录失败次数较多，请 {when}后再试；也可获取短信验证码登录，或通过“忘记密码”重置"
        return ApiError(message, code="rate_limited", status=429,
                        data={"retry_after": wait, "can_sms": True, "can_reset": True})
    message = (f"连续登录失败次数较多，为保护账号安全，请 {when}后再试；"
               "也可获取短信验证码登录，或通过“忘记密码”重置")
    return ApiError(message, code="locked", status=423, data={"retry_after": wait, "can_sms": True, "can_reset": True})


def account_state(account):
    """(failures counted, seconds the account's next attempt must still wait) — for the staff console."""
    r = get_redis()
    failures = int(r.get(f"login:fail:acct:{account}") or 0)
    wait = r.ttl(f"login:wait:acct:{account}")
    return failures, max(wait or 0, 0)


def unlock(account):
    """Staff: forget the account's failures and its wait (the address's counters fade on their own)."""
    get_redis().delete(f"login:fail:acct:{account}", f"login:wait:acct:{account}")
