"""Session versions (log out everywhere on a password reset) and the auth event log."""
import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    class Meta:
        table_name = "account"


class AuthEvent(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="user_id")
    kind = CharField(max_length=32, index=True)
    ip = CharField(max_length=64, default="")
    detail = CharField(max_length=200, default="")

    class Meta:
        table_name = "auth_event"


def up(migrator, db):
    migrator.migrate(migrator.add_column("account", "session_version", IntegerField(default=1)))
    with db.bind_ctx([Account, AuthEvent]):
        db.create_tables([AuthEvent])
