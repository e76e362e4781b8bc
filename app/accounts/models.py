"""Accounts: one row per person, personal data encrypted, found through blind indexes."""
import peewee

from app.db import BaseModel, utcnow

ROLES = ("learner", "staff")


class User(BaseModel):
    name = peewee.CharField(max_length=30)
    gender = peewee.CharField(max_length=1)  # 'M' or 'F'
    id_number_enc = peewee.TextField()
    id_number_hash = peewee.CharField(max_length=64, unique=True)
    mobile_enc = peewee.TextField()
    mobile_hash = peewee.CharField(max_length=64, unique=True)
    pii_key_id = peewee.CharField(max_length=32)
    username = peewee.CharField(max_length=20, null=True, unique=True)
    password_hash = peewee.CharField(max_length=255)
    role = peewee.CharField(max_length=16, default="learner", index=True)
    is_active = peewee.BooleanField(default=True)
    # Bumped on password change/reset: every older session and token stops working.
    session_version = peewee.IntegerField(default=1)
    data_confirmed_at = peewee.DateTimeField(default=utcnow)
    last_login_at = peewee.DateTimeField(null=True)
    # Bulk-registered accounts: the initial password works until this UTC time (app/accounts/first_login.py).
    initial_password_until = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "account"

    @property
    def is_staff(self):
        return self.role == "staff"


class AuthEvent(BaseModel):
    """Login, lock-out and reset events, kept for staff to spot abuse (no personal data)."""

    user = peewee.ForeignKeyField(User, null=True, backref="auth_events", on_delete="SET NULL")
    kind = peewee.CharField(max_length=32, index=True)
    ip = peewee.CharField(max_length=64, default="")
    detail = peewee.CharField(max_length=200, default="")

    class Meta:
        table_name = "auth_event"
