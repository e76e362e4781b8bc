"""SMS verification codes: a provider interface, rate limits, expiry and attempt limits in Redis."""
import datetime
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.request

from flask import current_app

from app import ratelimit
from app.errors import ApiError
from app.redis_client import get_redis

log = logging.getLogger(__name__)
OUTBOX_KEY = "sms:outbox"
PURPOSES = {"reset_password": "找回密码", "login": "验证登录", "first_login": "首次登录并设置密码",
            "register": "注册账号"}


class OutboxProvider:
    """Development provider: keeps messages in a Redis outbox a developer can read, and logs them."""

    def send(self, mobile, text):
        entry = json.dumps({"mobile": mobile, "text": text, "at": int(time.time())}, ensure_ascii=False)
        pipe = get_redis().pipeline()
        pipe.lpush(OUTBOX_KEY, entry)
        pipe.ltrim(OUTBOX_KEY, 0, 199)
        pipe.execute()
        log.info("SMS outbox: to %s: %s", mobile, text)


class HttpGatewayProvider:
    """Posts {mobile, text, ts} as JSON with an HMAC-SHA256 signature header to an SMS gateway."""

    def __init__(self, url, secret):
        self.url, self.secret = url, secret.encode()

    def send(self, mobile, text):
        body = json.dumps({"mobile": mobile, "text": text, "ts": int(time.time())}).encode()
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Signature": signature})
        with urllib.request.urlopen(req, timeout=5) as resp:
            if resp.status >= 300:
                raise RuntimeError(f"SMS gateway answered {resp.status}")


def provider():
    cfg = current_app.config
    if cfg["SMS_PROVIDER"] == "http":
        return HttpGatewayProvider(cfg["SMS_GATEWAY_URL"], cfg["SMS_GATEWAY_SECRET"])
    return OutboxProvider()


def deliver_sms(mobile, text):
    """Job: hand one message to the provider (retried by the queue on failure)."""
    provider().send(mobile, text)


def read_outbox(limit=20):
    return [json.loads(x) for x in get_redis().lrange(OUTBOX_KEY, 0, limit - 1)]


def _code_key(purpose, mobile):
    return f"sms:code:{purpose}:{ratelimit.opaque(mobile)}"


def _digest(code):
    return hmac.new(current_app.config["SECRET_KEY"].encode(), code.encode(), hashlib.sha256).hexdigest()


def check_send_limits(mobile, ip, purpose=""):
    """Raise 429 when this mobile or this network asks for codes too often (one a minute per purpose)."""
    cfg = current_app.config
    who = ratelimit.opaque(mobile)
    count, left = ratelimit.hit(f"sms:cool:{purpose}:{who}", cfg["SMS_RESEND_SECONDS"])
    if count > 1:
        raise ApiError(f"验证码已发送，请 {left} 秒后再重新获取", status=429, data={"retry_after": left})
    day = datetime.date.today().isoformat()
    count, _ = ratelimit.hit(f"sms:day:{who}:{day}", 24 * 3600)
    if count > cfg["SMS_DAILY_LIMIT"]:
        raise ApiError("该手机号今日获取验证码次数已达上限，请明天再试或联系客服", status=429)
    count, left = ratelimit.hit(f"sms:ip:{ratelimit.opaque(ip)}", 3600)
    if count > cfg["SMS_IP_HOURLY_LIMIT"]:
        raise ApiError(f"操作过于频繁，请 {ratelimit.minutes(left)} 分钟后再试", status=429)


def issue_code(purpose, mobile):
    """Make a 6-digit code for this mobile and purpose, store its digest, queue the message."""
    from app.jobs import enqueue

    cfg = current_app.config
    code = f"{secrets.randbelow(10 ** 6):06d}"
    get_redis().set(_code_key(purpose, mobile), json.dumps({"digest": _digest(code), "attempts": 0}),
                    ex=cfg["SMS_CODE_TTL"])
    minutes = cfg["SMS_CODE_TTL"] // 60
    text = f"【继续教育】您正在{PURPOSES[purpose]}，验证码 {code}，{minutes} 分钟内有效。如非本人操作请忽略。"
    enqueue(deliver_sms, mobile, text)


def notify(mobile, text):
    """Queue a message that carries no code (a notice to the owner of the number)."""
    from app.jobs import enqueue

    enqueue(deliver_sms, mobile, text)


def verify_code(purpose, mobile, code):
    """Consume a correct code; wrong codes count toward a limit after which the code is void."""
    cfg = current_app.config
    key = _code_key(purpose, mobile)
    r = get_redis()
    raw = r.get(key)
    if raw is None:
        raise ApiError("验证码已过期或未获取，请重新获取", status=422, data={"fields": {"code": "验证码已过期"}})
    entry = json.loads(raw)
    if hmac.compare_digest(entry["digest"], _digest(str(code or "").strip())):
        if r.delete(key) == 0:  # a concurrent request used it first
            raise ApiError("验证码已使用，请重新获取", status=422, data={"fields": {"code": "验证码已使用"}})
        return True
    entry["attempts"] += 1
    if entry["attempts"] >= cfg["SMS_MAX_ATTEMPTS"]:
        r.delete(key)
        raise ApiError("验证码错误次数过多，请重新获取", status=422, data={"fields": {"code": "请重新获取验证码"}})
    r.set(key, json.dumps(entry), keepttl=True)
    raise ApiError("验证码不正确", status=422, data={"fields": {"code": "验证码不正确"}})
