"""Sandbox: api.weixin.qq.com (official-account and mini-program APIs) and open.weixin.qq.com (web OAuth).

Close enough to WeChat for the real wechatpy SDK: errors are HTTP 200 with errcode/errmsg, access
tokens live 7200 s (a new one does not end the old ones), OAuth codes and js_codes are single use
and live 5 minutes. The helpers near the top (tokens, codes, user flags) are shared with control.py.
"""
import base64
import hashlib
import json
import re
import secrets
from collections import namedtuple
from functools import wraps
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from app.wechat.sandbox import state
from app.wechat.sandbox.state import wx_error, wx_ok

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


def _authenticate_app():
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
    app, error = _authenticate_app()
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


def mint_oauth_code(app, user, scope):
    return mint_code("oauth_code", app.appid, user["uid"], scope=scope)


def mint_js_code(app, user):
    return mint_code("js_code", app.appid, user["uid"])


# ---- web OAuth: the consent page (open.weixin.qq.com) --------------------------------------------

AuthRequest = namedtuple("AuthRequest", "app redirect_uri scope state")


@bp.route("/connect/oauth2/authorize", methods=["GET", "POST"])
def authorize():
    """WeChat's authorization page; the sandbox also asks which demo WeChat user is on the phone."""
    auth, problem = _auth_request()
    if problem:
        return render_template("sandbox/oauth_error.html", code=problem[0], message=problem[1]), 400
    if request.method == "POST":
        return _consent_answer(auth)
    user = _cookie_user()
    if auth.scope == "snsapi_base" and user:
        return redirect(_with_query(auth.redirect_uri, code=mint_oauth_code(auth.app, user, auth.scope),
                                    state=auth.state))
    return render_template("sandbox/oauth_authorize.html", app_name=app_name(auth.app), scope=auth.scope,
                           users=[user_view(u) for u in reversed(state.users())][:20],
                           selected=user["uid"] if user else None, action=request.full_path)


def _auth_request():
    """Validate the authorize query: (AuthRequest, None) or (None, (errcode, message))."""
    args = request.args
    if not args.get("appid"):
        return None, (10012, "appid 不能为空")
    app = state.app_by_id(args["appid"])
    if app is None:
        return None, (40013, "appid 无效：沙箱中没有这个公众号")
    if app.kind != "mp":
        return None, (10016, "此 appid 不是公众号，不能发起网页授权")
    redirect_uri = args.get("redirect_uri", "")
    if not redirect_uri:
        return None, (10011, "redirect_uri 不能为空")
    if not redirect_uri.startswith(("http://", "https://")):
        return None, (10003, "redirect_uri 参数错误")
    if args.get("response_type") != "code":
        return None, (10003, "response_type 参数错误，应为 code")
    if not args.get("scope"):
        return None, (10010, "scope 不能为空")
    if args["scope"] not in SCOPES:
        return None, (10005, "此公众号并没有这些 scope 的权限")
    return AuthRequest(app, redirect_uri, args["scope"], args.get("state", "")), None


def _consent_answer(auth):
    if request.form.get("action") != "allow":
        return redirect(_with_query(auth.redirect_uri, state=auth.state))
    uid = request.form.get("uid", "")
    user = state.user(uid) if uid and uid != "new" else None
    user = user or new_user(request.form.get("nickname"))
    response = redirect(_with_query(auth.redirect_uri, code=mint_oauth_code(auth.app, user, auth.scope),
                                    state=auth.state))
    response.set_cookie(UID_COOKIE, user["uid"], max_age=30 * 24 * 3600, httponly=True, samesite="Lax")
    return response


def _cookie_user():
    uid = request.cookies.get(UID_COOKIE)
    return state.user(uid) if uid else None


def _with_query(url, **params):
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


@bp.get("/mmopen/<uid>/132")
def avatar(uid):
    """A demo user's avatar (WeChat serves them from thirdwx.qlogo.cn/mmopen/...)."""
    user = state.user(uid)
    letter = escape((user["nickname"] if user else "微")[:1])
    hue = int(hashlib.sha1(uid.encode()).hexdigest()[:4], 16) % 360
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132" viewBox="0 0 132 132">'
           f'<rect width="132" height="132" rx="12" fill="hsl({hue},55%,55%)"/>'
           f'<text x="66" y="84" font-size="56" text-anchor="middle" fill="#fff" '
           f'font-family="sans-serif">{letter}</text></svg>')
    return svg, 200, {"Content-Type": "image/svg+xml", "Cache-Control": "max-age=3600"}


# ---- web OAuth: the API side (api.weixin.qq.com/sns) ---------------------------------------------

@bp.get("/sns/oauth2/access_token")
def oauth_access_token():
    app, error = _authenticate_app()
    if error:
        return error
    if request.args.get("grant_type") != "authorization_code":
        return wx_error(40002, "invalid grant_type")
    if not request.args.get("code"):
        return wx_error(41008, "missing code")
    grant, errcode = redeem_code("oauth_code", request.args["code"], app.appid)
    if errcode:
        return wx_error(errcode, CODE_ERRORS[errcode])
    user = state.user(grant["uid"])
    refresh_token = secrets.token_urlsafe(102)
    state.put(("refresh_token", refresh_token), {"appid": app.appid, "uid": user["uid"], "scope": grant["scope"]},
              ttl=REFRESH_TTL)
    answer = _oauth_tokens(app, user, grant["scope"], refresh_token)
    if grant["scope"] == "snsapi_userinfo":
        answer["unionid"] = user["unionid"]
    return jsonify(answer)


@bp.get("/sns/oauth2/refresh_token")
def oauth_refresh_token():
    appid = request.args.get("appid")
    if not appid:
        return wx_error(41002, "appid missing")
    app = state.app_by_id(appid)
    if app is None:
        return wx_error(40013, "invalid appid")
    if request.args.get("grant_type") != "refresh_token":
        return wx_error(40002, "invalid grant_type")
    refresh_token = request.args.get("refresh_token")
    if not refresh_token:
        return wx_error(41003, "refresh_token missing")
    grant = state.get(("refresh_token", refresh_token))
    if grant is None or grant["appid"] != appid:
        return wx_error(40030, "invalid refresh_token")
    return jsonify(_oauth_tokens(app, state.user(grant["uid"]), grant["scope"], refresh_token))


def _oauth_tokens(app, user, scope, refresh_token):
    openid = state.openid_for(app.appid, user["uid"])
    access_token = issue_token("oauth", app.appid, uid=user["uid"], openid=openid, scope=scope)
    return {"access_token": access_token, "expires_in": TOKEN_TTL, "refresh_token": refresh_token,
            "openid": openid, "scope": scope}


def _oauth_grant():
    """The web OAuth token of ?access_token= and ?openid=: (grant, None) or (None, error response)."""
    grant, errcode = check_token("oauth", request.args.get("access_token"))
    if errcode:
        return None, wx_error(errcode, TOKEN_ERRORS[errcode])
    if not request.args.get("openid"):
        return None, wx_error(41009, "missing openid")
    if request.args["openid"] != grant["openid"]:
        return None, wx_error(40003, "invalid openid")
    return grant, None


@bp.get("/sns/auth")
def oauth_check():
    grant, error = _oauth_grant()
    return error or wx_ok()


@bp.get("/sns/userinfo")
def oauth_userinfo():
    grant, error = _oauth_grant()
    if error:
        return error
    if grant["scope"] != "snsapi_userinfo":
        return wx_error(48001, "api unauthorized")
    user = state.user(grant["uid"])
    return jsonify({"openid": grant["openid"], "nickname": user["nickname"], "sex": 0, "province": "",
                    "city": "", "country": "", "headimgurl": avatar_url(user), "privilege": [],
                    "unionid": user["unionid"]})


# ---- mini-program login --------------------------------------------------------------------------

@bp.get("/sns/jscode2session")
def jscode2session():
    """wx.login() code -> openid/session_key/unionid (wechatpy also sends access_token: ignored)."""
    app, error = _authenticate_app()
    if error:
        return error
    if request.args.get("grant_type") != "authorization_code":
        return wx_error(40002, "invalid grant_type")
    if not request.args.get("js_code"):
        return wx_error(41008, "missing code")
    grant, errcode = redeem_code("js_code", request.args["js_code"], app.appid)
    if errcode:
        return wx_error(errcode, CODE_ERRORS[errcode])
    user = state.user(grant["uid"])
    openid = state.openid_for(app.appid, user["uid"])
    session_key = base64.b64encode(secrets.token_bytes(16)).decode()
    state.put(("session_key", app.appid, openid), session_key, ttl=REFRESH_TTL)
    return jsonify({"openid": openid, "session_key": session_key, "unionid": user["unionid"]})


# ---- official account: JS-SDK ticket, user info, menu --------------------------------------------

@bp.get("/cgi-bin/ticket/getticket")
@requires_token("mp")
def get_ticket(app):
    ticket_type = request.args.get("type", "jsapi")
    if ticket_type not in ("jsapi", "wx_card"):
        return wx_error(40097, "invalid args")
    ticket = secrets.token_urlsafe(64)
    state.put(("ticket", ticket_type, app.appid), ticket, ttl=TOKEN_TTL)  # the latest, for checks
    state.r().incr(state.key("ticket_fetches", app.appid))
    return wx_ok(ticket=ticket, expires_in=TOKEN_TTL)


@bp.get("/cgi-bin/user/info")
@requires_token("mp")
def user_info(app):
    user, error = _recipient(app, request.args.get("openid"))
    if error:
        return error
    openid = request.args["openid"]
    if has_flag("unsubscribed", app.appid, user["uid"]):
        return jsonify({"subscribe": 0, "openid": openid, "unionid": user["unionid"]})
    return jsonify({"subscribe": 1, "openid": openid, "language": "zh_CN", "subscribe_time": int(user["created_at"]),
                    "unionid": user["unionid"], "remark": "", "groupid": 0, "tagid_list": [],
                    "subscribe_scene": "ADD_SCENE_OTHERS", "qr_scene": 0, "qr_scene_str": ""})


MENU_TYPES = {"click": ("key",), "view": ("url",), "miniprogram": ("url", "appid", "pagepath"),
              "scancode_push": ("key",), "scancode_waitmsg": ("key",), "pic_sysphoto": ("key",),
              "pic_photo_or_album": ("key",), "pic_weixin": ("key",), "location_select": ("key",),
              "media_id": ("media_id",), "view_limited": ("media_id",),
              "article_id": ("article_id",), "article_view_limited": ("article_id",)}
MENU_NAME_BYTES = (16, 60)  # top level, sub-menu
MENU_FIELD_BYTES = {"key": 128, "url": 1024}
# (top-level, sub-button) error for each kind of problem
MENU_ERRORS = {"type": ((40017, "invalid button type"), (40024, "invalid sub button type")),
               "name": ((40018, "invalid button name size"), (40025, "invalid sub button name size")),
               "key": ((40019, "invalid button key size"), (40026, "invalid sub button key size")),
               "url": ((40020, "invalid button url size"), (40027, "invalid sub button url size"))}


def menu_error(menu):
    """The (errcode, errmsg) WeChat answers for a bad menu, or None."""
    buttons = menu.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return 40016, "invalid button size"
    return next(filter(None, (_button_error(b, 0) for b in buttons)), None)


def _button_error(button, level):
    if not isinstance(button, dict):
        return MENU_ERRORS["type"][level]
    name = button.get("name")
    if not isinstance(name, str) or not 0 < len(name.encode()) <= MENU_NAME_BYTES[level]:
        return MENU_ERRORS["name"][level]
    subs = button.get("sub_button")
    if level == 1 and subs:
        return 40022, "invalid sub menu level"
    if level == 0 and (subs or (subs == [] and "type" not in button)):
        if not isinstance(subs, list) or not 1 <= len(subs) <= 5:
            return 40023, "invalid sub button size"
        return next(filter(None, (_button_error(s, 1) for s in subs)), None)
    return _action_error(button, level)


def _action_error(button, level):
    fields = MENU_TYPES.get(button.get("type"))
    if fields is None:
        return MENU_ERRORS["type"][level]
    for field in fields:
        value = button.get(field)
        ok = isinstance(value, str) and 0 < len(value.encode()) <= MENU_FIELD_BYTES.get(field, 128)
        if ok and field == "url":
            ok = value.startswith(("http://", "https://"))
        if not ok:
            return MENU_ERRORS.get(field, MENU_ERRORS["type"])[level]
    return None


def _json_body():
    """wechatpy posts JSON bytes without a Content-Type: parse the raw body. None if not an object."""
    try:
        body = json.loads(request.get_data() or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@bp.post("/cgi-bin/menu/create")
@requires_token("mp")
def menu_create(app):
    menu = _json_body()
    if menu is None:
        return wx_error(47001, "data format error")
    error = menu_error(menu)
    if error:
        return wx_error(*error)
    state.put(("menu", app.appid), {"button": menu["button"]})
    return wx_ok()


@bp.get("/cgi-bin/menu/get")
@requires_token("mp")
def menu_get(app):
    menu = state.get(("menu", app.appid))
    if menu is None:
        return wx_error(46003, "menu no exist")
    return jsonify({"menu": menu})


@bp.get("/cgi-bin/menu/delete")
@requires_token("mp")
def menu_delete(app):
    state.r().delete(state.key("menu", app.appid))
    return wx_ok()


# ---- template messages (official account) and subscribe messages (mini-program) ------------------

TIME_CHARS = r"[\d年月日时分秒:：\-/ ~.]+"
VALUE_RULES = {  # key type (data key without its trailing digits) -> (max characters, pattern)
    "thing": (20, None), "character_string": (32, r"[\x20-\x7e]+"), "number": (32, r"\d+(\.\d+)?"),
    "letter": (32, r"[A-Za-z]+"), "symbol": (5, None), "time": (64, TIME_CHARS), "date": (64, TIME_CHARS),
    "amount": (16, r"[¥￥$]?\d{1,10}(\.\d{1,2})?元?"), "phone_number": (17, r"[\d+\-() ]+"),
    "car_number": (8, None), "phrase": (5, r"[\u4e00-\u9fff]+"),
    "name": (20, r"[\u4e00-\u9fff]{1,10}|[\x20-\x7e]{1,20}"),
}
MINIPROGRAM_STATES = ("developer", "trial", "formal")
LANGS = ("zh_CN", "en_US", "zh_HK", "zh_TW")


def data_error(data):
    """Check a message's data the way WeChat does: (47001/47003, errmsg) or None."""
    if not isinstance(data, dict) or not data:
        return 47001, "data format error"
    for name, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        if value is None or not str(value).strip():
            return 47003, f"argument invalid! data.{name}.value is empty"
        if not _value_ok(name, str(value)):
            return 47003, f"argument invalid! data.{name}.value invalid"
    return None


def _value_ok(name, value):
    key_type = re.sub(r"\d+$", "", name)
    if key_type not in VALUE_RULES:
        return True  # legacy keys (first, keyword1, remark...): any non-empty text
    max_chars, pattern = VALUE_RULES[key_type]
    return len(value) <= max_chars and (pattern is None or re.fullmatch(pattern, value) is not None)


def _recipient(app, openid):
    user = state.user_by_openid(app.appid, openid) if openid else None
    return (user, None) if user else (None, wx_error(40003, "invalid openid"))


def _message_error(app, body):
    """Checks common to both kinds of message: (user, None) or (None, error response)."""
    if body is None:
        return None, wx_error(47001, "data format error")
    user, error = _recipient(app, body.get("touser"))
    if error:
        return None, error
    if body.get("template_id") not in TEMPLATE_NAMES:
        return None, wx_error(40037, "invalid template_id")
    problem = data_error(body.get("data"))
    return (None, wx_error(*problem)) if problem else (user, None)


def _sent(kind, app, user, body, fields):
    msgid = secrets.randbelow(8 * 10 ** 18) + 10 ** 18
    state.record(kind, {"msgid": msgid, "appid": app.appid, "uid": user["uid"], "nickname": user["nickname"],
                        "template_name": TEMPLATE_NAMES[body["template_id"]],
                        **{f: body[f] for f in fields if f in body}})
    return wx_ok(msgid=msgid)


@bp.post("/cgi-bin/message/template/send")
@requires_token("mp")
def template_send(app):
    body = _json_body()
    user, error = _message_error(app, body)
    if error:
        return error
    if has_flag("blocked", app.appid, user["uid"]) or has_flag("unsubscribed", app.appid, user["uid"]):
        return wx_error(*REFUSED)
    return _sent("template", app, user, body, ("touser", "template_id", "url", "miniprogram", "data"))


@bp.post("/cgi-bin/message/subscribe/send")
@requires_token("mini")
def subscribe_send(app):
    body = _json_body()
    user, error = _message_error(app, body)
    if error:
        return error
    if body.get("miniprogram_state", "formal") not in MINIPROGRAM_STATES:
        return wx_error(47003, "argument invalid! miniprogram_state invalid")
    if body.get("lang", "zh_CN") not in LANGS:
        return wx_error(47003, "argument invalid! lang invalid")
    if not use_subscription(app.appid, body["touser"], body["template_id"]):
        return wx_error(*REFUSED)
    return _sent("subscribe", app, user, body,
                 ("touser", "template_id", "page", "miniprogram_state", "lang", "data"))


def grant_subscription(appid, openid, template_id, count=1):
    """The user tapped 允许 in wx.requestSubscribeMessage `count` times: that many sends allowed."""
    return state.r().incrby(state.key("subscription", appid, openid, template_id), count)


def subscriptions_left(appid, openid, template_id):
    return int(state.r().get(state.key("subscription", appid, openid, template_id)) or 0)


def use_subscription(appid, openid, template_id):
    redis_key = state.key("subscription", appid, openid, template_id)
    if state.r().decr(redis_key) < 0:
        state.r().incr(redis_key)  # none left: undo
        return False
    return True
