"""One bulk registration: the uploaded 附件2 list, its progress and the result workbook."""
import peewee

from app.accounts.models import User
from app.db import BaseModel
from app.units.models import Unit

STATES = ("queued", "running", "done", "failed")


class BulkRegistration(BaseModel):
    unit = peewee.ForeignKeyField(Unit, backref="bulk_registrations", on_delete="CASCADE")
    uploaded_by = peewee.ForeignKeyField(User, null=True, backref="bulk_uploads", on_delete="SET NULL")
    by_staff = peewee.BooleanField(default=False)  # staff uploaded on the unit's behalf
    filename = peewee.CharField(max_length=120)
    year = peewee.IntegerField()
    state = peewee.CharField(max_length=8, default="queued", index=True)
    total = peewee.IntegerField(default=0)
    processed = peewee.IntegerField(default=0)
    created_count = peewee.IntegerField(default=0)
    linked_count = peewee.IntegerField(default=0)
    refused_count = peewee.IntegerField(default=0)
    # The upload waits here for the worker and is erased once read (it holds ID numbers and mobiles).
    source = peewee.BlobField(null=True)
    result = peewee.BlobField(null=True)  # the result workbook (ID numbers and mobiles masked)
    error = peewee.CharField(max_length=200, default="")  # why the whole list was refused (user-facing)
    mailed_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "bulk_registration"
