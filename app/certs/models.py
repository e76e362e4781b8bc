"""Units to pick from, the data a learner completes before the first print, and the certificates."""
import peewee

from app.accounts.models import User
from app.db import BaseModel, utcnow
from app.learning.models import Project

STATUSES = ("valid", "revoked", "replaced")


class Unit(BaseModel):
    """An employer (工作单位) learners pick from; staff add them with `flask certs unit-add`."""

    name = peewee.CharField(max_length=60, unique=True)
    district_code = peewee.CharField(max_length=6, default="")  # where the unit is (optional)
    is_active = peewee.BooleanField(default=True)

    class Meta:
        table_name = "cert_unit"


class CertProfile(BaseModel):
    """What a learner confirmed for one plan's certificate: name and ID as registered, the organisation."""

    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    project = peewee.ForeignKeyField(Project, on_delete="CASCADE")
    unit = peewee.ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    district_code = peewee.CharField(max_length=6, default="")  # personnel file's district when no unit
    confirmed_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "cert_profile"
        indexes = ((("user", "project"), True),)


# A certificate revoked because its plan was refunded: printing again is allowed once the plan is held again.
REFUND_REVOKE_REASON = "订单已退款，不再持有该培训项目"


class Certificate(BaseModel):
    """One issued certificate. The printed data is a snapshot: re-printing gives the same page."""

    number = peewee.CharField(max_length=24, unique=True)
    user = peewee.ForeignKeyField(User, on_delete="RESTRICT")
    project = peewee.ForeignKeyField(Project, on_delete="RESTRICT")
    year = peewee.IntegerField()
    credit_hours = peewee.IntegerField()
    project_name = peewee.CharField(max_length=60)
    name = peewee.CharField(max_length=30)  # as printed
    id_number_masked = peewee.CharField(max_length=24)
    organisation = peewee.CharField(max_length=80)  # the unit, or "档案所在地：重庆市渝中区"
    unit = peewee.ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    district_code = peewee.CharField(max_length=6, default="")
    issuer = peewee.CharField(max_length=60)
    issued_at = peewee.DateTimeField(default=utcnow)
    status = peewee.CharField(max_length=10, default="valid", index=True)  # valid / revoked / replaced
    revoked_at = peewee.DateTimeField(null=True)
    revoke_reason = peewee.CharField(max_length=100, default="")
    replaced_at = peewee.DateTimeField(null=True)
    replaced_by = peewee.ForeignKeyField("self", null=True, on_delete="SET NULL")
    issued_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="certificates_issued")
    fingerprint = peewee.CharField(max_length=64)
    # The PAdES-signed PDF, made once when the certificate is issued: its storage key and SHA-256.
    pdf_key = peewee.CharField(max_length=200, default="")
    pdf_sha256 = peewee.CharField(max_length=64, default="")

    class Meta:
        table_name = "certificate"


# One valid certificate per learner and plan: concurrent "print" requests cannot make two.
Certificate.add_index(Certificate.user, Certificate.project, unique=True, where=(Certificate.status == "valid"),
                      name="certificate_one_valid")


def valid_certificate(uid, project_id):
    """The learner's one valid certificate for the plan, or None."""
    return Certificate.get_or_none(Certificate.user == uid, Certificate.project == project_id,
                                   Certificate.status == "valid")


def latest_certificate(uid, project_id):
    """The learner's newest certificate for the plan, whatever its state, or None."""
    return (Certificate.select().where(Certificate.user == uid, Certificate.project == project_id)
            .order_by(Certificate.id.desc()).first())
