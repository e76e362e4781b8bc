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
