"""Background jobs on RQ over the same Redis (see docs/operations.md for why RQ).

Jobs are plain functions; the worker runs each one inside an application context with a
database connection of its own (see `run_in_app`).
"""
import logging

from flask import current_app
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

log = logging.getLogger(__name__)
DEFAULT_RETRY = (10, 30, 120, 600)


def retry_intervals():
    """Backoff between attempts (JOB_RETRY="10,30,120,600" seconds): a failed job runs len+1 times."""
    configured = current_app.config.get("JOB_RETRY")
    return tuple(int(x) for x in configured.split(",")) if configured else DEFAULT_RETRY


def init_app(app):
    # RQ stores pickled payloads: it needs a connection without response decoding.
    from app.redis_client import connect

    conn = connect(app.config, decode_responses=False)
    app.extensions["rq_connection"] = conn
    app.extensions["queue"] = Queue(app.config["QUEUE_NAME"], connection=conn)


def queue():
    return current_app.extensions["queue"]


def named_queue(name):
    """The queue `name` ("video": VIDEO_QUEUE_NAME, the transcoding queue; else the main queue)."""
    if name in (None, "", "default", current_app.config["QUEUE_NAME"]):
        return queue()
    real = current_app.config["VIDEO_QUEUE_NAME"] if name == "video" else name
    return Queue(real, connection=current_app.extensions["rq_connection"])


def enqueue(func, *args, retry=None, job_id=None, on_queue=None, **kwargs):
    """Queue `func(*args, **kwargs)` with retries and backoff; a job_id makes it idempotent.

    `func` is a function or its "module:name" path (a module may queue a job of a module that imports it);
    `on_queue="video"` puts it on the video queue (long transcodes never delay the main queue's jobs).
    """
    retry = retry_intervals() if retry is None else retry
    job_retry = Retry(max=len(retry), interval=list(retry)) if retry else None
    path = func if isinstance(func, str) else f"{func.__module__}:{func.__qualname__}"
    try:
        return named_queue(on_queue).enqueue_call(run_in_app, args=(path,) + args,
                                    kwargs=kwargs, retry=job_retry, job_id=job_id, unique=job_id is not None,
                                    description=path.replace(":", "."))
    except DuplicateJobError:
        log.info("job %s already queued", job_id)
        return None


def resolve(func_path):
    """The function named "module:name" (name may be dotted: "module:Class.method")."""
    import importlib

    module_name, _, name = func_path.partition(":")
    func = importlib.import_module(module_name)
    for part in name.split("."):
        func = getattr(func, part)
    return func


def run_in_app(func_path, *args, **kwargs):
    """Worker side: resolve the function and run it with a database connection."""
    from flask import has_app_context

    from app.db import db

    if not has_app_context():  # a forked work horse without the CLI's context
        with _worker_app().app_context():
            return run_in_app(func_path, *args, **kwargs)
    func = resolve(func_path)
    with db.connection_context():
        return func(*args, **kwargs)


_app = None


def _worker_app():
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app


def drain(app, max_jobs=None, queue_name=None):
    """Run every queued job now in this process, against real Redis (tests, CLI); `queue_name="video"` drains
    the video queue instead of the main one."""
    from rq import SimpleWorker

    with app.app_context():
        worker = SimpleWorker([named_queue(queue_name)], connection=app.extensions["rq_connection"])
        # with_scheduler: jobs whose retry backoff has elapsed are queued again first.
        worker.work(burst=True, max_jobs=max_jobs, with_scheduler=True, logging_level="WARNING")
