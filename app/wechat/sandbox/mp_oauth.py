"""Sandbox: web OAuth (open.weixin.qq.com's consent page and api.weixin.qq.com/sns): codes, tokens, user info.

Routes join mp.bp; the app, token and code helpers are mp.py's.
"""
import hashlib
import secrets
from collections import namedtuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape

from flask import jsonify, redirect, render_template, request

from app.wechat.sandbox import state
from app.wechat.sandbox.mp import (
    REFRESH_TTL,
    SCOPES,
    TOKEN_ERRORS,
    TOKEN_TTL,
    UID_COOKIE,
    app_name,
    avatar_url,
    bp,
    check_token,
    issue_token,
    mint_oauth_code,
    new_user,
    redeem_request_code,
    user_view,
)
from app.wechat.sandbox.state import wx_error, wx_ok

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
    app, grant, error = redeem_request_code("oauth_code", "code")
    if error:
        return error
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
