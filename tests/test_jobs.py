"""The job queue and the clock, through real Redis."""
import time

from rq.registry import ScheduledJobRegistry

from app.jobs import clock, enqueue
from app.redis_client import get_redis
from tests import jobs_fixtures


def test_jobs_run_through_redis(app, drain):
    enqueue(jobs_fixtures.record, "a")
    enqueue(jobs_fixtures.record, "b")
    assert app.extensions["queue"].count == 2
    drain()
    assert get_redis().lrange("test:jobs:done", 0, -1) == ["a", "b"]
    assert app.extensions["queue"].count == 0


def test_failed_job_is_retried_with_backoff(app, drain):
    job = enqueue(jobs_fixtures.flaky, "x", retry=(3,))
    drain()
    job.refresh()
    assert job.get_status() == "scheduled"  # retried after its backoff, not at once
    assert job.id in ScheduledJobRegistry(queue=app.extensions["queue"])
    drain()
    assert get_redis().lrange("test:jobs:done", 0, -1) == []  # not before the backoff
    deadline = time.monotonic() + 15
    while not get_redis().lrange("test:jobs:done", 0, -1) and time.monotonic() < deadline:
        time.sleep(0.5)
        drain()  # its scheduler re-queues the job once the backoff has passed
    assert get_redis().lrange("test:jobs:done", 0, -1) == ["x"]


def test_same_job_id_enqueues_once(app, drain):
    enqueue(jobs_fixtures.record, "once", job_id="event-42")
    enqueue(jobs_fixtures.record, "once", job_id="event-42")
    drain()
    assert get_redis().lrange("test:jobs:done", 0, -1) == ["once"]


def test_clock_fires_each_period_once_across_clocks(app, drain, monkeypatch):
    monkeypatch.setattr(clock, "PERIODIC", [("test-record", 60, jobs_fixtures.record)])
    now = 1_800_000_000.0
    assert clock.tick(now) == ["test-record"]
    assert clock.tick(now + 1) == []  # a second clock process in the same slot
    assert clock.tick(now + 61) == ["test-record"]
    assert get_redis().get("clock:last_tick") == str(int(now + 61))


def test_periodic_prune_of_old_auth_events(app, drain):
    import datetime

    from app.accounts.models import AuthEvent
    from app.db import utcnow
    from app.periodic import prune_auth_events

    AuthEvent.create(kind="login", created_at=utcnow() - datetime.timedelta(days=200))
    AuthEvent.create(kind="login")
    enqueue(prune_auth_events)
    drain()
    assert AuthEvent.select().count() == 1
