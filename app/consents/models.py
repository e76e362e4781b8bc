"""One accepted document version per row."""
import peewee

from app.accounts.models import User
from app.db import BaseModel, utcnow


class Consent(BaseModel):
    user = peewee.ForeignKeyField(User, backref="consents", on_delete="CASCADE")
    document = peewee.CharField(max_length=20)  # a key of app.consents.DOCUMENTS
    version = peewee.CharField(max_length=20)
    accepted_at = peewee.DateTimeField(default=utcnow)
    ip = peewee.CharField(max_length=64, default="")

    class Meta:
        table_name = "consent"
        indexes = ((("user", "document", "version"), False),)
