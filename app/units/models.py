"""Units, the accounts that act for them (contacts), their learners, and the group checks they ran.

    Unit         full name, unified social credit code (GB 32100, unique), district of the province;
                 status "pending" until staff approve its first contact, then "active"
                 ("rejected" when that first application is refused). `cert_unit` is the entry of
                 the certificate's organisation list made for it when it becomes active.
    UnitContact  one application of an account to act for a unit, with the e-mail it gave;
                 state pending / approved / rejected / withdrawn, the reason, who decided and when.
                 At most one open (pending or approved) application per unit and account.
    UnitMember   a learner of the unit: someone it bought a seat for (source "seat", with the plan
                 and its year) or registered in bulk (source "bulk"; year of the upload, no plan).
    GroupCheckRecord
                 who ran a group check for which unit and plan, and which ID numbers (masked) it
                 asked about: kept for staff.
"""
import peewee

from app.accounts.models import User
from app.certs.models import Unit as CertUnit
from app.db import BaseModel, utcnow
from app.learning.models import Project

UNIT_STATES = ("pending", "active", "rejected")
CONTACT_STATES = ("pending", "approved", "rejected", "withdrawn")
OPEN_CONTACT_STATES = ("pending", "approved")
MEMBER_SOURCES = ("seat", "bulk")


class Unit(BaseModel):
    name = peewee.CharField(max_length=100)  # full name (单位全称)
    credit_code = peewee.CharField(max_length=18, unique=True)  # 统一社会信用代码, check character verified
    district_code = peewee.CharField(max_length=6)  # GB/T 2260 code of the district/county (app.certs.districts)
    status = peewee.CharField(max_length=10, default="pending", index=True)
    created_by = peewee.ForeignKeyField(User, null=True, backref="units_registered", on_delete="SET NULL")
    cert_unit = peewee.ForeignKeyField(CertUnit, null=True, unique=True, on_delete="SET NULL")
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "unit"


class UnitContact(BaseModel):
    unit = peewee.ForeignKeyField(Unit, backref="contacts", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="unit_contacts", on_delete="CASCADE")
    email = peewee.CharField(max_length=120)
    state = peewee.CharField(max_length=10, default="pending", index=True)
    reason = peewee.CharField(max_length=200, default="")  # why rejected or withdrawn
    decided_by = peewee.ForeignKeyField(User, null=True, backref="unit_contacts_decided", on_delete="SET NULL")
    decided_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "unit_contact"


UnitContact.add_index(UnitContact.unit, UnitContact.user, unique=True,
                      where=UnitContact.state.in_(OPEN_CONTACT_STATES), name="unit_contact_one_open")


class UnitMember(BaseModel):
    unit = peewee.ForeignKeyField(Unit, backref="members", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="unit_memberships", on_delete="CASCADE")
    source = peewee.CharField(max_length=8)  # seat / bulk
    year = peewee.IntegerField(default=0)  # the plan's year (seat) or the upload's year (bulk)
    project = peewee.ForeignKeyField(Project, null=True, on_delete="SET NULL")  # seat only

    class Meta:
        table_name = "unit_member"
        indexes = ((("unit", "user", "source", "year"), True),)


class GroupCheckRecord(BaseModel):
    unit = peewee.ForeignKeyField(Unit, backref="group_checks", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="group_checks", on_delete="CASCADE")  # who asked
    project = peewee.ForeignKeyField(Project, on_delete="CASCADE")
    line_count = peewee.IntegerField()
    failed_count = peewee.IntegerField(default=0)
    ids_masked = peewee.TextField(default="[]")  # JSON list of masked ID numbers, in list order

    class Meta:
        table_name = "unit_group_check"


MODELS = [Unit, UnitContact, UnitMember, GroupCheckRecord]
