"""Sandbox control endpoints (/_sandbox/...): how tests and developers play WeChat's side.

Demo users, js_codes (the stand-in for wx.login() on a phone), OAuth codes without the page,
sent messages, subscription grants, blocking, failure injection and token expiry; pushes to the official
account's server are in control_push.py. JSON in and out; GET /_sandbox/ is an HTML overview.
"""
import json
import time

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from app.wechat.sandbox import mp, mp_messages, state

bp = Blueprint("sandbox_control", __name__)

MESSAGE_KINDS = ("template", "subscribe")
KIND_NAMES = {"mp": "公众号", "mini": "小程序"}
DEFAULT_ERRMSGS = {-1: "system error", 43101: "user refuse to accept the msg",
                   45009: "reach max api daily quota limit",
                   45011: "api minute-quota reach limit mustslower retry next minute"}


class ControlError(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.message, self.status = message, status


@bp.errorhandler(ControlError)
def _control_error(exc):
    return jsonify({"error": exc.message}), exc.status


# ---- request helpers -----------------------------------------------------------------------------

def _body():
    return request.get_json(silent=True) or request.form.to_dict() or {}


def _app(body, kind, strict=True):
    """The app named by `appid` (body or query), else the configured app of this kind."""
    appid = body.get("appid") or request.args.get("appid")
    app = state.app_by_id(appid) if appid else state.app_of_kind(kind)
    if app is None:
        raise ControlError(f"未知的 appid：{appid}" if appid else f"沙箱没有配置{KIND_NAMES[kind]}")
    if strict and app.kind != kind:
        raise ControlError(f"appid {app.appid} 不是{KIND_NAMES[kind]}")
    return app


def _user(body):
    """The demo user named by `uid` or by any of its openids."""
    if body.get("uid"):
        user = state.user(body["uid"])
    elif body.get("openid"):
        user = next(filter(None, (state.user_by_openid(a, body["openid"]) for a in state.apps())), None)
    else:
        raise ControlError("需要 uid 或 openid")
    if user is None:
        raise ControlError("没有这位微信用户", 404)
    return user


def _user_or_new(body):
    return _user(body) if body.get("uid") or body.get("openid") else mp.new_user(body.get("nickname"))


def _int(value, name, minimum=None):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ControlError(f"{name} 必须是整数") from None
    if minimum is not None and number < minimum:
        raise ControlError(f"{name} 不能小于 {minimum}")
    return number


# ---- overview page -------------------------------------------------------------------------------

@bp.get("/")
def index():
    mp_app = state.app_of_kind("mp")
    return render_template(
        "sandbox/index.html", apps=[_app_view(a) for a in state.apps().values()],
        users=[mp.user_view(u) for u in state.users()], template_names=mp.TEMPLATE_NAMES,
        messages={kind: list(reversed(state.read_log(kind)))[:20] for kind in MESSAGE_KINDS},
        menu=state.get(("menu", mp_app.appid)) if mp_app else None)


@bp.app_template_filter("wxsb_time")
def _format_time(epoch):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def _app_view(app):
    return {"appid": app.appid, "kind": KIND_NAMES[app.kind], "name": mp.app_name(app),
            "gh_id": mp.gh_id(app) if app.kind == "mp" else "", "callback_url": app.callback_url,
            "token_fetches": mp.fetch_count(app.appid)}


# ---- demo users ----------------------------------------------------------------------------------

@bp.get("/users")
def list_users():
    return jsonify([mp.user_view(u) for u in state.users()])


@bp.post("/users")
def create_user():
    user = mp.new_user(_body().get("nickname"))
    if request.form:  # the overview page's form
        return redirect(url_for(".index"), 303)
    return jsonify(mp.user_view(user)), 201


@bp.get("/users/<uid>")
def show_user(uid):
    return jsonify(mp.user_view(_user({"uid": uid})))


@bp.post("/users/<uid>/<any(block, unblock, subscribe, unsubscribe):action>")
def set_user_flag(uid, action):
    """block/unblock: the user refuses the account's messages; unsubscribe/subscribe: unfollow/follow."""
    user = _user({"uid": uid})
    app = _app(_body(), "mp")
    flag = "blocked" if action.endswith("block") else "unsubscribed"
    mp.set_flag(flag, app.appid, uid, on=action in ("block", "unsubscribe"))
    return jsonify(mp.user_view(user))


# ---- codes ---------------------------------------------------------------------------------------

@bp.post("/jscode")
def jscode():
    """wx.login() on a phone: a js_code for the mini-program (a new demo user unless uid/openid given)."""
    body = _body()
    app, user = _app(body, "mini"), _user_or_new(body)
    return jsonify({"code": mp.mint_js_code(app, user), "uid": user["uid"],
                    "openid": state.openid_for(app.appid, user["uid"])}), 201


@bp.post("/oauth/code")
def oauth_code():
    """A web OAuth code as if the user had tapped 允许 on the consent page."""
    body = _body()
    app, scope = _app(body, "mp"), body.get("scope", "snsapi_base")
    if scope not in mp.SCOPES:
        raise ControlError("scope 只能是 snsapi_base 或 snsapi_userinfo")
    user = _user_or_new(body)
    return jsonify({"code": mp.mint_oauth_code(app, user, scope), "uid": user["uid"], "scope": scope,
                    "openid": state.openid_for(app.appid, user["uid"])}), 201


# ---- messages and subscriptions ------------------------------------------------------------------

def _message_kinds():
    kind = request.args.get("kind")
    if kind and kind not in MESSAGE_KINDS:
        raise ControlError("kind 只能是 template 或 subscribe")
    return (kind,) if kind else MESSAGE_KINDS


@bp.get("/messages")
def list_messages():
    uid = request.args.get("uid")
    items = [{"kind": kind, **m} for kind in _message_kinds() for m in state.read_log(kind)
             if not uid or m["uid"] == uid]
    return jsonify(sorted(items, key=lambda m: m["at"]))


@bp.delete("/messages")
def clear_messages():
    kinds = _message_kinds()
    for kind in kinds:
        state.r().delete(state.key("log", kind))
    return jsonify({"cleared": list(kinds)})


@bp.post("/subscriptions")
def grant_subscriptions():
    """The user tapped 允许 in wx.requestSubscribeMessage: `count` one-time sends of a template."""
    body = _body()
    app, user = _app(body, "mini"), _user(body)
    template_id = mp.TEMPLATE_IDS.get(body.get("template_id"), body.get("template_id"))  # a name works too
    if template_id not in mp.TEMPLATE_NAMES:
        raise ControlError("未知的 template_id")
    openid = state.openid_for(app.appid, user["uid"])
    remaining = mp_messages.grant_subscription(app.appid, openid, template_id, _int(body.get("count", 1), "count", 1))
    return jsonify({"uid": user["uid"], "openid": openid, "template_id": template_id,
                    "remaining": remaining}), 201


# ---- failures, tokens, menu ----------------------------------------------------------------------

@bp.post("/failures")
def add_failure():
    """The next `times` calls under path_prefix fail: errcode (-1 = transient) or an HTTP status."""
    body = _body()
    prefix = body.get("path_prefix") or ""
    if not prefix.startswith("/"):
        raise ControlError("path_prefix 必须以 / 开头")
    times = _int(body.get("times", 1), "times", 1)
    http_status = _int(body["http_status"], "http_status", 400) if body.get("http_status") else None
    errcode = _int(body["errcode"], "errcode") if body.get("errcode") is not None else None
    if errcode == 0:
        raise ControlError("errcode 不能为 0")
    if errcode is None and http_status is None:
        errcode = -1
    errmsg = body.get("errmsg") or DEFAULT_ERRMSGS.get(errcode, "system error")
    state.inject_failure(prefix, times, errcode, http_status, errmsg)
    return jsonify({"path_prefix": prefix, "times": times, "errcode": errcode, "http_status": http_status,
                    "errmsg": errmsg}), 201


@bp.get("/failures")
def list_failures():
    pending = [json.loads(raw) for raw in state.r().lrange(state.key("failures"), 0, -1)]
    return jsonify({"pending": pending, "triggered": state.read_log("failures")})


@bp.delete("/failures")
def clear_failures():
    state.r().delete(state.key("failures"))
    return jsonify({"cleared": True})


@bp.post("/tokens/expire")
def expire_tokens():
    """Every access token of the app answers 42001 from now on (include_oauth: web OAuth tokens too)."""
    body = _body()
    app = _app(body, "mp", strict=False)
    expired = mp.expire_tokens(app.appid)
    if body.get("include_oauth"):
        expired += mp.expire_tokens(app.appid, "oauth")
    return jsonify({"appid": app.appid, "expired": expired})


@bp.get("/token-fetches")
def token_fetches():
    app = _app({}, "mp", strict=False)
    return jsonify({"appid": app.appid, "count": mp.fetch_count(app.appid),
                    "ticket_fetches": mp.fetch_count(app.appid, "ticket")})


@bp.get("/menu")
def show_menu():
    app = _app({}, "mp")
    return jsonify({"appid": app.appid, "menu": state.get(("menu", app.appid))})
