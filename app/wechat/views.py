"""Official-account H5 login: web OAuth (snsapi_base silently, snsapi_userinfo for a new person)."""
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from wechatpy.exceptions import WeChatOAuthException

from app.accounts.policy import current_user, login_session
from app.errors import ApiError
from app.wechat import login
from app.wechat.clients import oauth

bp = Blueprint("wechat", __name__)
OAUTH_ERRORS = {40029: "微信授权码无效，请重新进入", 40163: "微信授权码已使用，请重新进入",
                42003: "微信授权码已过期，请重新进入"}


def _safe_next(target):
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("accounts_pages.account")


def _authorize(scope, next_path):
    state = secrets.token_urlsafe(12)
    session["wx_oauth"] = {"state": state, "next": next_path, "scope": scope}
    redirect_uri = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("wechat.oauth_callback")
    return redirect(oauth(redirect_uri, scope=scope, state=state).authorize_url)


@bp.route("/wechat/login")
def start():
    """Entry of every menu link: silent OAuth, then the page asked for."""
    return _authorize("snsapi_base", _safe_next(request.args.get("next")))


@bp.route("/wechat/oauth/callback")
def oauth_callback():
    pending = session.pop("wx_oauth", None)
    if not pending or not secrets.compare_digest(pending["state"], request.args.get("state", "")):
        raise ApiError("微信登录已过期，请重新进入", status=400)
    code = request.args.get("code")
    if not code:
        return render_template("wechat/refused.html"), 200
    client = oauth("", scope=pending["scope"])
    try:
        token = client.fetch_access_token(code)
        nickname, unionid = None, token.get("unionid")
        if pending["scope"] == "snsapi_userinfo":
            info = client.get_user_info(token["openid"], token["access_token"])
            nickname, unionid = info.get("nickname"), unionid or info.get("unionid")
    except WeChatOAuthException as exc:
        message = OAUTH_ERRORS.get(exc.errcode, "微信登录失败，请稍后重试")
        return render_template("wechat/oauth_error.html", message=message, retry=pending["next"]), 400
    cfg = current_app.config
    identity = login.identity_for("mp", cfg["WECHAT_MP_APPID"], token["openid"], unionid, nickname)
    user = login.account_of(identity)
    if user is not None:
        login_session(user)
        return redirect(pending["next"])
    if current_user() is not None:  # a logged-in learner binding WeChat from "my account"
        login.bind(identity, current_user())
        flash("已绑定微信，下次可直接从公众号进入")
        return redirect(pending["next"])
    if pending["scope"] == "snsapi_base":  # a new person: ask for the profile to greet them
        return _authorize("snsapi_userinfo", pending["next"])
    login.remember_pending(identity)
    session["wx_next"] = pending["next"]
    return redirect(url_for("wechat.bind_page"))


@bp.route("/wechat/bind")
def bind_page():
    identity = login.pending_identity()
    if identity is None:
        return redirect(url_for("accounts_pages.login"))
    next_path = session.get("wx_next", url_for("accounts_pages.account"))
    return render_template("wechat/bind.html", identity=identity, next_path=next_path)


def _after_login_bind(user):
    identity = login.bind_pending(user)
    if identity is not None:
        flash("已绑定微信，下次可直接从公众号进入")


def init_app(app):
    from app.accounts.policy import AFTER_LOGIN

    if _after_login_bind not in AFTER_LOGIN:
        AFTER_LOGIN.append(_after_login_bind)
