"""WeChat identities bound to accounts, message records, mini-program subscriptions."""
import peewee

from app.accounts.models import User
from app.db import BaseModel, utcnow

APP_KINDS = ("mp", "mini")  # official account, mini-program


class WechatIdentity(BaseModel):
    """One openid of one WeChat app; bound to one account (one person, one account)."""

    user = peewee.ForeignKeyField(User, null=True, backref="wechat_identities", on_delete="CASCADE")
    app_kind = peewee.CharField(max_length=8)
    appid = peewee.CharField(max_length=32)
    openid = peewee.CharField(max_length=64)
    unionid = peewee.CharField(max_length=64, null=True, index=True)
    nickname = peewee.CharField(max_length=64, default="")
    subscribed = peewee.BooleanField(default=True)  # follows the official account
    bound_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "wechat_identity"
        indexes = ((("appid", "openid"), True),)


class WechatMessage(BaseModel):
    """One message for one event: the unique event key makes sending idempotent."""

    event_key = peewee.CharField(max_length=120, unique=True)
    user = peewee.ForeignKeyField(User, null=True, backref="wechat_messages", on_delete="SET NULL")
    kind = peewee.CharField(max_length=16)  # "template" (official account) or "subscribe" (mini-program)
    template = peewee.CharField(max_length=40)
    openid = peewee.CharField(max_length=64, default="")
    payload = peewee.TextField(default="{}")
    status = peewee.CharField(max_length=16, default="pending", index=True)  # pending/sent/failed/skipped
    attempts = peewee.IntegerField(default=0)
    last_error = peewee.CharField(max_length=200, default="")
    msgid = peewee.CharField(max_length=32, default="")
    sent_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "wechat_message"


class WechatMessageAttempt(BaseModel):
    """Every call to WeChat for a message, with its result."""

    message = peewee.ForeignKeyField(WechatMessage, backref="attempt_rows", on_delete="CASCADE")
    errcode = peewee.IntegerField(null=True)
    errmsg = peewee.CharField(max_length=200, default="")
    outcome = peewee.CharField(max_length=16)  # sent / transient / permanent

    class Meta:
        table_name = "wechat_message_attempt"


class WechatSubscription(BaseModel):
    """Mini-program one-time subscriptions the learner accepted: each allows one message."""

    user = peewee.ForeignKeyField(User, backref="wechat_subscriptions", on_delete="CASCADE")
    template = peewee.CharField(max_length=40)
    remaining = peewee.IntegerField(default=0)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "wechat_subscription"
        indexes = ((("user", "template"), True),)
