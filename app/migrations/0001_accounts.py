"""Accounts with encrypted personal data and blind indexes."""
import datetime

from peewee import BooleanField, CharField, DateTimeField, Model, TextField


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    created_at = DateTimeField(default=_now)
    name = CharField(max_length=30)
    gender = CharField(max_length=1)
    id_number_enc = TextField()
    id_number_hash = CharField(max_length=64, unique=True)
    mobile_enc = TextField()
    mobile_hash = CharField(max_length=64, unique=True)
    pii_key_id = CharField(max_length=32)
    username = CharField(max_length=20, null=True, unique=True)
    password_hash = CharField(max_length=255)
    role = CharField(max_length=16, default="learner", index=True)
    is_active = BooleanField(default=True)
    data_confirmed_at = DateTimeField(default=_now)
    last_login_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=_now)

    class Meta:
        table_name = "account"


def up(migrator, db):
    with db.bind_ctx([Account]):
        db.create_tables([Account])
