"""The catalogue (training projects and their courses) and who owns which plan."""
import peewee

from app.accounts.models import User
from app.db import BaseModel, utcnow


class Project(BaseModel):
    """A yearly training project (学习计划), e.g. "2026年公需科目"."""

    year = peewee.IntegerField(index=True)
    name = peewee.CharField(max_length=60)
    description = peewee.TextField(default="")
    price_fen = peewee.IntegerField()
    credit_hours = peewee.IntegerField(default=30)  # requirement of the plan
    sale_start = peewee.DateTimeField()
    sale_end = peewee.DateTimeField()
    is_published = peewee.BooleanField(default=True)

    class Meta:
        table_name = "project"

    def on_sale(self, now=None):
        now = now or utcnow()
        return self.is_published and self.sale_start <= now < self.sale_end


class Course(BaseModel):
    project = peewee.ForeignKeyField(Project, backref="courses", on_delete="CASCADE")
    title = peewee.CharField(max_length=80)
    lecturer = peewee.CharField(max_length=40, default="")
    summary = peewee.TextField(default="")
    credit_hours = peewee.IntegerField()
    position = peewee.IntegerField(default=0)

    class Meta:
        table_name = "course"


class Enrollment(BaseModel):
    """A learner owns a plan: bought it, was given a seat by their unit, or was granted it by staff."""

    user = peewee.ForeignKeyField(User, backref="enrollments", on_delete="CASCADE")
    project = peewee.ForeignKeyField(Project, backref="enrollments", on_delete="CASCADE")
    source = peewee.CharField(max_length=16)  # purchase / group / grant / backfill
    order_id = peewee.IntegerField(null=True)
    seat_id = peewee.IntegerField(null=True)
    status = peewee.CharField(max_length=16, default="active", index=True)  # active / revoked
    started_at = peewee.DateTimeField(null=True)  # first learning activity
    certified_at = peewee.DateTimeField(null=True)  # certificate issued
    revoked_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "enrollment"
        indexes = ((("user", "project"), True),)
