"""Durable jobs: a job recorded in the database with the state change that needs it (app/jobs/durable.py)."""
import datetime

from peewee import CharField, DateTimeField, IntegerField, Model, TextField


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class DurableJob(Model):
    created_at = DateTimeField(default=_now)
    func = CharField(max_length=120)
    args = TextField(default="[]")
    key = CharField(max_length=120, unique=True)
    status = CharField(max_length=8, default="pending", index=True)
    attempts = IntegerField(default=0)
    enqueued_at = DateTimeField(null=True, index=True)
    done_at = DateTimeField(null=True)
    last_error = CharField(max_length=200, default="")

    class Meta:
        table_name = "durable_job"


def up(migrator, db):
    with db.bind_ctx([DurableJob]):
        db.create_tables([DurableJob])
