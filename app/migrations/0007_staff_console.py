"""Staff console: roles per staff account (today's staff become administrators), the audit log, and an
index for the suspicious-learning ranking."""
import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, Model, TextField


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    role = CharField(max_length=16)

    class Meta:
        table_name = "account"


class StaffRole(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    role = CharField(max_length=20)
    granted_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="granted_by_id",
                                 backref="roles_granted")

    class Meta:
        table_name = "staff_role"
        indexes = ((("user", "role"), True),)


class AuditEntry(Model):
    created_at = DateTimeField(default=_now, index=True)
    actor = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="actor_id")
    actor_name = CharField(max_length=30, default="")
    action = CharField(max_length=40, index=True)
    target_type = CharField(max_length=30, index=True)
    target_id = CharField(max_length=40, default="", index=True)
    before = TextField(default="")
    after = TextField(default="")
    detail = TextField(default="")
    ip = CharField(max_length=64, default="")

    class Meta:
        table_name = "audit_entry"


MODELS = [Account, StaffRole, AuditEntry]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables([StaffRole, AuditEntry])
        staff = [a.id for a in Account.select(Account.id).where(Account.role == "staff")]
        if staff:
            StaffRole.insert_many([{"user": uid, "role": "admin"} for uid in staff]).execute()
    # The "suspicious learning" ranking reads events by time, counting reasons per learner: this index
    # answers it without touching the table.
    db.execute_sql("CREATE INDEX IF NOT EXISTS learning_event_created_reason_user "
                   "ON learning_event (created_at, reason, user_id)")
