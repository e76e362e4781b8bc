"""What the benches share besides wrk: a fresh PostgreSQL database, a flushed Redis database, valid
bench identities, and the real server (gunicorn on a loopback port) with a look at its log.

Importing it puts the project root on sys.path, so that `app` imports when a bench script runs as
bench/<script>.py. The wrk runs and their report tables are in bench/wrk_runs.py.
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so that `app` imports when run as bench/<script>.py

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
# The server's shape: 2 workers x 4 threads unless BENCH_WORKERS / BENCH_THREADS say otherwise.
GUNICORN_ARGS = ["--worker-class", "gthread", "--workers", os.environ.get("BENCH_WORKERS", "2"),
                 "--threads", os.environ.get("BENCH_THREADS", "4")]
# Lines of the server log that deserve attention.
LOG_PROBLEM = re.compile(r"Traceback|\bERROR\b|\[CRITICAL\]|WORKER TIMEOUT|Exception")

# A direct opener: loopback requests must never go through an HTTP proxy from the environment.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ---------------------------------------------------------------------------------------------
# Database, Redis and bench users
# ---------------------------------------------------------------------------------------------

def database_url(admin_url, name):
    """The admin URL with its database name replaced."""
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path="/" + name))


@contextmanager
def fresh_database(admin_url):
    """Create an empty database `ce_bench_<random>`; drop it (even if in use) on the way out."""
    admin = psycopg2.connect(admin_url, connect_timeout=5)
    admin.autocommit = True
    name = f"ce_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        try:
            yield database_url(admin_url, name)
        finally:
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


@contextmanager
def flushed_redis(url):
    """Flush the bench Redis database before and after."""
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    client.flushdb()
    try:
        yield
    finally:
        client.flushdb()
        client.close()


def bench_identity(i):
    """A valid ID number (GB 11643 check digit) and a distinct mobile for bench user `i`."""
    from app.accounts import rules

    birth = time.strftime("%Y%m%d", time.gmtime(i * 37 * 86400))  # spread from 1970-01-01
    first17 = f"500103{birth}{i % 1000:03d}"
    id_number = rules.clean_id_number(first17 + rules.check_digit(first17))
    mobile = rules.clean_mobile(f"139{i:08d}")
    return id_number, mobile


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------

def free_port():
    """BENCH_PORT when set (machines where bench ports are assigned), else any free loopback port."""
    if os.environ.get("BENCH_PORT"):
        return int(os.environ["BENCH_PORT"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(method, url, body=None, headers=None):
    """One JSON request; returns the decoded envelope or raises with the server's answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with HTTP.open(request, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as err:
        raise RuntimeError(f"{method} {url} answered {err.code}: {err.read()[:300]!r}") from None


def log_tail(path, lines=30):
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


def wait_until_ready(base_url, proc, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}:\n{log_tail(log_path)}")
        try:
            with HTTP.open(base_url + "/api/v1/ping", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout}s:\n{log_tail(log_path)}")


def stop_process(proc, timeout=35):
    """SIGTERM (gunicorn's graceful shutdown), then SIGKILL if it hangs."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def gunicorn_server(env, log_path, app_path="wsgi:app"):
    """Run `gunicorn wsgi:app` (or `app_path`, found from the project root or bench/) on a free loopback port;
    yields its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", *GUNICORN_ARGS, "--pythonpath", f"{ROOT},{ROOT / 'bench'}",
           "--bind", f"127.0.0.1:{port}", app_path]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_ready(base_url, proc, log_path)
            yield base_url
        finally:
            stop_process(proc)


def log_problems(log_path):
    """Lines of the server log that look like errors."""
    return [line for line in Path(log_path).read_text(errors="replace").splitlines() if LOG_PROBLEM.search(line)]


def print_log_problems(problems, limit=20):
    if not problems:
        print("gunicorn log: no errors")
        return
    print(f"gunicorn log: {len(problems)} suspicious line(s), first {min(limit, len(problems))}:")
    for line in problems[:limit]:
        print("  " + line)


def exit_on_sigterm(signum, frame):
    """Turn SIGTERM into SystemExit so that the server is stopped and the database dropped."""
    sys.exit(128 + signum)
