"""Benchmark: login and "my account" under concurrent load, against a bare JSON endpoint.

It measures three endpoints of the real production server (gunicorn, gthread worker,
2 workers x 4 threads) with wrk:

  GET  /api/v1/ping                the bare JSON answer: the baseline
  GET  /api/v1/me                  the token and the cached, masked profile in one EVALSHA (the account
                                   row is read and decrypted only when the cache entry is missing)
  POST /api/v1/auth/login?token=1  password login: argon2id verification, writes, a new token

and prints, for each, the median requests/s, p50 and p99 latency over several rounds, and
its throughput as a fraction of the ping endpoint measured in the same round.

Note: at the time of writing the app opens a PostgreSQL connection in a before_request
hook for every request (no pool), ping included, so the baseline pays for that too.

On a small machine wrk competes with the server for the CPU, so the endpoints are
interleaved (ping, me, login, ping, me, login, ...) and medians are reported.

Everything is set up and torn down by the script: a fresh PostgreSQL database (created
from BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test, dropped at the
end), a Redis database (BENCH_REDIS_URL, default redis://127.0.0.1:6379/14, FLUSHED before
and after), migrations, the bench users and the server (APP_ENV=development, so no
production secrets are needed). Password hashing uses the production argon2 parameters
(the Config defaults); ARGON2_* variables in the environment are ignored.

Run from the project root:

    .venv/bin/python bench/bench_accounts.py [--rounds 3] [--duration 5] [--connections 16] [--json PATH]

BENCH_PORT fixes the server's port (default: any free one); BENCH_REDIS_URL may be a Unix socket
(unix:///path/redis.sock?db=15). It needs `wrk` on the PATH. The exit status is 1 when a run had non-2xx answers or
socket errors.
"""
import argparse
import json
import logging
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import cpu_meter  # bench/ is on sys.path when run
import psycopg2
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so that `app` imports when run as bench/bench_accounts.py

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
# The server's shape: 2 workers x 4 threads unless BENCH_WORKERS / BENCH_THREADS say otherwise.
GUNICORN_ARGS = ["--worker-class", "gthread", "--workers", os.environ.get("BENCH_WORKERS", "2"),
                 "--threads", os.environ.get("BENCH_THREADS", "4")]
ARGON2_VARS = ("ARGON2_TIME_COST", "ARGON2_MEMORY_KIB", "ARGON2_PARALLELISM")
PASSWORD = "Bench2026pass"
WRK_TIMEOUT = "10s"  # a slow answer is measured as latency, not counted as a socket error
# Lines of the server log that deserve attention.
LOG_PROBLEM = re.compile(r"Traceback|\bERROR\b|\[CRITICAL\]|WORKER TIMEOUT|Exception")

# A direct opener: loopback requests must never go through an HTTP proxy from the environment.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Target:
    """One endpoint under load; `script` is the wrk Lua file that builds its requests, if any."""

    name: str
    path: str
    script: Path | None = None


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


def prepare_database(db_url, redis_url, user_count):
    """Migrate the schema and create the bench users through the service layer.

    Returns (mobiles, argon2 parameters in force).
    """
    from app import create_app
    from app.accounts import rules, service
    from app.db import db, migrate

    flask_app = create_app({"APP_ENV": "development", "DATABASE_URL": db_url, "REDIS_URL": redis_url})
    mobiles = []
    with flask_app.app_context(), db.connection_context():
        migrate()
        for i in range(user_count):
            id_number, mobile = bench_identity(i)
            service.create_user(name="压测用户", id_number=id_number, mobile=mobile,
                                gender=rules.id_gender(id_number), password=PASSWORD)
            mobiles.append(mobile)
    return mobiles, {name: flask_app.config[name] for name in ARGON2_VARS}


def stored_hash_parameters(db_url):
    """The argon2 parameters of a password hash in the database, e.g. 'm=19456,t=2,p=1'.

    Logins rehash when the server's parameters differ, so after the run this shows what the
    server itself uses.
    """
    conn = psycopg2.connect(db_url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT password_hash FROM account WHERE last_login_at IS NOT NULL LIMIT 1")
            row = cur.fetchone()
    finally:
        conn.close()
    if row is None:
        return "no login recorded"
    parts = row[0].split("$")  # $argon2id$v=19$m=...,t=...,p=...$salt$hash
    return f"{parts[1]} {parts[3]}"


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


# ---------------------------------------------------------------------------------------------
# Load generation with wrk
# ---------------------------------------------------------------------------------------------

LUA_TEMPLATE = """\
-- Generated by bench/bench_accounts.py: each wrk thread cycles through pre-built requests.
local specs = {
%(specs)s
}
local threads = %(threads)d
local requests = {}
local counter = 0
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

function init(args)
  for k, s in ipairs(specs) do
    requests[k] = wrk.format(s.method, s.path, s.headers, s.body)
  end
  -- Start each wrk thread at a different place so that threads do not move in lockstep.
  counter = math.floor(#requests * (thread_id or 0) / threads)
end

function request()
  counter = counter %% #requests + 1
  return requests[counter]
end
"""


def lua_string(value):
    """A Lua string literal (JSON escaping is valid Lua for printable ASCII)."""
    if not (value.isascii() and value.isprintable()):
        raise ValueError(f"not printable ASCII: {value!r}")
    return json.dumps(value)


def lua_spec(method, path, headers, body=None):
    header_items = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
    body_lua = lua_string(body) if body is not None else "nil"
    return (f"  {{method = {lua_string(method)}, path = {lua_string(path)}, "
            f"headers = {{{header_items}}}, body = {body_lua}}},")


def write_lua(path, specs, threads):
    path.write_text(LUA_TEMPLATE % {"specs": "\n".join(specs), "threads": threads})
    return path


def fetch_tokens(base_url, mobiles):
    """Log every bench user in once, as the mini-program does, and keep the bearer tokens."""
    tokens = []
    for mobile in mobiles:
        answer = http_json("POST", base_url + "/api/v1/auth/login?token=1",
                           {"username": mobile, "password": PASSWORD})
        tokens.append(answer["data"]["token"])
    me = http_json("GET", base_url + "/api/v1/me", headers={"Authorization": f"Bearer {tokens[0]}"})
    if me.get("code") != "ok":
        raise RuntimeError(f"/api/v1/me answered {me!r}")
    return tokens


def build_targets(workdir, mobiles, tokens, threads):
    login_path = "/api/v1/auth/login?token=1"
    me_specs = [lua_spec("GET", "/api/v1/me", {"Authorization": f"Bearer {t}"}) for t in tokens]
    login_specs = [lua_spec("POST", login_path, {"Content-Type": "application/json"},
                            json.dumps({"username": m, "password": PASSWORD})) for m in mobiles]
    return [
        Target("GET  /api/v1/ping", "/api/v1/ping"),
        Target("GET  /api/v1/me", "/api/v1/me", write_lua(workdir / "me.lua", me_specs, threads)),
        Target(f"POST {login_path}", login_path, write_lua(workdir / "login.lua", login_specs, threads)),
    ]


_TIME_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text):
    if text is None:  # wrk prints no distribution when nothing completed
        return None
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"unexpected wrk time {text!r}")
    return float(match.group(1)) * _TIME_UNITS_MS[match.group(2)]


def parse_wrk(output):
    """Requests/s, p50/p99 (ms), request count and error counts from wrk's text output."""
    def number(pattern, default=None):
        match = re.search(pattern, output, re.MULTILINE)
        return match.group(1) if match else default

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "rps": float(number(r"Requests/sec:\s+([\d.]+)", "0")),
        "p50_ms": _ms(number(r"^\s+50(?:\.0+)?%\s+(\S+)\s*$")),
        "p99_ms": _ms(number(r"^\s+99(?:\.0+)?%\s+(\S+)\s*$")),
        "requests": int(number(r"(\d+) requests in", "0")),
        "non_2xx": int(number(r"Non-2xx or 3xx responses:\s+(\d+)", "0")),
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def run_wrk(base_url, target, threads, connections, duration):
    """One wrk run; a run with non-2xx answers, socket errors or no requests is marked failed."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", WRK_TIMEOUT, "--latency"]
    if target.script:
        cmd += ["-s", str(target.script)]
    cmd.append(base_url + target.path)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if proc.returncode != 0:
        return {"ok": False, "error": f"wrk exited {proc.returncode}: {proc.stderr.strip()}", "output": proc.stdout}
    result = parse_wrk(proc.stdout)
    result["ok"] = (result["requests"] > 0 and result["p99_ms"] is not None
                    and result["non_2xx"] == 0 and result["socket_errors"] == 0)
    if not result["ok"]:
        result["error"] = (f"{result['non_2xx']} non-2xx answers, {result['socket_errors']} socket errors "
                           f"out of {result['requests']} requests")
        result["output"] = proc.stdout
    return result


def measure(base_url, targets, opts, meter=None):
    """Interleave the endpoints for `opts.rounds` rounds (after an unrecorded warm-up), each run with the CPU
    the server's processes spent per request when a cpu_meter.Meter is given."""
    if opts.warmup > 0:
        print(f"warm-up: {opts.warmup}s per endpoint")
        for target in targets:
            run_wrk(base_url, target, opts.threads, opts.connections, opts.warmup)
    runs = []
    for round_no in range(1, opts.rounds + 1):
        for target in targets:
            if meter:
                cpu_meter.wait_idle(meter)
            before = meter.snapshot() if meter else None
            result = run_wrk(base_url, target, opts.threads, opts.connections, opts.duration)
            cpu = meter.per_request(before, meter.snapshot(), result.get("requests", 0)) if meter else {}
            result.update(endpoint=target.name, round=round_no, cpu_us=cpu)
            runs.append(result)
            print(progress_line(result, opts.rounds) + cpu_meter.line(cpu), flush=True)
    return runs


def progress_line(result, rounds):
    head = f"round {result['round']}/{rounds}  {result['endpoint']:<34}"
    if not result["ok"]:
        return f"{head} FAILED: {result['error']}"
    return f"{head} {result['rps']:9.1f} req/s  p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms"


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def summarize(runs, targets):
    """Per endpoint: medians of the successful runs, and the median of per-round ratios to ping."""
    baseline = targets[0].name
    ping_by_round = {r["round"]: r["rps"] for r in runs if r["endpoint"] == baseline and r["ok"]}
    summary = []
    for target in targets:
        mine = [r for r in runs if r["endpoint"] == target.name]
        good = [r for r in mine if r["ok"]]
        ratios = [r["rps"] / ping_by_round[r["round"]] for r in good if ping_by_round.get(r["round"])]
        summary.append({
            "endpoint": target.name, "runs": len(mine), "ok_runs": len(good),
            "rps": statistics.median(r["rps"] for r in good) if good else None,
            "p50_ms": statistics.median(r["p50_ms"] for r in good) if good else None,
            "p99_ms": statistics.median(r["p99_ms"] for r in good) if good else None,
            "vs_ping": statistics.median(ratios) if ratios else None,
        })
    return summary


def _cell(value, width, decimals):
    return f"{value:{width}.{decimals}f}" if value is not None else "-".rjust(width)


def print_table(summary):
    header = f"{'endpoint':<34} {'ok runs':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs ping':>8}"
    print(header)
    print("-" * len(header))
    for row in summary:
        print(f"{row['endpoint']:<34} {row['ok_runs']:>3}/{row['runs']:<3} {_cell(row['rps'], 9, 1)} "
              f"{_cell(row['p50_ms'], 8, 2)} {_cell(row['p99_ms'], 8, 2)} {_cell(row['vs_ping'], 8, 3)}")
    print("(medians over rounds; 'vs ping' is the median of each round's req/s divided by ping's in that round)")


def print_failures(runs):
    for run in runs:
        if not run["ok"]:
            print(f"\nFAILED round {run['round']} {run['endpoint']}: {run['error']}")
            if run.get("output"):
                print(run["output"].rstrip())


def print_log_problems(problems, limit=20):
    if not problems:
        print("gunicorn log: no errors")
        return
    print(f"gunicorn log: {len(problems)} suspicious line(s), first {min(limit, len(problems))}:")
    for line in problems[:limit]:
        print("  " + line)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="open connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--users", type=int, default=50, help="bench accounts (default 50)")
    parser.add_argument("--warmup", type=int, default=1, help="unrecorded seconds per endpoint first (default 1)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--shared", action="store_true",
                        help="let the server, wrk and Redis share every CPU (default: the server on its own half)")
    opts = parser.parse_args()
    if opts.rounds < 1 or opts.duration < 1 or opts.users < 1:
        parser.error("--rounds, --duration and --users must be at least 1")
    if not 1 <= opts.threads <= opts.connections:
        parser.error("--threads must be between 1 and --connections")
    return opts


def production_argon2_env():
    """Drop ARGON2_* overrides so that the Config defaults (production parameters) apply."""
    dropped = [name for name in ARGON2_VARS if os.environ.pop(name, None) is not None]
    if dropped:
        print(f"note: ignoring {', '.join(dropped)} from the environment (production parameters only)")


def print_settings(opts, argon2):
    print(f"server : gunicorn {' '.join(GUNICORN_ARGS)} wsgi:app  (APP_ENV=development, PostgreSQL, Redis)")
    print(f"load   : wrk -t{opts.threads} -c{opts.connections} -d{opts.duration}s --latency, "
          f"{opts.rounds} interleaved rounds, {opts.users} bench users, {os.cpu_count()} CPUs"
          + ("" if opts.shared else ", the server on the first half, wrk and Redis on the rest"))
    print(f"argon2 : argon2id time_cost={argon2['ARGON2_TIME_COST']} memory={argon2['ARGON2_MEMORY_KIB']} KiB "
          f"parallelism={argon2['ARGON2_PARALLELISM']} (Config defaults)")


def write_json(path, opts, argon2, summary, runs):
    runs = [{k: v for k, v in r.items() if k != "output"} for r in runs]
    document = {"settings": {"gunicorn": GUNICORN_ARGS, "rounds": opts.rounds, "duration_s": opts.duration,
                             "connections": opts.connections, "wrk_threads": opts.threads, "users": opts.users,
                             "cpus": os.cpu_count()},
                "argon2": argon2, "summary": summary, "runs": runs}
    Path(path).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"figures written to {path}")


def exit_on_sigterm(signum, frame):
    """Turn SIGTERM into SystemExit so that the server is stopped and the database dropped."""
    sys.exit(128 + signum)


def main():
    opts = parse_args()
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    logging.basicConfig(level=logging.WARNING)  # keep the app's INFO lines (one per bench user) quiet
    production_argon2_env()
    admin_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)

    with tempfile.TemporaryDirectory(prefix="bench-accounts-") as tmp, \
            fresh_database(admin_url) as db_url, flushed_redis(redis_url):
        workdir = Path(tmp)
        mobiles, argon2 = prepare_database(db_url, redis_url, opts.users)
        env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": db_url, "REDIS_URL": redis_url}
        log_path = workdir / "gunicorn.log"
        with gunicorn_server(env, log_path) as base_url:
            tokens = fetch_tokens(base_url, mobiles)
            targets = build_targets(workdir, mobiles, tokens, opts.threads)
            print_settings(opts, argon2)
            meter = cpu_meter.server_meter(base_url, redis_url)
            pinned = cpu_meter.pin_server(meter, opts.shared)
            try:
                runs = measure(base_url, targets, opts, meter)
            finally:
                cpu_meter.unpin(pinned)
        hash_params = stored_hash_parameters(db_url)
        problems = log_problems(log_path)

    summary = summarize(runs, targets)
    print()
    print_table(summary)
    print(f"password hash in the database after the run: {hash_params}")
    print_log_problems(problems)
    print_failures(runs)
    cpu_meter.print_table(runs, {t.name.split()[1]: t.name for t in targets})
    me_vs_ping, rounds = cpu_meter.ratio_by_round(runs, targets[0].name, targets[1].name, ("gunicorn", "redis"))
    print(f"  /me/ping by gunicorn + Redis CPU per request: {me_vs_ping:.3f} (aim >= 0.6; rounds: "
          + ", ".join(f"{r:.2f}" for r in rounds) + ")")
    if opts.json:
        write_json(opts.json, opts, argon2, summary, runs)
    return 0 if all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
