"""Durable jobs: recorded in the database with the state change that needs them, re-queued from there.

RQ keeps its queue in Redis, whose replication is asynchronous: a failover can lose a job queued a
moment before, and a worker killed mid-job is re-run only by RQ's maintenance pass. A job that must not
be lost (what follows a payment, a WeChat message) is therefore a `durable_job` row written in the same
transaction as the state change (`record`), queued after the commit (`enqueue_recorded`), marked done by
the job itself (`run_durable`), and queued again by the periodic `sweep` (under the clock's slot lock)
while it is not done DURABLE_JOB_GRACE_SECONDS after its last queuing. The functions run this way are
idempotent: running one twice changes nothing more.
"""
import datetime
import json
import logging

import peewee
from flask import current_app

from app.db import BaseModel, db, utcnow

log = logging.getLogger(__name__)
SWEEP_BATCH = 500
BUSY = "busy"  # what a durable function returns when another run holds its lock (the row stays pending)


class DurableJob(BaseModel):
    func = peewee.CharField(max_length=120)  # "module:function"
    args = peewee.TextField(default="[]")  # JSON list
    key = peewee.CharField(max_length=120, unique=True)  # one row per event
    status = peewee.CharField(max_length=8, default="pending", index=True)  # pending | done
    attempts = peewee.IntegerField(default=0)  # times queued
    enqueued_at = peewee.DateTimeField(null=True, index=True)
    done_at = peewee.DateTimeField(null=True)
    last_error = peewee.CharField(max_length=200, default="")

    class Meta:
        table_name = "durable_job"


def record(func, *args, key):
    """Write the job's row (call inside the state change's transaction); the same key twice: one row."""
    path = func if isinstance(func, str) else f"{func.__module__}:{func.__qualname__}"
    with db.atomic():
        try:
            return DurableJob.create(func=path, args=json.dumps(list(args)), key=key[:120])
        except peewee.IntegrityError:
            pass
    return DurableJob.get(DurableJob.key == key[:120])


def enqueue_recorded(row):
    """Queue a recorded job (after the commit). A queue failure only logs: the sweep queues it later."""
    from app.jobs import enqueue

    attempt = DurableJob.get_by_id(row.id).attempts + 1
    DurableJob.update(attempts=attempt, enqueued_at=utcnow()).where(DurableJob.id == row.id).execute()
    try:
        return enqueue(run_durable, row.id, job_id=f"durable-{row.id}-{attempt}")
    except Exception:  # noqa: BLE001  (the state change is committed: the sweep re-queues)
        log.exception("durable job %s recorded, but queuing it failed", row.id)
        return None


def run_durable(row_id):
    """Worker: run the recorded function unless done, then mark the row done."""
    import importlib

    row = DurableJob.get_or_none(DurableJob.id == row_id)
    if row is None:
        return "missing"  # its transaction has not committed (or rolled back): the sweep decides later
    if row.status == "done":
        return "done"
    module_name, _, name = row.func.partition(":")
    func = importlib.import_module(module_name)
    for part in name.split("."):
        func = getattr(func, part)
    try:
        result = func(*json.loads(row.args))
    except Exception as exc:
        DurableJob.update(last_error=f"{type(exc).__name__}: {exc}"[:200]).where(DurableJob.id == row.id).execute()
        raise
    if result == BUSY:
        return result  # another run holds the work right now: the row stays pending for the sweep
    DurableJob.update(status="done", done_at=utcnow()).where(DurableJob.id == row.id,
                                                             DurableJob.status == "pending").execute()
    return result


def sweep(now=None):
    """Periodic: queue again every pending row whose last queuing is older than the grace period."""
    grace = datetime.timedelta(seconds=current_app.config["DURABLE_JOB_GRACE_SECONDS"])
    cutoff = (now or utcnow()) - grace
    rows = list(DurableJob.select().where(DurableJob.status == "pending",
                                          DurableJob.enqueued_at.is_null() | (DurableJob.enqueued_at <= cutoff))
                .order_by(DurableJob.id).limit(SWEEP_BATCH))
    for row in rows:
        enqueue_recorded(row)
    if rows:
        log.warning("durable jobs queued again: %s", [r.id for r in rows])
    return len(rows)
