"""Bulk registration: initial passwords that expire, privacy consents, bulk registration jobs."""
import datetime

from peewee import BlobField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    class Meta:
        table_name = "account"


class Unit(Model):
    class Meta:
        table_name = "unit"


class Consent(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    document = CharField(max_length=20)
    version = CharField(max_length=20)
    accepted_at = DateTimeField(default=_now)
    ip = CharField(max_length=64, default="")

    class Meta:
        table_name = "consent"
        indexes = ((("user", "document", "version"), False),)


class BulkRegistration(Model):
    created_at = DateTimeField(default=_now)
    unit = ForeignKeyField(Unit, on_delete="CASCADE", column_name="unit_id")
    uploaded_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="uploaded_by_id")
    by_staff = BooleanField(default=False)
    filename = CharField(max_length=120)
    year = IntegerField()
    state = CharField(max_length=8, default="queued", index=True)
    total = IntegerField(default=0)
    processed = IntegerField(default=0)
    created_count = IntegerField(default=0)
    linked_count = IntegerField(default=0)
    refused_count = IntegerField(default=0)
    source = BlobField(null=True)
    result = BlobField(null=True)
    error = CharField(max_length=200, default="")
    mailed_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)

    class Meta:
        table_name = "bulk_registration"


MODELS = [Account, Unit, Consent, BulkRegistration]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS[2:])
    # Set while the account still has its bulk-registration initial password (until this UTC time).
    migrator.migrate(migrator.add_column("account", "initial_password_until", DateTimeField(null=True)))
