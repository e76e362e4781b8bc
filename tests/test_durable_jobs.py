"""Durable jobs: recorded with their state change in the database, re-queued from there when Redis lost them."""
import datetime

from app.db import utcnow
from app.jobs import durable, queue
from app.jobs.durable import DurableJob
from app.pay import settle
from app.redis_client import get_redis
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    buyer_fixture,
    fast_sandbox_fixture,
    order_fixture,
    pay_and_settle,
    project_fixture,
    reload,
)


def later(seconds):
    return utcnow() + datetime.timedelta(seconds=seconds)


def test_a_recorded_job_lost_from_the_queue_is_queued_again_by_the_sweep_and_runs_once(app, drain):
    row = durable.record("tests.jobs_fixtures:record", "paid-42", key="test-42")
    assert durable.record("tests.jobs_fixtures:record", "paid-42", key="test-42").id == row.id  # one row per key
    durable.enqueue_recorded(row)
    queue().empty()  # a failover lost the queued job (asynchronous replication)
    assert durable.sweep() == 0  # still inside the grace period: nothing yet
    assert durable.sweep(now=later(app.config["DURABLE_JOB_GRACE_SECONDS"] + 1)) == 1
    drain()
    after = DurableJob.get_by_id(row.id)
    assert (after.status, after.attempts) == ("done", 2)
    assert get_redis().lrange("test:jobs:done", 0, -1) == ["paid-42"]
    assert durable.sweep(now=later(10 * app.config["DURABLE_JOB_GRACE_SECONDS"])) == 0  # done: never again


def test_a_failing_durable_job_stays_pending_with_its_error(app):
    row = durable.record("tests.jobs_fixtures:flaky", "x", key="test-flaky")
    try:
        durable.run_durable(row.id)
    except ConnectionError as exc:
        assert str(exc) == "transient failure"
    after = DurableJob.get_by_id(row.id)
    assert (after.status, after.last_error) == ("pending", "ConnectionError: transient failure")
    assert durable.run_durable(row.id) is None  # flaky() returns nothing the second time
    assert DurableJob.get_by_id(row.id).status == "done"
    assert durable.run_durable(row.id) == "done"  # a second run changes nothing
    assert get_redis().lrange("test:jobs:done", 0, -1) == ["x"]


def test_a_payment_records_its_after_paid_job_in_the_same_transaction(app, drain, sandbox_api, order):
    assert DurableJob.select().count() == 0
    queue().empty()
    pay_and_settle(sandbox_api, order)
    [row] = DurableJob.select().where(DurableJob.key == f"after-paid-{order.id}")
    assert (row.func, row.args, row.status) == (settle.AFTER_PAID_JOB, f"[{order.id}]", "pending")
    queue().empty()  # lost with Redis
    assert durable.sweep(now=later(app.config["DURABLE_JOB_GRACE_SECONDS"] + 1)) == 1
    drain()
    assert DurableJob.get_by_id(row.id).status == "done"
    assert reload(order).status == "paid"


def _due_in(row):
    row = DurableJob.get_by_id(row.id)
    return round((row.due_at - row.enqueued_at).total_seconds())


def test_durable_jobs_are_queued_without_rq_retries_of_their_own(app):
    row = durable.record("tests.jobs_fixtures:record", "r", key="test-no-rq-retry")
    job = durable.enqueue_recorded(row)
    assert job.id.startswith(f"durable-{row.id}-1-")
    assert job.retries_left is None  # the sweep is the one retry chain
    assert _due_in(row) == app.config["DURABLE_JOB_GRACE_SECONDS"]


def test_a_job_that_keeps_failing_backs_off_then_fails_for_an_operator(app, drain, caplog):
    app.config.update(DURABLE_JOB_GRACE_SECONDS=60, DURABLE_JOB_MAX_BACKOFF_SECONDS=300, DURABLE_JOB_MAX_ATTEMPTS=5)
    row = durable.record("tests.jobs_fixtures:broken", "x", key="test-broken")
    durable.enqueue_recorded(row)
    gaps, now = [], utcnow()
    for attempt in range(1, 6):
        drain()  # fails: RQ does not retry it
        assert queue().count == 0
        current = DurableJob.get_by_id(row.id)
        assert (current.status, current.attempts, current.last_error) == (
            "pending", attempt, "ValueError: broken for good: x")
        gaps.append(_due_in(row))
        assert durable.sweep(now=current.due_at - datetime.timedelta(seconds=1)) == 0  # not yet due
        now = current.due_at
        assert durable.sweep(now=now) == (1 if attempt < 5 else 0)
    assert gaps == [60, 120, 240, 300, 300]  # doubled, capped
    failed = DurableJob.get_by_id(row.id)
    assert (failed.status, failed.attempts) == ("failed", 5)
    assert f"durable job {row.id} (tests.jobs_fixtures:broken, key test-broken) failed after 5 attempts" in caplog.text
    assert durable.sweep(now=now + datetime.timedelta(days=30)) == 0  # never again by itself
    listed = app.test_cli_runner().invoke(args=["jobs", "durable"])
    assert f"{row.id} failed tests.jobs_fixtures:broken key=test-broken attempts=5" in listed.output
    assert listed.output.rstrip().endswith("1 not done")
    retried = app.test_cli_runner().invoke(args=["jobs", "durable-retry", str(row.id)])
    assert retried.output.strip() == f"queued again: [{row.id}]"
    again = DurableJob.get_by_id(row.id)
    assert (again.status, again.attempts) == ("pending", 1)
    assert queue().count == 1


def test_a_row_recorded_but_never_queued_is_swept_after_the_grace(app):
    row = durable.record("tests.jobs_fixtures:record", "late", key="test-never-queued")  # the process died here
    grace = app.config["DURABLE_JOB_GRACE_SECONDS"]
    assert durable.sweep(now=row.created_at + datetime.timedelta(seconds=grace - 1)) == 0
    assert durable.sweep(now=row.created_at + datetime.timedelta(seconds=grace)) == 1
    assert DurableJob.get_by_id(row.id).attempts == 1
