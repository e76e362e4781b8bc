"""Units, their contacts and learners, the group checks they ran; an order remembers the unit it bought for
and a seat the name the unit's contact typed for it."""
import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    class Meta:
        table_name = "account"


class Project(Model):
    class Meta:
        table_name = "project"


class CertUnit(Model):
    class Meta:
        table_name = "cert_unit"


class Unit(Model):
    created_at = DateTimeField(default=_now)
    name = CharField(max_length=100)
    credit_code = CharField(max_length=18, unique=True)
    district_code = CharField(max_length=6)
    status = CharField(max_length=10, default="pending", index=True)
    created_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="created_by_id")
    cert_unit = ForeignKeyField(CertUnit, null=True, unique=True, on_delete="SET NULL", column_name="cert_unit_id")
    updated_at = DateTimeField(default=_now)

    class Meta:
        table_name = "unit"


class UnitContact(Model):
    created_at = DateTimeField(default=_now)
    unit = ForeignKeyField(Unit, on_delete="CASCADE", column_name="unit_id")
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    email = CharField(max_length=120)
    state = CharField(max_length=10, default="pending", index=True)
    reason = CharField(max_length=200, default="")
    decided_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="decided_by_id",
                                 backref="decided")
    decided_at = DateTimeField(null=True)

    class Meta:
        table_name = "unit_contact"


UnitContact.add_index(UnitContact.unit, UnitContact.user, unique=True,
                      where=UnitContact.state.in_(("pending", "approved")), name="unit_contact_one_open")


class UnitMember(Model):
    created_at = DateTimeField(default=_now)
    unit = ForeignKeyField(Unit, on_delete="CASCADE", column_name="unit_id")
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    source = CharField(max_length=8)
    year = IntegerField(default=0)
    project = ForeignKeyField(Project, null=True, on_delete="SET NULL", column_name="project_id")

    class Meta:
        table_name = "unit_member"
        indexes = ((("unit", "user", "source", "year"), True),)


class GroupCheckRecord(Model):
    created_at = DateTimeField(default=_now)
    unit = ForeignKeyField(Unit, on_delete="CASCADE", column_name="unit_id")
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    project = ForeignKeyField(Project, on_delete="CASCADE", column_name="project_id")
    line_count = IntegerField()
    failed_count = IntegerField(default=0)
    ids_masked = TextField(default="[]")

    class Meta:
        table_name = "unit_group_check"


MODELS = [Account, Project, CertUnit, Unit, UnitContact, UnitMember, GroupCheckRecord]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS[3:])
    migrator.migrate(migrator.add_column(
        "order", "unit_id", ForeignKeyField(Unit, field=Unit.id, null=True, on_delete="SET NULL")))
    migrator.migrate(migrator.add_column("order_seat", "label", CharField(max_length=30, default="")))
