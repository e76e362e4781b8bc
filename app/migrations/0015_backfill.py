"""补学: back-fill applications of earlier years, their images and the reviewers' decisions."""
import datetime

from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, Model


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    class Meta:
        table_name = "account"


class Project(Model):
    class Meta:
        table_name = "project"


class BackfillApplication(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    project = ForeignKeyField(Project, on_delete="CASCADE", column_name="project_id")
    kind = CharField(max_length=8)
    state = CharField(max_length=10, default="pending", index=True)
    order_no = CharField(max_length=64, default="")
    order_key = CharField(max_length=64, default="", index=True)
    payer = CharField(max_length=60, default="")
    paid_on = DateField(null=True)
    platform = CharField(max_length=60, default="")
    submitted_at = DateTimeField()
    due_on = DateField()
    submissions = IntegerField(default=1)
    reason_code = CharField(max_length=20, default="")
    reason_text = CharField(max_length=200, default="")
    decided_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="decided_by_id",
                                 backref="decided")
    decided_at = DateTimeField(null=True)

    class Meta:
        table_name = "backfill_application"
        indexes = ((("user", "project"), True),)


class BackfillImage(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    application = ForeignKeyField(BackfillApplication, null=True, on_delete="CASCADE", column_name="application_id")
    position = IntegerField(default=0)
    key = CharField(max_length=200)
    width = IntegerField()
    height = IntegerField()
    size = IntegerField()
    source = CharField(max_length=8, default="image")

    class Meta:
        table_name = "backfill_image"


class BackfillDecision(Model):
    created_at = DateTimeField(default=_now)
    application = ForeignKeyField(BackfillApplication, on_delete="CASCADE", column_name="application_id")
    staff = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="staff_id")
    staff_name = CharField(max_length=60, default="")
    approved = BooleanField()
    reason_code = CharField(max_length=20, default="")
    reason_text = CharField(max_length=200, default="")

    class Meta:
        table_name = "backfill_decision"


MODELS = [Account, Project, BackfillApplication, BackfillImage, BackfillDecision]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS[2:])
