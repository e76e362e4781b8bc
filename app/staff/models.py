"""Staff roles per account and the audit log of staff actions."""
import peewee

from app.accounts.models import User
from app.db import BaseModel


class StaffRole(BaseModel):
    """One role held by one staff account (an account may hold several)."""

    user = peewee.ForeignKeyField(User, backref="staff_roles", on_delete="CASCADE")
    role = peewee.CharField(max_length=20)
    granted_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="roles_granted")

    class Meta:
        table_name = "staff_role"
        indexes = ((("user", "role"), True),)


class AuditEntry(BaseModel):
    """One staff action: who (id and name at the time), when (UTC), what, on what, before and after.

    before/after/detail are JSON text with personal data masked, except where the action is the
    viewing itself (then only the fact is stored, never the value).
    """

    actor = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="audit_entries")
    actor_name = peewee.CharField(max_length=30, default="")
    action = peewee.CharField(max_length=40, index=True)
    target_type = peewee.CharField(max_length=30, index=True)
    target_id = peewee.CharField(max_length=40, default="", index=True)
    before = peewee.TextField(default="")
    after = peewee.TextField(default="")
    detail = peewee.TextField(default="")
    ip = peewee.CharField(max_length=64, default="")

    class Meta:
        table_name = "audit_entry"
