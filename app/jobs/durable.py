"""Durable jobs: recorded in the database with the state change that needs them, re-queued from there.

RQ keeps its queue in Redis, whose replication is asynchronous: a failover can lose a job queued a
moment before, and a worker killed mid-job is re-run only by RQ's maintenance pass. A job that must not
be lost (what follows a payment, a WeChat message, an invoice's reversal) is therefore a `durable_job`
row written in the same transaction as the state change (`record`), queued after the commit
(`enqueue_recorded`), marked done by the job itself (`run_durable`), and queued again by the periodic
`sweep` (under the clock's slot lock) while it is not done.

The sweep is the one retry chain of these jobs (RQ queues them without retries of its own): a pending
row is due again DURABLE_JOB_GRACE_SECONDS after its first queuing, then twice as long after each
further one, up to DURABLE_JOB_MAX_BACKOFF_SECONDS. After DURABLE_JOB_MAX_ATTEMPTS queuings it turns
`failed` with an error in the log; `flask jobs durable` lists such rows and `flask jobs durable-retry`
queues them again. The functions run this way are idempotent: running one twice changes nothing more.
"""
import datetime
import json
import logging
import secrets

import peewee
from flask import current_app

from app.db import BaseModel, db, utcnow
from app.jobs import enqueue, resolve

log = logging.getLogger(__name__)
SWEEP_BATCH = 500
BUSY = "busy"  # what a durable function returns when another run holds its lock (the row stays pending)


class DurableJob(BaseModel):
    func = peewee.CharField(max_length=120)  # "module:function"
    args = peewee.TextField(default="[]")  # JSON list
    key = peewee.CharField(max_length=120, unique=True)  # one row per event
    status = peewee.CharField(max_length=8, default="pending", index=True)  # pending | done | failed
    attempts = peewee.IntegerField(default=0)  # times queued
    enqueued_at = peewee.DateTimeField(null=True, index=True)
    due_at = peewee.DateTimeField(null=True, index=True)  # when the sweep queues it again if still pending
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


def backoff(attempt):
    """How long after its `attempt`-th queuing a job still pending is queued again."""
    cfg = current_app.config
    seconds = cfg["DURABLE_JOB_GRACE_SECONDS"] * 2 ** min(max(attempt - 1, 0), 30)
    return datetime.timedelta(seconds=min(seconds, max(cfg["DURABLE_JOB_MAX_BACKOFF_SECONDS"],
                                                       cfg["DURABLE_JOB_GRACE_SECONDS"])))


def enqueue_recorded(row):
    """Queue a recorded job (after the commit). A queue failure only logs: the sweep queues it later."""
    attempt, now = DurableJob.get_by_id(row.id).attempts + 1, utcnow()
    DurableJob.update(attempts=attempt, enqueued_at=now, due_at=now + backoff(attempt)).where(
        DurableJob.id == row.id).execute()
    try:
        # A random part in the id: after `retry` the attempts count again from 1, and RQ keeps failed jobs' ids.
        return enqueue(run_durable, row.id, job_id=f"durable-{row.id}-{attempt}-{secrets.token_hex(4)}", retry=())
    except Exception:  # noqa: BLE001  (the state change is committed: the sweep re-queues)
        log.exception("durable job %s recorded, but queuing it failed", row.id)
        return None


def _give_up(row):
    """Past the last attempt: the row turns failed, for an operator (see the module)."""
    DurableJob.update(status="failed").where(DurableJob.id == row.id, DurableJob.status == "pending").execute()
    log.error("durable job %s (%s, key %s) failed after %s attempts; last error: %s. "
              "Queue it again with `flask jobs durable-retry %s` once the cause is fixed",
              row.id, row.func, row.key, row.attempts, row.last_error or "none", row.id)


def run_durable(row_id):
    """Worker: run the recorded function unless done, then mark the row done."""
    row = DurableJob.get_or_none(DurableJob.id == row_id)
    if row is None:
        return "missing"  # its transaction has not committed (or rolled back): the sweep decides later
    if row.status != "pending":
        return row.status
    try:
        result = resolve(row.func)(*json.loads(row.args))
    except Exception as exc:
        DurableJob.update(last_error=f"{type(exc).__name__}: {exc}"[:200]).where(DurableJob.id == row.id).execute()
        raise
    if result == BUSY:
        return result  # another run holds the work right now: the row stays pending for the sweep
    DurableJob.update(status="done", done_at=utcnow()).where(DurableJob.id == row.id,
                                                             DurableJob.status == "pending").execute()
    return result


def sweep(now=None):
    """Periodic: queue again every pending row that is due (or that was recorded but never queued), or give
    it up after its last attempt. Returns how many were queued."""
    now = now or utcnow()
    never_queued = DurableJob.due_at.is_null() & (
        DurableJob.created_at <= now - datetime.timedelta(seconds=current_app.config["DURABLE_JOB_GRACE_SECONDS"]))
    rows = list(DurableJob.select().where(DurableJob.status == "pending", (DurableJob.due_at <= now) | never_queued)
                .order_by(DurableJob.id).limit(SWEEP_BATCH))
    queued = []
    for row in rows:
        if row.attempts >= current_app.config["DURABLE_JOB_MAX_ATTEMPTS"]:
            _give_up(row)
        else:
            enqueue_recorded(row)
            queued.append(row.id)
    if queued:
        log.warning("durable jobs queued again: %s", queued)
    return len(queued)


def retry(row_id=None):
    """Operators: queue failed rows again with a fresh count of attempts (one row, or every failed one)."""
    query = DurableJob.select().where(DurableJob.status == "failed")
    if row_id is not None:
        query = query.where(DurableJob.id == row_id)
    rows = list(query.order_by(DurableJob.id))
    for row in rows:
        DurableJob.update(status="pending", attempts=0, due_at=None).where(DurableJob.id == row.id).execute()
        enqueue_recorded(row)
    return [r.id for r in rows]
