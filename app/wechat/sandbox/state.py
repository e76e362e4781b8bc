"""Sandbox state in Redis, the apps it serves, demo WeChat users, WeChat-shaped errors, failure injection."""
import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, jsonify, request

from app.wechat import keys

PREFIX = "wxsb:"


@dataclass
class App:
    appid: str
    secret: str
    kind: str  # "mp" (official account) or "mini" (mini-program)
    token: str = ""
    aes_key: str = ""
    callback_url: str = ""  # where official-account pushes go (the platform's message endpoint)


# ---- storage -------------------------------------------------------------------------------------

def r():
    return current_app.extensions["sandbox_redis"]


def key(*parts):
    return PREFIX + ":".join(str(p) for p in parts)


def put(name, value, ttl=None):
    r().set(key(*name) if isinstance(name, tuple) else key(name), json.dumps(value, ensure_ascii=False), ex=ttl)


def get(name):
    raw = r().get(key(*name) if isinstance(name, tuple) else key(name))
    return None if raw is None else json.loads(raw)


def take(name):
    """Read and delete atomically (single-use codes)."""
    raw = r().getdel(key(*name) if isinstance(name, tuple) else key(name))
    return None if raw is None else json.loads(raw)


def record(kind, entry):
    """Append an entry to a log the control endpoints expose (messages sent, notifications...)."""
    entry = {**entry, "at": time.time()}
    r().rpush(key("log", kind), json.dumps(entry, ensure_ascii=False))
    return entry


def read_log(kind):
    return [json.loads(x) for x in r().lrange(key("log", kind), 0, -1)]


# ---- apps and keys -------------------------------------------------------------------------------

def init_app(app):
    cfg = app.config
    base = cfg["PUBLIC_BASE_URL"].rstrip("/")
    apps = [App(cfg["WECHAT_MP_APPID"], cfg["WECHAT_MP_SECRET"], "mp", cfg["WECHAT_MP_TOKEN"],
                cfg["WECHAT_MP_AES_KEY"], base + "/wechat/mp/callback"),
            App(cfg["WECHAT_MINI_APPID"], cfg["WECHAT_MINI_SECRET"], "mini")]
    app.extensions["sandbox_apps"] = {a.appid: a for a in apps if a.appid}
    sandbox_dir = Path(cfg["WECHAT_SANDBOX_DIR"])
    # The WeChat Pay platform key, made on first start; its public key is what merchants configure.
    platform_key = keys.load_or_create_private_key(sandbox_dir / "platform_key.pem")
    keys.write_public_key(platform_key, cfg["WECHATPAY_PUBLIC_KEY_PATH"] or sandbox_dir / "pub_key.pem")
    app.extensions["sandbox_platform_key"] = platform_key
    # The merchant's public key, to check the signatures of merchant requests.
    merchant_key = keys.load_or_create_private_key(cfg["WECHATPAY_PRIVATE_KEY_PATH"])
    app.extensions["sandbox_merchant_public_key"] = merchant_key.public_key()
    app.before_request(_injected_failure)


def apps():
    return current_app.extensions["sandbox_apps"]


def app_by_id(appid):
    return apps().get(appid)


def app_of_kind(kind):
    return next((a for a in apps().values() if a.kind == kind), None)


# ---- demo WeChat users ---------------------------------------------------------------------------

def _digest(*parts):
    secret = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(secret, "|".join(parts).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def create_user(nickname):
    """A demo WeChat user; its openid differs per app, its unionid is shared (one open platform)."""
    uid = secrets.token_hex(6)
    user = {"uid": uid, "nickname": nickname[:32] or "微信用户", "unionid": "oU" + _digest("union", uid)[:26],
            "headimgurl": "", "created_at": time.time()}
    put(("user", uid), user)
    r().rpush(key("users"), uid)
    for app in apps().values():
        r().set(key("openid", app.appid, openid_for(app.appid, uid)), uid)
    return user


def users():
    return [u for u in (get(("user", uid)) for uid in r().lrange(key("users"), 0, -1)) if u]


def user(uid):
    return get(("user", uid))


def openid_for(appid, uid):
    return "o" + _digest("openid", appid, uid)[:27]


def user_by_openid(appid, openid):
    uid = r().get(key("openid", appid, openid))
    return user(uid) if uid else None


# ---- WeChat-shaped answers -----------------------------------------------------------------------

def rid():
    return "-".join(secrets.token_hex(4) for _ in range(3))


def wx_error(errcode, errmsg):
    """api.weixin.qq.com errors: always HTTP 200 with errcode/errmsg (and a request id)."""
    return jsonify({"errcode": errcode, "errmsg": f"{errmsg} rid: {rid()}"})


def wx_ok(**data):
    return jsonify({"errcode": 0, "errmsg": "ok", **data})


# ---- failure injection ---------------------------------------------------------------------------

def inject_failure(path_prefix, times=1, errcode=None, http_status=None, errmsg="system error"):
    """Make the next `times` calls whose path starts with `path_prefix` fail."""
    r().rpush(key("failures"), json.dumps({"prefix": path_prefix, "times": times, "errcode": errcode,
                                           "http_status": http_status, "errmsg": errmsg}))


def _injected_failure():
    if request.path.startswith("/_sandbox"):
        return None
    raw_list = r().lrange(key("failures"), 0, -1)
    for index, raw in enumerate(raw_list):
        rule = json.loads(raw)
        if request.path.startswith(rule["prefix"]) and rule["times"] > 0:
            rule["times"] -= 1
            if rule["times"]:
                r().lset(key("failures"), index, json.dumps(rule))
            else:
                r().lset(key("failures"), index, "__gone__")
                r().lrem(key("failures"), 1, "__gone__")
            record("failures", {"path": request.path, **rule})
            if rule["http_status"]:
                return jsonify({"code": "SYSTEM_ERROR", "message": rule["errmsg"]}), rule["http_status"]
            return wx_error(rule["errcode"] if rule["errcode"] is not None else -1, rule["errmsg"])
    return None
