"""Certificates: units to pick from, the data confirmed before the first print, issued certificates."""
import datetime

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    class Meta:
        table_name = "account"


class Project(Model):
    class Meta:
        table_name = "project"


class Unit(Model):
    created_at = DateTimeField(default=_now)
    name = CharField(max_length=60, unique=True)
    district_code = CharField(max_length=6, default="")
    is_active = BooleanField(default=True)

    class Meta:
        table_name = "cert_unit"


class CertProfile(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    project = ForeignKeyField(Project, on_delete="CASCADE", column_name="project_id")
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL", column_name="unit_id")
    district_code = CharField(max_length=6, default="")
    confirmed_at = DateTimeField(default=_now)
    updated_at = DateTimeField(default=_now)

    class Meta:
        table_name = "cert_profile"
        indexes = ((("user", "project"), True),)


class Certificate(Model):
    created_at = DateTimeField(default=_now)
    number = CharField(max_length=24, unique=True)
    user = ForeignKeyField(Account, on_delete="RESTRICT", column_name="user_id")
    project = ForeignKeyField(Project, on_delete="RESTRICT", column_name="project_id")
    year = IntegerField()
    credit_hours = IntegerField()
    project_name = CharField(max_length=60)
    name = CharField(max_length=30)
    id_number_masked = CharField(max_length=24)
    organisation = CharField(max_length=80)
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL", column_name="unit_id")
    district_code = CharField(max_length=6, default="")
    issuer = CharField(max_length=60)
    issued_at = DateTimeField(default=_now)
    status = CharField(max_length=10, default="valid", index=True)
    revoked_at = DateTimeField(null=True)
    revoke_reason = CharField(max_length=100, default="")
    replaced_at = DateTimeField(null=True)
    replaced_by = ForeignKeyField("self", null=True, on_delete="SET NULL", column_name="replaced_by_id")
    issued_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="issued_by_id",
                                backref="certificates_issued")
    fingerprint = CharField(max_length=64)

    class Meta:
        table_name = "certificate"


Certificate.add_index(Certificate.user, Certificate.project, unique=True, where=(Certificate.status == "valid"),
                      name="certificate_one_valid")

MODELS = [Account, Project, Unit, CertProfile, Certificate]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS[2:])
