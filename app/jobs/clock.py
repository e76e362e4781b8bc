"""Periodic jobs: a clock process enqueues each job once per period.

Several clock processes may run (one per machine): each period slot is claimed with
SET NX in Redis, so a job is enqueued once per slot whichever clock gets there first.
"""
import logging
import time

from flask import current_app

from app.jobs import enqueue

log = logging.getLogger(__name__)

# (name, period in seconds, function)
PERIODIC = []


def periodic(name, seconds):
    """Register a function to be enqueued every `seconds` (a number, or a function of the app's config)."""

    def decorator(func):
        PERIODIC.append((name, seconds, func))
        return func

    return decorator


def tick(now=None):
    """Enqueue the jobs whose period slot has not been claimed yet; returns their names."""
    from app.redis_client import get_redis

    now = time.time() if now is None else now
    r = get_redis()
    fired = []
    for name, period, func in PERIODIC:
        seconds = period(current_app.config) if callable(period) else period  # a period may come from settings
        slot = int(now // seconds)
        if r.set(f"clock:{name}:{slot}", int(now), nx=True, ex=seconds * 2):
            enqueue(func, job_id=f"periodic-{name}-{slot}")
            fired.append(name)
    r.set("clock:last_tick", int(now))
    return fired


def run_forever(interval=1.0):
    flask_app = current_app._get_current_object()
    log.info("clock started with %d periodic jobs", len(PERIODIC))
    while True:
        with flask_app.app_context():
            for name in tick():
                log.info("enqueued periodic job %s", name)
        time.sleep(interval)
