"""Benchmark: playback heartbeats under concurrent load, against a bare JSON endpoint.

It measures three endpoints of the real production server (gunicorn, gthread worker, 2 workers x
4 threads, as bench/bench_accounts.py; the app of bench/floor_wsgi.py, which is wsgi.py's plus the
floor) with wrk, the floor twice:

  GET  /api/v1/ping                the bare JSON answer: the baseline
  POST /api/v1/bench/floor         the floor: ping plus one trivial EVALSHA, made as the heartbeat makes its own;
                                   sent a fixed request with the body "{}" ("floor"), and sent the heartbeat's own
                                   requests, made by the same wrk script, which it does not read ("same")
  POST /api/v1/learning/heartbeat  bearer token, or with --cookie the H5 session cookie (either remembered per worker
                                   for 3 s, else checked by the script), one Lua call in Redis

The two floors differ in what the server receives (an Authorization or Cookie header and a 120-byte body
against "{}") and in how wrk sends it (a request made by Lua for each call against one fixed request):
both cost the server CPU per request. Heartbeat/same is what the heartbeat's own work costs beyond
the floor's on the same traffic.

and prints, for each, the median requests/s, p50 and p99 latency over interleaved rounds, the
heartbeat's throughput as a fraction of ping's in the same round, and the database work per
heartbeat, read from PostgreSQL's statistics for the bench database (pg_stat_database) before and
after all heartbeat runs, with no clock or flush job running:

  rows written per heartbeat      (tup_inserted + tup_updated + tup_deleted) / heartbeats: aim 0
  transactions per heartbeat      xact_commit / heartbeats (read-only ones included)

PostgreSQL publishes a backend's statistics up to 10 s after it goes idle, so the script waits for
them to settle before each reading. Afterwards it runs the flush job once (what the clock does every
LEARNING_FLUSH_SECONDS) and prints the rows it wrote: the writes the heartbeats deferred.

The load: N learners (default 64) own a plan with one long chapter (3600 s); each has a playback
session and a bearer token. wrk's Lua script gives each wrk thread its own share of the sessions and
sends each session heartbeats with an increasing seq and a position that advances at 1x of wall time
(os.time(), whole seconds). At this rate most heartbeats advance nothing or are clamped as too fast:
the hot path (auth, parsing, the Lua call, the events list) runs either way. After the run the script
reads back from Redis what the sessions were credited (at most 1x of wall time each) and why
heartbeats were clamped or rejected.

The server (gunicorn's master and workers, and the threads they start) runs on the first half of the
CPUs, wrk and Redis on the rest (--shared: all together), as production's app nodes do not share their
CPUs with Redis or the clients. Before each run the script waits for the server to be idle. For each run
it reads from /proc the CPU time the gunicorn processes and Redis spent per answered request
(bench/cpu_meter.py): steadier than requests/s on a shared machine, and it charges each endpoint only for
the server's work (wrk's own cost grows with the request it builds). It prints the median of the rounds'
ratios, and each endpoint's least disturbed round (lowest CPU per request, highest req/s).

Notes (2 vCPUs; docs/capacity.md, "Hot paths", has the tables and the earlier runs). On a quiet machine,
ten rounds of 3 s, medians by the workers' CPU per request: heartbeat/floor 0.89 with bearer tokens and
with the H5 cookie (the floor ~385 us, the floor sent the heartbeat's requests ~415 us, a heartbeat
~435 us), heartbeat/same 0.97 with either. Heartbeat p99 about 0.65 of ping's. 0.0000 rows written per
heartbeat. /me/ping (bench_accounts.py) 0.67 by CPU.

Everything is set up and torn down by the script: a fresh PostgreSQL database (created from
BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test, dropped at the end), a Redis
database (BENCH_REDIS_URL, default redis://127.0.0.1:6379/14, FLUSHED before and after), migrations,
the bench learners and the server (APP_ENV=development). Passwords are hashed with cheap argon2
parameters (logins are set-up here, not measured).

Run from the project root:

    .venv/bin/python bench/bench_heartbeats.py [--rounds 10] [--duration 3] [--connections 16] [--learners 64]
                                               [--shared] [--cookie] [--json PATH]

It needs `wrk` on the PATH. The exit status is 1 when a run had non-2xx answers or socket errors,
or when a heartbeat wrote to the database. The learners, their sessions, the heartbeats' wrk script and
the read-back from Redis are in bench/heartbeat_load.py.
"""
import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import benchkit  # the database, Redis and the server (bench/ is on sys.path when run)
import cpu_meter
import pg_stats
import wrk_runs  # wrk runs and the report table
from heartbeat_load import CHEAP_ARGON2, HEARTBEAT_PATH, heartbeat_script, outcomes, prepare_database, start_sessions

FLOOR_PATH = "/api/v1/bench/floor"  # bench/floor_wsgi.py: a bare endpoint plus one trivial EVALSHA
FLOOR_LUA = """\
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
"""


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

def measure(base_url, workdir, sessions, opts, meter):
    """Warm-up, then ping / floor / heartbeat interleaved for `opts.rounds` rounds, each run with the CPU its
    server processes spent per request. Returns (runs, targets, heartbeats sent)."""
    ping = wrk_runs.Target("GET  /api/v1/ping", "/api/v1/ping")
    floor_script = workdir / "floor.lua"
    floor_script.write_text(FLOOR_LUA)
    floor = wrk_runs.Target(f"POST {FLOOR_PATH} (floor)", FLOOR_PATH, floor_script)
    # The floor again, sent the heartbeat's own requests (its credentials and body, which it does not read): the
    # server's cost of receiving them is in this floor too.
    same = wrk_runs.Target(f"POST {FLOOR_PATH} (same)", FLOOR_PATH,
                           heartbeat_script(workdir, sessions, opts.threads, 0, FLOOR_PATH))
    beat = wrk_runs.Target(f"POST {HEARTBEAT_PATH}", HEARTBEAT_PATH)
    run_no, sent, runs = 0, 0, []

    def heartbeat_run(duration):
        nonlocal run_no, sent
        run_no += 1
        beat.script = heartbeat_script(workdir, sessions, opts.threads, run_no)
        result = wrk_runs.run_wrk(base_url, beat, opts.threads, opts.connections, duration)
        sent += result.get("requests", 0)
        return result

    if opts.warmup > 0:
        print(f"warm-up: {opts.warmup}s per endpoint")
        wrk_runs.run_wrk(base_url, ping, opts.threads, opts.connections, opts.warmup)
        heartbeat_run(opts.warmup)
    for round_no in range(1, opts.rounds + 1):
        for target in (ping, floor, same, beat):
            cpu_meter.wait_idle(meter)
            before = meter.snapshot()
            if target is beat:
                result = heartbeat_run(opts.duration)
            else:
                result = wrk_runs.run_wrk(base_url, target, opts.threads, opts.connections, opts.duration)
            cpu = meter.per_request(before, meter.snapshot(), result.get("requests", 0))
            result.update(endpoint=target.name, round=round_no, cpu_us=cpu)
            runs.append(result)
            print(wrk_runs.progress_line(result, opts.rounds) + cpu_meter.line(cpu), flush=True)
    return runs, [ping, floor, same, beat], sent


def flush_once(db_url, redis_url):
    """The flush job, once, in this process: what the heartbeats deferred to it."""
    from app import create_app
    from app.db import db
    from app.learning.flush import flush_dirty

    flask_app = create_app({"APP_ENV": "development", "DATABASE_URL": db_url, "REDIS_URL": redis_url})
    with flask_app.app_context(), db.connection_context():
        started = time.perf_counter()
        chapters = flush_dirty()
        return chapters, time.perf_counter() - started


def print_db_report(work, heartbeats, flushed, flush_work, flush_seconds, out):
    per = (lambda n: n / heartbeats) if heartbeats else (lambda n: float("nan"))
    print(f"\ndatabase during the heartbeat runs ({heartbeats} heartbeats, flush job not running):")
    print(f"  rows written          {work['written']:>8}   per heartbeat {per(work['written']):.4f}   "
          f"(inserted {work['inserted']}, updated {work['updated']}, deleted {work['deleted']})")
    print(f"  transactions          {work['commits']:>8}   per heartbeat {per(work['commits']):.3f}   "
          f"(read-only: the pool's SELECT 1 on checkout, the account row)")
    print(f"  rows fetched          {work['fetched']:>8}   per heartbeat {per(work['fetched']):.3f}")
    print(f"then one flush job: {flushed} (learner, chapter) rows folded in {flush_seconds * 1000:.0f} ms, "
          f"{flush_work['written']} rows written ({per(flush_work['written']):.4f} per heartbeat, amortised; "
          f"includes {sum(out['reasons'].values())} event records)")
    print(f"credited: {out['credited_s']:.0f} s over {out['sessions']} sessions "
          f"(1x of wall time would be at most {out['max_credit_s']:.0f} s)")
    print("heartbeats clamped or rejected, by reason: "
          + (", ".join(f"{k} {v}" for k, v in sorted(out["reasons"].items())) or "none"))


def print_cpu_report(runs, names):
    """CPU per request by process, and the heartbeat's capacity against the floor and ping by it."""
    cpu_meter.print_table(runs, names)
    figures = {}
    for groups, label in ((("gunicorn",), "gunicorn"), (("gunicorn", "redis"), "gunicorn + Redis")):
        for num, den in (("heartbeat", "floor"), ("heartbeat", "same"), ("heartbeat", "ping"), ("floor", "ping")):
            # Capacity is the inverse of CPU per request: den's CPU / num's CPU.
            median, ratios = cpu_meter.ratio_by_round(runs, names[den], names[num], groups)
            figures[(label, num, den)] = median
            print(f"  {num}/{den} by {label} CPU: {median:.3f}   (rounds: "
                  + ", ".join(f"{r:.2f}" for r in ratios) + ")")
    print("best rounds (each endpoint's least disturbed run: lowest CPU per request, highest req/s):")
    for num, den in (("heartbeat", "floor"), ("heartbeat", "same"), ("heartbeat", "ping"), ("floor", "ping")):
        (cpu_num, rps_num), (cpu_den, rps_den) = (cpu_meter.best(runs, names[n], ("gunicorn",)) for n in (num, den))
        both_num, both_den = (cpu_meter.best(runs, names[n], ("gunicorn", "redis"))[0] for n in (num, den))
        figures[("best", num, den)] = cpu_den / cpu_num
        print(f"  {num}/{den}: by gunicorn CPU {cpu_den / cpu_num:.3f}, with Redis's {both_den / both_num:.3f}, "
              f"by req/s {rps_num / rps_den:.3f}")
    return figures


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run (default 3)")
    parser.add_argument("--shared", action="store_true",
                        help="let the server, wrk and Redis share every CPU (default: the server on its own half)")
    parser.add_argument("--connections", type=int, default=16, help="open connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--learners", type=int, default=64, help="learners, one session each (default 64)")
    parser.add_argument("--warmup", type=int, default=1, help="unrecorded seconds per endpoint first (default 1)")
    parser.add_argument("--cookie", action="store_true",
                        help="heartbeats with the H5 session cookie (default: a bearer token, as the mini-program)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    opts = parser.parse_args()
    if opts.rounds < 1 or opts.duration < 1 or opts.learners < 1:
        parser.error("--rounds, --duration and --learners must be at least 1")
    if not 1 <= opts.threads <= opts.connections:
        parser.error("--threads must be between 1 and --connections")
    if opts.learners < 2 * opts.connections:
        parser.error("--learners should be at least twice --connections (one heartbeat in flight per session)")
    return opts


def main():
    opts = parse_args()
    signal.signal(signal.SIGTERM, benchkit.exit_on_sigterm)
    logging.basicConfig(level=logging.WARNING)
    admin_url = os.environ.get("BENCH_POSTGRES_URL", benchkit.DEFAULT_POSTGRES_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", benchkit.DEFAULT_REDIS_URL)

    with tempfile.TemporaryDirectory(prefix="bench-heartbeats-") as tmp, \
            benchkit.fresh_database(admin_url) as db_url, benchkit.flushed_redis(redis_url):
        workdir, name = Path(tmp), db_url.rsplit("/", 1)[1]
        mobiles, chapter_id = prepare_database(db_url, redis_url, opts.learners)
        env = {**os.environ, **CHEAP_ARGON2, "APP_ENV": "development", "DATABASE_URL": db_url,
               "REDIS_URL": redis_url}
        log_path = workdir / "gunicorn.log"
        with benchkit.gunicorn_server(env, log_path, "floor_wsgi:app") as base_url:
            sessions = start_sessions(base_url, mobiles, chapter_id, opts.cookie)
            print(f"server : gunicorn {' '.join(benchkit.GUNICORN_ARGS)} wsgi:app  (APP_ENV=development, PostgreSQL, "
                  f"Redis; no clock, no worker)")
            print(f"load   : wrk -t{opts.threads} -c{opts.connections} -d{opts.duration}s --latency, "
                  f"{opts.rounds} interleaved rounds, {opts.learners} learners with one session each, "
                  f"{os.cpu_count()} CPUs" + ("" if opts.shared else ", the server on the first half, wrk and Redis "
                                                "on the rest"))
            print("waiting for PostgreSQL's statistics to settle ...", flush=True)
            before = pg_stats.settled_counters(admin_url, name)
            load_started = time.time()
            meter = cpu_meter.server_meter(base_url, redis_url)
            pinned = cpu_meter.pin_server(meter, opts.shared)
            try:
                runs, targets, heartbeats = measure(base_url, workdir, sessions, opts, meter)
            finally:
                cpu_meter.unpin(pinned)
            wall = time.time() - min(s["t0"] for s in sessions)
            print("waiting for PostgreSQL's statistics to settle ...", flush=True)
            after = pg_stats.settled_counters(admin_url, name)
            out = outcomes(redis_url, sessions, wall)
            load_seconds = time.time() - load_started
        problems = benchkit.log_problems(log_path)
        flush_before = pg_stats.db_counters(admin_url, name)
        flushed, flush_seconds = flush_once(db_url, redis_url)
        flush_work = pg_stats.delta(pg_stats.settled_counters(admin_url, name), flush_before)

    work = pg_stats.delta(after, before)
    summary = wrk_runs.summarize(runs, targets)
    print()
    wrk_runs.print_table(summary)
    print_db_report(work, heartbeats, flushed, flush_work, flush_seconds, out)
    print(f"(measured over {load_seconds:.0f} s; heartbeats counted from wrk's totals, warm-up included)")
    benchkit.print_log_problems(problems)
    wrk_runs.print_failures(runs)
    if opts.json:
        document = {"settings": vars(opts) | {"gunicorn": benchkit.GUNICORN_ARGS, "cpus": os.cpu_count()},
                    "summary": summary, "heartbeats": heartbeats, "db_during_heartbeats": work,
                    "flush": {"chapters": flushed, "seconds": flush_seconds, "db": flush_work}, "outcomes": out,
                    "runs": [{k: v for k, v in r.items() if k != "output"} for r in runs]}
        Path(opts.json).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        print(f"figures written to {opts.json}")
    cpu_figures = print_cpu_report(runs, {"ping": targets[0].name, "floor": targets[1].name,
                                          "same": targets[2].name, "heartbeat": targets[3].name})
    ping_row, floor_row, _, beat_row = summary  # in the targets' order
    ratio = beat_row["vs_ping"]
    print(f"\nheartbeat/ping throughput ratio {ratio:.3f}; floor (bare + one EVALSHA)/ping {floor_row['vs_ping']:.3f}; "
          f"heartbeat/floor {ratio / floor_row['vs_ping']:.3f} (aim >= 0.95); heartbeat p99 / ping p99 "
          f"{beat_row['p99_ms'] / ping_row['p99_ms']:.2f} (aim <= 2); "
          f"database rows written per heartbeat {work['written'] / max(heartbeats, 1):.4f} (aim 0)")
    print(f"best rounds: heartbeat/floor {cpu_figures[('best', 'heartbeat', 'floor')]:.3f} by the workers' CPU; "
          f"heartbeat/ping {cpu_figures[('best', 'heartbeat', 'ping')]:.3f}")
    print(f"by CPU per request: heartbeat/floor {cpu_figures[('gunicorn', 'heartbeat', 'floor')]:.3f} on the app "
          f"server's workers (aim >= 0.95), {cpu_figures[('gunicorn + Redis', 'heartbeat', 'floor')]:.3f} with "
          f"Redis's share; heartbeat/ping {cpu_figures[('gunicorn', 'heartbeat', 'ping')]:.3f} and "
          f"{cpu_figures[('gunicorn + Redis', 'heartbeat', 'ping')]:.3f}")
    print(f"against the floor sent the heartbeat's request (\"same\"): heartbeat/same "
          f"{cpu_figures[('gunicorn', 'heartbeat', 'same')]:.3f} by the workers' CPU, best rounds "
          f"{cpu_figures[('best', 'heartbeat', 'same')]:.3f}")
    ok = all(r["ok"] for r in runs) and work["written"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
