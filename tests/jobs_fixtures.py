"""Job functions used by the job tests (importable by the worker like real jobs)."""
from app.redis_client import get_redis


def record(value):
    get_redis().rpush("test:jobs:done", value)
    return value


def flaky(value):
    """Fails the first time it runs, succeeds after."""
    r = get_redis()
    if r.incr("test:jobs:flaky") == 1:
        raise ConnectionError("transient failure")
    r.rpush("test:jobs:done", value)


def broken(value):
    """Fails every time (a bug, or a dependency down for hours)."""
    raise ValueError(f"broken for good: {value}")
