"""Binding WeChat identities to accounts: one person, one account, across both apps and passwords."""
import json
import secrets

import peewee
from flask import current_app, session

from app.accounts.models import User
from app.db import db, utcnow
from app.errors import ApiError
from app.redis_client import get_redis
from app.wechat.models import WechatIdentity

BIND_TICKET_TTL = 10 * 60
SESSION_KEY_TTL = 3 * 24 * 3600


def identity_for(kind, appid, openid, unionid=None, nickname=None):
    """The identity row of this openid (created on first sight), with what WeChat told us refreshed."""
    with db.atomic():
        try:
            identity, _ = WechatIdentity.get_or_create(appid=appid, openid=openid, defaults={"app_kind": kind})
        except peewee.IntegrityError:  # created concurrently
            identity = WechatIdentity.get(appid=appid, openid=openid)
        changes = {}
        if unionid and identity.unionid != unionid:
            changes["unionid"] = unionid
        if nickname and identity.nickname != nickname:
            changes["nickname"] = nickname[:64]
        if changes:
            WechatIdentity.update(**changes).where(WechatIdentity.id == identity.id).execute()
            identity = WechatIdentity.get_by_id(identity.id)
    return identity


def account_of(identity):
    """The bound account, also found through the unionid of the person's other WeChat app."""
    if identity.user_id:
        return User.get_or_none(User.id == identity.user_id, User.is_active == True)  # noqa: E712
    if identity.unionid:
        sibling = (WechatIdentity.select()
                   .where(WechatIdentity.unionid == identity.unionid, WechatIdentity.user.is_null(False))
                   .first())
        if sibling is not None:
            bind(identity, User.get_by_id(sibling.user_id))
            return User.get_by_id(sibling.user_id)
    return None


def bind(identity, user):
    """Bind an identity to an account; an account has at most one openid per WeChat app."""
    with db.atomic():
        identity = WechatIdentity.get_by_id(identity.id)
        if identity.user_id == user.id:
            return identity
        if identity.user_id is not None:
            raise ApiError("该微信已绑定其他账号，请联系客服处理", code="conflict", status=409)
        other = WechatIdentity.get_or_none(WechatIdentity.user == user.id, WechatIdentity.appid == identity.appid)
        if other is not None:
            raise ApiError("该账号已绑定其他微信，请使用原微信登录或联系客服", code="conflict", status=409)
        WechatIdentity.update(user=user.id, bound_at=utcnow()).where(WechatIdentity.id == identity.id).execute()
    return WechatIdentity.get_by_id(identity.id)


# ---- H5: an identity waiting for its account during this browser session ------------------------

def remember_pending(identity):
    session["wx_pending"] = identity.id


def bind_pending(user):
    """After a password login or a registration: bind the WeChat identity the session was holding."""
    identity_id = session.pop("wx_pending", None)
    if not identity_id:
        return None
    identity = WechatIdentity.get_or_none(WechatIdentity.id == identity_id)
    if identity is None:
        return None
    try:
        return bind(identity, user)
    except ApiError as err:
        session["wx_bind_error"] = err.message
        return None


def pending_identity():
    identity_id = session.get("wx_pending")
    return WechatIdentity.get_or_none(WechatIdentity.id == identity_id) if identity_id else None


# ---- mini-program: a short-lived ticket instead of a session --------------------------------------

def issue_bind_ticket(identity):
    ticket = secrets.token_urlsafe(24)
    get_redis().set(f"wx:bind:{ticket}", identity.id, ex=BIND_TICKET_TTL)
    return ticket


def redeem_bind_ticket(ticket):
    identity_id = get_redis().get(f"wx:bind:{ticket or ''}")
    identity = WechatIdentity.get_or_none(WechatIdentity.id == int(identity_id)) if identity_id else None
    if identity is None:
        raise ApiError("微信登录已过期，请重新进入小程序", code="bind_expired", status=422)
    return identity


def forget_bind_ticket(ticket):
    get_redis().delete(f"wx:bind:{ticket}")


def store_session_key(identity, session_key):
    """Kept on the server (to decrypt data the mini-program sends later); never sent to the client."""
    get_redis().set(f"wx:session-key:{identity.id}", json.dumps(session_key), ex=SESSION_KEY_TTL)


def mini_appid():
    return current_app.config["WECHAT_MINI_APPID"]
