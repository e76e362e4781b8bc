"""Sandbox: api.weixin.qq.com (official-account and mini-program APIs) and open.weixin.qq.com (web OAuth).

Close enough to WeChat for the real wechatpy SDK: errors are HTTP 200 with errcode/errmsg, access
tokens live 7200 s (a new one does not end the old ones), OAuth codes and js_codes are single use
and live 5 minutes. The helpers here (apps, users, tokens, codes, flags) are shared with control.py and the routes of
mp_oauth.py (web OAuth), mp_menu.py (JS-SDK ticket, user info, menu) and mp_messages.py (messages).
"""
import base64
import hashlib
import json
import secrets
from functools import wraps

from flask import Blueprint, current_app, jsonify, request, url_for

from app.wechat.sandbox import state
from app.wechat.sandbox.state import wx_error

bp = Blueprint("sandbox_mp", __name__)

TOKEN_TTL = 7200
CODE_TTL = 300
USED_CODE_TTL = 3600  # a used code answers 40163 (not 40029) this long
REFRESH_TTL = 30 * 24 * 3600
TOMBSTONE_TTL = TOKEN_TTL + 24 * 3600  # an ended token answers 42001 (not 40001) this long
UID_COOKIE = "wxsb_uid"
SCOPES = ("snsapi_base", "snsapi_userinfo")

# The template ids the sandbox accepts, for official-account template messages and mini-program
# subscribe messages alike. The platform sends with these same ids (name -> id).
TEMPLATE_IDS = {
    "purchase_paid": "TPLmjhLWn7qZzl-mCHMtA1LnVZSMa9o_uIW5SSLeoke",
    "seat_granted": "TPLvY00fbDRns-RNYZp8BLgZl8eJNo-emz077ZrWT-g",
    "course_completed": "TPL-Oj18luHc85ASr4md2KSJKNFeVsw9rvyCUKk9B9H",
    "plan_completed": "TPLQPbV3WpKGGWyaJZ8PQQlw5aBg_8yDNjTc6WyeCdk",
    "certificate_ready": "TPLlVLPAd5gPpzR2MsFRoxnumW0V9FysbOBs8cdFDxi",
    "backfill_decided": "TPLbF7kQ2xWm9RzT4nY6pHc3vJd8sLgA1eU5oKiN0Bq",
    "invoice_issued": "TPLfP9aQk3Xv7cWm2Rz8YtLb5nDs1Hj6Ge4Ku0Ni-Ao",
}
TEMPLATE_NAMES = {template_id: name for name, template_id in TEMPLATE_IDS.items()}

TOKEN_ERRORS = {41001: "access_token missing",
                40001: "invalid credential, access_token is invalid or not latest",
                42001: "access_token expired"}
CODE_ERRORS = {40029: "invalid code", 40163: "code been used"}
REFUSED = (43101, "user refuse to accept the msg")


# ---- apps and users ------------------------------------------------------------------------------

def app_name(app):
    name = current_app.config.get("PLATFORM_NAME") or "继续教育平台"
    return name if app.kind == "mp" else name + "（小程序）"


def gh_id(app):
    """The official account's original id (ToUserName of pushes)."""
    return "gh_" + hashlib.sha1(app.appid.encode()).hexdigest()[:12]


def new_user(nickname=None):
    nickname = (nickname or "").strip() or f"微信用户{secrets.randbelow(10000):04d}"
    return state.create_user(nickname)


def avatar_url(user):
    return user.get("headimgurl") or url_for("sandbox_mp.avatar", uid=user["uid"], _external=True)


def set_flag(flag, appid, uid, on):
    """Per-app user flags: "blocked" (refuses messages) and "unsubscribed" (unfollowed)."""
    redis_key = state.key(flag, appid)
    state.r().sadd(redis_key, uid) if on else state.r().srem(redis_key, uid)


def has_flag(flag, appid, uid):
    return bool(state.r().sismember(state.key(flag, appid), uid))


def user_view(user):
    mp_app = state.app_of_kind("mp")
    view = {"uid": user["uid"], "nickname": user["nickname"], "unionid": user["unionid"],
            "headimgurl": avatar_url(user),
            "openids": {appid: state.openid_for(appid, user["uid"]) for appid in state.apps()}}
    if mp_app:
        view["subscribed"] = not has_flag("unsubscribed", mp_app.appid, user["uid"])
        view["blocked"] = has_flag("blocked", mp_app.appid, user["uid"])
    return view


# ---- tokens --------------------------------------------------------------------------------------

def issue_token(kind, appid, **payload):
    """A random token ("client" credential or "oauth"), valid TOKEN_TTL; older ones stay valid."""
    token = secrets.token_urlsafe(102)
    state.put(("token", kind, token), {"appid": appid, **payload}, ttl=TOKEN_TTL)
    state.r().set(state.key("token_seen", kind, token), appid, ex=TOMBSTONE_TTL)
    app_tokens = state.key("tokens", kind, appid)
    state.r().sadd(app_tokens, token)
    state.r().expire(app_tokens, TOMBSTONE_TTL)
    return token


def check_token(kind, token):
    """(payload, 0) for a live token, else (None, 41001 missing / 42001 expired / 40001 unknown)."""
    if not token:
        return None, 41001
    payload = state.get(("token", kind, token))
    if payload is not None:
        return payload, 0
    if state.r().exists(state.key("token_seen", kind, token)):
        return None, 42001
    return None, 40001


def expire_tokens(appid, kind="client"):
    """End every token of this app now: they answer 42001 until the caller fetches a new one."""
    app_tokens = state.key("tokens", kind, appid)
    tokens = state.r().smembers(app_tokens)
    state.r().delete(app_tokens)
    return sum(state.r().delete(state.key("token", kind, token)) for token in tokens)


def fetch_count(appid, what="token"):
    """How many access tokens ("token") or JS-SDK tickets ("ticket") this app has fetched."""
    return int(state.r().get(state.key(what + "_fetches", appid)) or 0)


def requires_token(*kinds):
    """cgi-bin APIs: check ?access_token= and pass the app it belongs to; 48001 for other app kinds."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            payload, errcode = check_token("client", request.args.get("access_token"))
            if errcode:
                return wx_error(errcode, TOKEN_ERRORS[errcode])
            app = state.app_by_id(payload["appid"])
            if app is None or (kinds and app.kind not in kinds):
                return wx_error(48001, "api unauthorized")
            return view(app, *args, **kwargs)
        return wrapper
    return decorate


def authenticate_app():
    """appid + secret from the query: (app, None) or (None, error response)."""
    appid, secret = request.args.get("appid"), request.args.get("secret")
    if not appid:
        return None, wx_error(41002, "appid missing")
    if not secret:
        return None, wx_error(41004, "appsecret missing")
    app = state.app_by_id(appid)
    if app is None:
        return None, wx_error(40013, "invalid appid")
    if not secrets.compare_digest(secret.encode(), app.secret.encode()):
        return None, wx_error(40125, "invalid appsecret")
    return app, None


@bp.get("/cgi-bin/token")
def client_token():
    if request.args.get("grant_type") != "client_credential":
        return wx_error(40002, "invalid grant_type")
    app, error = authenticate_app()
    if error:
        return error
    token = issue_token("client", app.appid)
    state.r().incr(state.key("token_fetches", app.appid))
    return jsonify({"access_token": token, "expires_in": TOKEN_TTL})


# ---- single-use codes (OAuth codes, js_codes) ----------------------------------------------------

def mint_code(kind, appid, uid, **extra):
    code = secrets.token_hex(16)
    state.put((kind, code), {"appid": appid, "uid": uid, **extra}, ttl=CODE_TTL)
    return code


def redeem_code(kind, code, appid):
    """Use a code once: (grant, 0), or (None, 40029 unknown/expired/other app, 40163 already used)."""
    if state.r().exists(state.key(kind, "used", code)):
        return None, 40163
    grant = state.get((kind, code))
    if grant is None or grant["appid"] != appid:
        return None, 40029
    if state.take((kind, code)) is None:
        return None, 40163
    state.put((kind, "used", code), 1, ttl=USED_CODE_TTL)
    return grant, 0


def redeem_request_code(kind, param):
    """An authorization_code exchange (app credentials, grant_type, the code in `param`): (app, grant, None),
    or (None, None, WeChat's error answer)."""
    app, error = authenticate_app()
    if error:
        return None, None, error
    if request.args.get("grant_type") != "authorization_code":
        return None, None, wx_error(40002, "invalid grant_type")
    if not request.args.get(param):
        return None, None, wx_error(41008, "missing code")
    grant, errcode = redeem_code(kind, request.args[param], app.appid)
    if errcode:
        return None, None, wx_error(errcode, CODE_ERRORS[errcode])
    return app, grant, None


def mint_oauth_code(app, user, scope):
    return mint_code("oauth_code", app.appid, user["uid"], scope=scope)


def mint_js_code(app, user):
    return mint_code("js_code", app.appid, user["uid"])


def recipient(app, openid):
    user = state.user_by_openid(app.appid, openid) if openid else None
    return (user, None) if user else (None, wx_error(40003, "invalid openid"))


def json_body():
    """wechatpy posts JSON bytes without a Content-Type: parse the raw body. None if not an object."""
    try:
        body = json.loads(request.get_data() or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


# ---- mini-program login --------------------------------------------------------------------------

@bp.get("/sns/jscode2session")
def jscode2session():
    """wx.login() code -> openid/session_key/unionid (wechatpy also sends access_token: ignored)."""
    app, grant, error = redeem_request_code("js_code", "js_code")
    if error:
        return error
    user = state.user(grant["uid"])
    openid = state.openid_for(app.appid, user["uid"])
    session_key = base64.b64encode(secrets.token_bytes(16)).decode()
    state.put(("session_key", app.appid, openid), session_key, ttl=REFRESH_TTL)
    return jsonify({"openid": openid, "session_key": session_key, "unionid": user["unionid"]})
