"""Benchmark: checking a group-purchase list (团体购买名单校验, app/pay/group/check.py).

Not a test: it prints figures. It seeds N registered learners (default 10,000), some of whom
already own the plan or are deactivated (neither is looked at nor said), then checks a list of
N lines, most as "姓名 身份证号" so that the typed name is matched against the stored one (some
names wrong, some lines an ID number alone; some with a wrong check digit or date, 15-digit
numbers, duplicates, unregistered numbers, lower-case x, full-width digits, spaces) several
times and prints:

  * check_lines: total time per run, and per 1,000 lines (median, min, max);
  * the database queries of each check (counted on every run, and once with
    playhouse.test_utils.count_queries): they must not depend on the number of lines;
  * baselines measured in the same run: the pure-Python pass over the same lines without any
    database (reading the line, the name rule, GB 11643, duplicates), and the same plus the
    blind indexes (HMAC), with ratios;
  * the other steps the page takes: public_view (JSON size), save_check / load_check (Redis),
    record_check (the staff record), error_workbook, and read_roster of the same list as a
    附件2 workbook (bounds checked first).

Everything is built and removed by the script: SQLite in a temporary directory (default), or
with --postgres a fresh database created on BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres) and dropped at the end; Redis database
BENCH_REDIS_URL (default redis://127.0.0.1:6379/14), FLUSHED before and after. Learners are
inserted in batches (one argon2 hash for all: nobody logs in here).

Run from the project root:

    .venv/bin/python bench/bench_group_check.py [--postgres] [--lines 10000] [--repeat 5]

The app, the seeded learners, the list and its 附件2 workbook come from bench/group_check_data.py.
"""
import argparse
import datetime
import gc
import json
import logging
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from benchkit import flushed_redis, fresh_database  # bench/ is on sys.path when run
from group_check_data import build_list, form_xlsx, make_app, seed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so that `app` imports when run as bench/bench_group_check.py

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------

@contextmanager
def fresh_sqlite():
    with tempfile.TemporaryDirectory(prefix="ce-bench-group-") as folder:
        yield f"sqlite:///{folder}/bench.sqlite3"


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

class QueryCounter:
    """Counts execute_sql calls on the database object (cheap enough to leave on while timing)."""

    def __init__(self, database):
        self.database, self.count = database, 0

    def __enter__(self):
        original = type(self.database).execute_sql

        def counting(*args, **kwargs):
            self.count += 1
            return original(self.database, *args, **kwargs)

        self.database.execute_sql = counting
        return self

    def __exit__(self, *exc):
        del self.database.execute_sql


def format_pass(text):
    """Baseline 1: what the check does per line without the database: read the line, name rule, GB 11643,
    duplicates."""
    from app.accounts import rules
    from app.pay.group import lines

    today = datetime.date.today()
    seen = set()
    for entry in lines.split_lines(text):
        try:
            if entry.name is not None:
                rules.clean_name(entry.name)
            number = rules.clean_id_number(entry.id_text, today)
        except ValueError:
            continue
        seen.add(number)
    return seen


def format_and_index_pass(lines):
    """Baseline 2: the same plus the blind indexes under every key (HMAC-SHA256), still no database."""
    from app.pii import cipher

    c = cipher()
    return [h for number in format_pass(lines) for h in c.all_indexes(number, "id_number")]


def timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - start, value


def per_thousand(seconds, lines):
    return seconds * 1000 / lines * 1000  # ms per 1,000 lines


def check(project, text):
    """What the API does with a pasted list: read it, check it."""
    from app.pay.group import check as checking
    from app.pay.group import lines

    return checking.check_lines(project, lines.split_lines(text))


def run(opts, db_url, engine_label):
    from playhouse.test_utils import count_queries

    from app.db import db, migrate
    from app.pay.group import check as checking
    from app.pay.group import lines as reading
    from app.pay.group import store
    from app.units import roster

    rng = random.Random(opts.seed)
    flask_app = make_app(db_url, opts.redis_url)
    with flask_app.app_context():
        db.connect(reuse_if_open=True)
        migrate()
        seconds, (numbers, project, buyer, unit, situation) = timed(seed, opts.lines, rng)
        lines, kinds = build_list(numbers, min(opts.lines, reading.MAX_LINES), rng)
        text = "\n".join(lines)
        n = len(lines)
        print(f"engine           {engine_label}")
        print(f"seeded           {opts.lines:,} learners in {seconds:.1f} s  (already own the plan: "
              f"{situation['owners']:,}, deactivated: {situation['inactive']:,}: neither is looked at)")
        print("list             " + f"{n:,} lines: " + ", ".join(f"{k} {v:,}" for k, v in kinds.items()))

        cold, result = timed(check, project, text)
        runs, counted, base1, base2 = [], [], [], []
        for _ in range(opts.repeat):  # interleaved, so that a busy moment hits all three alike
            gc.collect()
            with QueryCounter(db.obj) as counter:
                seconds, result = timed(check, project, text)
            runs.append(seconds)
            counted.append(counter.count)
            gc.collect()
            base1.append(timed(format_pass, text)[0])
            gc.collect()
            base2.append(timed(format_and_index_pass, text)[0])
        peewee_log = logging.getLogger("peewee")
        peewee_log.propagate = False  # count_queries turns on DEBUG: keep 10,000-value SQL off the console
        try:
            with count_queries() as q:
                check(project, text)
            with count_queries() as q_small:
                check(project, "\n".join(lines[:10]))
        finally:
            peewee_log.propagate = True

        counts = result["counts"]
        print(f"result           ok {counts['ok']:,}, error {counts['error']:,}: "
              + ", ".join(f"{k} {v:,}" for k, v in sorted(counts["by_code"].items())))
        print()
        print(f"{'':34}{'total ms':>10}{'ms per 1,000 lines':>32}")
        print(f"{'':34}{'median':>10}{'median':>12}{'min':>10}{'max':>10}")

        def row(label, samples):
            per = [per_thousand(s, n) for s in samples]
            print(f"{label:34}{statistics.median(samples) * 1000:10.1f}{statistics.median(per):12.2f}"
                  f"{min(per):10.2f}{max(per):10.2f}")

        row(f"check with names ({opts.repeat} runs)", runs)
        row("baseline: lines + names + digits", base1)
        row("baseline: the same + blind indexes", base2)
        print(f"{'check, first (cold) run':34}{cold * 1000:10.1f}")
        ratio1 = statistics.median(runs) / statistics.median(base1)
        ratio2 = statistics.median(runs) / statistics.median(base2)
        db_share = statistics.median(runs) - statistics.median(base2)
        print(f"ratio check / format baseline           {ratio1:.1f}x")
        print(f"ratio check / format + index baseline   {ratio2:.1f}x   "
              f"(database + bookkeeping ~ {db_share * 1000:.0f} ms per check)")
        target = "met" if statistics.median(runs) <= 0.3 else "MISSED"
        print(f"target           <= 300 ms for {n:,} lines: {target} ({statistics.median(runs) * 1000:.0f} ms)")
        print(f"queries per check   counted per run: {counted}   count_queries: {q.count} "
              f"({n:,} lines), {q_small.count} (10 lines)")
        if len(set(counted + [q.count, q_small.count])) != 1:
            print("WARNING: the number of queries varies")

        # The other steps of the page.
        view = store.public_view(result)
        view_bytes = len(json.dumps(view, ensure_ascii=False).encode())
        save_s, check_id = timed(store.save_check, result, buyer, unit, project)
        from app.redis_client import get_redis

        stored = get_redis().strlen(f"group:check:{check_id}")
        load_s, saved = timed(store.load_check, check_id, buyer)
        record_s, _ = timed(store.record_check, result, buyer, unit, project)
        wb_s, data = timed(store.error_workbook, saved)
        rows = [(e.name or "学员", e.id_text) for e in reading.split_lines(text)]
        xlsx = form_xlsx(rows)
        parse_s, parsed = timed(roster.read_roster, xlsx)
        check_x_s, result_x = timed(checking.check_lines, project, reading.from_roster(parsed))
        print()
        print(f"public_view          {view_bytes / 1024:.0f} KiB of JSON")
        print(f"save_check           {save_s * 1000:.1f} ms, {stored / 1024:.0f} KiB in Redis")
        print(f"load_check           {load_s * 1000:.1f} ms")
        print(f"record_check         {record_s * 1000:.1f} ms (masked ID numbers for staff)")
        print(f"error_workbook       {wb_s * 1000:.1f} ms for {counts['error']:,} lines, {len(data) / 1024:.0f} KiB")
        print(f"read_roster          {parse_s * 1000:.1f} ms for a {len(xlsx) / 1024:.0f} KiB 附件2 workbook "
              f"of {len(parsed):,} rows, bounds included (then check_lines {check_x_s * 1000:.1f} ms, "
              f"ok {result_x['counts']['ok']:,})")
        db.close()
    database = flask_app.extensions["database"]
    if hasattr(database, "close_all"):
        database.close_all()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--lines", type=int, default=10_000, help="learners seeded and lines checked")
    parser.add_argument("--repeat", type=int, default=5, help="timed checks")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the list")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    opts = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)  # order creation logs at INFO
    import peewee

    print(f"Python {platform.python_version()}, peewee {peewee.__version__}, {os.cpu_count()} CPUs, "
          f"{platform.machine()}, load average {os.getloadavg()[0]:.2f} at start")
    with flushed_redis(opts.redis_url):
        if opts.postgres:
            with fresh_database(opts.postgres_url) as url:
                admin = psycopg2.connect(opts.postgres_url)
                version = admin.server_version
                admin.close()
                run(opts, url, f"PostgreSQL {version // 10000}.{version % 10000} (fresh database, dropped after)")
        else:
            with fresh_sqlite() as url:
                limit = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
                run(opts, url, f"SQLite {sqlite3.sqlite_version} (temp file, WAL; variable limit {limit:,})")


if __name__ == "__main__":
    main()
