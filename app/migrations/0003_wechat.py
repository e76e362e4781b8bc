"""WeChat identities, message records and attempts, mini-program subscriptions."""
import datetime

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    class Meta:
        table_name = "account"


class WechatIdentity(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, null=True, on_delete="CASCADE", column_name="user_id")
    app_kind = CharField(max_length=8)
    appid = CharField(max_length=32)
    openid = CharField(max_length=64)
    unionid = CharField(max_length=64, null=True, index=True)
    nickname = CharField(max_length=64, default="")
    subscribed = BooleanField(default=True)
    bound_at = DateTimeField(null=True)

    class Meta:
        table_name = "wechat_identity"
        indexes = ((("appid", "openid"), True),)


class WechatMessage(Model):
    created_at = DateTimeField(default=_now)
    event_key = CharField(max_length=120, unique=True)
    user = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="user_id")
    kind = CharField(max_length=16)
    template = CharField(max_length=40)
    openid = CharField(max_length=64, default="")
    payload = TextField(default="{}")
    status = CharField(max_length=16, default="pending", index=True)
    attempts = IntegerField(default=0)
    last_error = CharField(max_length=200, default="")
    msgid = CharField(max_length=32, default="")
    sent_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=_now)

    class Meta:
        table_name = "wechat_message"


class WechatMessageAttempt(Model):
    created_at = DateTimeField(default=_now)
    message = ForeignKeyField(WechatMessage, on_delete="CASCADE", column_name="message_id")
    errcode = IntegerField(null=True)
    errmsg = CharField(max_length=200, default="")
    outcome = CharField(max_length=16)

    class Meta:
        table_name = "wechat_message_attempt"


class WechatSubscription(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    template = CharField(max_length=40)
    remaining = IntegerField(default=0)
    updated_at = DateTimeField(default=_now)

    class Meta:
        table_name = "wechat_subscription"
        indexes = ((("user", "template"), True),)


MODELS = [Account, WechatIdentity, WechatMessage, WechatMessageAttempt, WechatSubscription]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS[1:])
