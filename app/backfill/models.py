"""补学 applications, their images and the reviewers' decisions.

    BackfillApplication  one per learner and earlier year's plan (grant-only project): the kind
                         ("proof": the 附件3 payment-proof form; "letter": a signed 缴费承诺书), the form's
                         fields, the state (pending / approved / rejected), when it was (re)submitted and
                         the working day its review is due, the latest decision. A rejected application
                         is corrected and sent again (the same row goes back to pending).
    BackfillImage        a re-encoded JPEG kept in storage: uploaded by `user`, attached to an application
                         once submitted (application empty until then). Originals are never kept.
    BackfillDecision     every approval or rejection: who, when, the reason code and text.
"""
import peewee

from app.accounts.models import User
from app.db import BaseModel
from app.learning.models import Project

KINDS = ("proof", "letter")
STATES = ("pending", "approved", "rejected")


class BackfillApplication(BaseModel):
    user = peewee.ForeignKeyField(User, backref="backfill_applications", on_delete="CASCADE")
    project = peewee.ForeignKeyField(Project, backref="backfill_applications", on_delete="CASCADE")
    kind = peewee.CharField(max_length=8)
    state = peewee.CharField(max_length=10, default="pending", index=True)
    order_no = peewee.CharField(max_length=64, default="")  # on the earlier platform (proof only)
    order_key = peewee.CharField(max_length=64, default="", index=True)  # order_no normalised, for duplicates
    payer = peewee.CharField(max_length=60, default="")
    paid_on = peewee.DateField(null=True)
    platform = peewee.CharField(max_length=60, default="")
    submitted_at = peewee.DateTimeField()
    due_on = peewee.DateField()  # China date: three working days after submission
    submissions = peewee.IntegerField(default=1)
    reason_code = peewee.CharField(max_length=20, default="")
    reason_text = peewee.CharField(max_length=200, default="")
    decided_by = peewee.ForeignKeyField(User, null=True, backref="backfill_decided", on_delete="SET NULL")
    decided_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "backfill_application"
        indexes = ((("user", "project"), True),)


class BackfillImage(BaseModel):
    user = peewee.ForeignKeyField(User, backref="backfill_images", on_delete="CASCADE")
    application = peewee.ForeignKeyField(BackfillApplication, null=True, backref="images", on_delete="CASCADE")
    position = peewee.IntegerField(default=0)
    key = peewee.CharField(max_length=200)
    width = peewee.IntegerField()
    height = peewee.IntegerField()
    size = peewee.IntegerField()
    source = peewee.CharField(max_length=8, default="image")  # image / pdf (a page of an uploaded PDF)

    class Meta:
        table_name = "backfill_image"


class BackfillDecision(BaseModel):
    application = peewee.ForeignKeyField(BackfillApplication, backref="decisions", on_delete="CASCADE")
    staff = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    staff_name = peewee.CharField(max_length=60, default="")
    approved = peewee.BooleanField()
    reason_code = peewee.CharField(max_length=20, default="")
    reason_text = peewee.CharField(max_length=200, default="")

    class Meta:
        table_name = "backfill_decision"


MODELS = [BackfillApplication, BackfillImage, BackfillDecision]
