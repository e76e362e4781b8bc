"""Mini-program login and binding, and subscribe-message acceptances, under /api/v1/wechat."""
from flask import request
from wechatpy.exceptions import WeChatClientException

from app.accounts import service
from app.accounts.policy import current_user, issue_token
from app.api import ApiBlueprint, ok
from app.errors import ApiError
from app.wechat import login, messages
from app.wechat.clients import mini_client
from app.wechat.schemas import (
    MiniBindIn,
    MiniLoginIn,
    MiniLoginOut,
    MiniRegisterIn,
    MiniSignedInOut,
    SubscriptionsIn,
    SubscriptionsOut,
)

bp = ApiBlueprint("wechat_api", __name__)
CODE_ERRORS = {40029: "登录凭证无效，请重新进入小程序", 40163: "登录凭证已使用，请重新进入小程序",
               40226: "该微信账号存在风险，暂无法登录"}


def _signed_in(user, message="登录成功"):
    return ok({"bound": True, "token": issue_token(user), "user": service.profile(user)}, message)


@bp.endpoint("/wechat/mini/login", methods=["POST"], body=MiniLoginIn, auth=None, response=MiniLoginOut)
def mini_login(data):
    """Mini-program login: wx.login code -> code2session -> our token (the session_key stays here)."""
    try:
        result = mini_client().wxa.code_to_session(data.code)
    except WeChatClientException as exc:
        raise ApiError(CODE_ERRORS.get(exc.errcode, "微信登录失败，请稍后重试"), code="wechat_error",
                       status=422 if exc.errcode in CODE_ERRORS else 502) from None
    identity = login.identity_for("mini", login.mini_appid(), result["openid"], result.get("unionid"))
    login.store_session_key(identity, result["session_key"])
    user = login.account_of(identity)
    if user is not None:
        return _signed_in(user)
    return ok({"bound": False, "bind_ticket": login.issue_bind_ticket(identity)}, "请登录或注册以绑定微信")


@bp.endpoint("/wechat/mini/bind", methods=["POST"], body=MiniBindIn, auth=None, response=MiniSignedInOut)
def mini_bind(data):
    """Link an existing password account to this mini-program user (once)."""
    identity = login.redeem_bind_ticket(data.bind_ticket)
    user = service.authenticate(data.username, data.password, request.remote_addr)
    login.bind(identity, user)
    login.forget_bind_ticket(data.bind_ticket)
    return _signed_in(user, "绑定成功")


@bp.endpoint("/wechat/mini/register", methods=["POST"], body=MiniRegisterIn, auth=None, response=MiniSignedInOut)
def mini_register(data):
    """Register a learner from the mini-program and bind this WeChat user to the new account."""
    identity = login.redeem_bind_ticket(data.bind_ticket)
    user = service.register(data, request.remote_addr)
    login.bind(identity, user)
    login.forget_bind_ticket(data.bind_ticket)
    return _signed_in(user, "注册成功")


@bp.endpoint("/wechat/mini/subscriptions", methods=["POST"], body=SubscriptionsIn, response=SubscriptionsOut)
def subscriptions(data):
    """Record the subscribe messages the learner accepted in wx.requestSubscribeMessage."""
    granted = messages.record_subscriptions(current_user(), data.accepted)
    return ok({"remaining": granted})
