"""Durable jobs: when the sweep queues a pending job again (growing after each attempt), and a `failed`
state after DURABLE_JOB_MAX_ATTEMPTS (app/jobs/durable.py)."""
from peewee import DateTimeField


def up(migrator, db):
    migrator.migrate(migrator.add_column("durable_job", "due_at", DateTimeField(null=True)),
                     migrator.add_index("durable_job", ("due_at",), False))
