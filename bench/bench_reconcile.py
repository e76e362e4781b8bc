"""Benchmark: reconciling one day's WeChat Pay trade bill (app/pay/bills.py + app/finance/reconcile.py).

Not a test: it prints figures. It seeds N orders paid on one China-time day (default 20,000) and a
bill of the same day in WeChat's format (every field backtick-prefixed) in which 1 % of the payments
report another amount, 0.5 % are missing here (still pending) and 0.5 % missing there, then times:

  * reconcile: bills.parse(text) + reconcile.our_side(day) + reconcile.compare(...) — the work of the
    daily job after the download (the HTTP calls are the sandbox's, not measured here);
  * baseline, in the same run: one SELECT of the day's order numbers and amounts as tuples, a plain
    split of the bill's lines, and a dict comparison of the two — the least any reconciliation does;
  * the ratio reconcile / baseline (median of --repeat runs), and the database queries of one
    reconcile (counted with playhouse.test_utils.count_queries): our payments, our refunds, and one
    lookup per 500 numbers the bill has and our day has not — not one per order.

SQLite in a temporary directory (default), or with --postgres a fresh database on
BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end.
Redis is not used.

Run from the project root:

    .venv/bin/python bench/bench_reconcile.py [--postgres] [--orders 20000] [--repeat 5]
"""
import argparse
import datetime
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchkit import fresh_database  # bench/ is on sys.path when run

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so that `app` imports when run as bench/bench_reconcile.py

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DAY = datetime.date(2026, 6, 1)
BATCH = 500


def make_app(db_url):
    from app import create_app

    return create_app({"APP_ENV": "test", "TESTING": True, "SECRET_KEY": "bench-secret-key-for-reconciliation-only",
                       "DATABASE_URL": db_url, "REDIS_URL": "redis://127.0.0.1:6379/15", "SMS_PROVIDER": "outbox",
                       "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 64, "ARGON2_PARALLELISM": 1})


def seed(n):
    """N orders of DAY (most paid here), and the day's bill text with the planted differences."""
    from app.accounts import service
    from app.db import db
    from app.finance.reconcile import day_bounds
    from app.learning.models import Project
    from app.pay.models import Order
    from app.wechat.sandbox.pay_bills import HEADER, SUMMARY_HEADER

    buyer = service.create_user(name="王小明", id_number="500103199003077657", mobile="13800000001", gender="M",
                                password="Bench2026pass")
    start, _ = day_bounds(DAY)
    project = Project.create(year=2026, name="2026年公需科目", price_fen=9900, sale_start=start,
                             sale_end=start + datetime.timedelta(days=90))
    rows, lines = [], [HEADER]
    for i in range(n):
        paid_at = start + datetime.timedelta(seconds=i * 86000 // n)
        missing_here, missing_there = i % 200 == 1, i % 200 == 2
        order_no = f"CE20260601{i:012d}"
        rows.append({"order_no": order_no, "kind": "individual", "buyer": buyer.id, "project": project.id,
                     "unit_price_fen": 9900, "amount_fen": 9900, "status": "pending" if missing_here else "paid",
                     "expires_at": paid_at, "paid_at": None if missing_here else paid_at, "created_at": paid_at,
                     "updated_at": paid_at, "transaction_id": f"4200{i:024d}"})
        if not missing_there:
            amount = "98.00" if i % 100 == 3 else "99.00"
            when = (paid_at + datetime.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
            fields = [when, "wxbench", "1900000109", "0", "", f"4200{i:024d}", order_no, "oBench", "NATIVE",
                      "SUCCESS", "OTHERS", "CNY", amount, "0.00", "0", "0", "0.00", "0.00", "", "", "公需科目", "",
                      "0.59400", "0.60%", amount, "0.00", ""]
            lines.append(",".join("`" + f for f in fields))
    with db.atomic():
        for first in range(0, n, BATCH):
            Order.insert_many(rows[first:first + BATCH]).execute()
    lines += [SUMMARY_HEADER, f"`{len(lines) - 1},`0.00,`0.00,`0.00,`0.00,`0.00,`0.00"]
    return "\r\n".join(lines) + "\r\n"


def reconcile_once(text):
    from app.finance import reconcile
    from app.pay import bills

    bill = bills.parse(text, DAY)
    payments, refunds_here = reconcile.our_side(DAY)
    return reconcile.compare(bill, payments, refunds_here)


def baseline_once(text):
    """The least any reconciliation does: read both sides, compare two dicts."""
    from app.finance.reconcile import day_bounds
    from app.pay.models import Order

    start, end = day_bounds(DAY)
    ours = dict(Order.select(Order.order_no, Order.amount_fen).where(Order.paid_at >= start, Order.paid_at < end)
                .tuples())
    theirs = {}
    for line in text.split("\r\n")[1:]:
        if line.startswith("总交易单数"):
            break
        fields = line.split(",`")
        theirs[fields[6]] = round(float(fields[12]) * 100)
    return [no for no in theirs.keys() | ours.keys() if theirs.get(no) != ours.get(no)]


def timed(func, arg):
    start = time.perf_counter()
    result = func(arg)
    return time.perf_counter() - start, result


def run(opts, db_url, label):
    from playhouse.test_utils import count_queries

    from app.db import db, migrate

    app = make_app(db_url)
    for handler in logging.getLogger().handlers:  # the app logs every SQL statement at DEBUG in test mode
        handler.setLevel(logging.WARNING)
    with app.app_context():
        db.connect(reuse_if_open=True)
        migrate()
        text = seed(opts.orders)
        reconcile_once(text)  # warm-up
        baseline_once(text)
        ours, base = [], []
        for _ in range(opts.repeat):  # interleaved
            seconds, diffs = timed(reconcile_once, text)
            ours.append(seconds)
            seconds, plain = timed(baseline_once, text)
            base.append(seconds)
        with count_queries() as counter:
            diffs = reconcile_once(text)
        kinds = {}
        for diff in diffs:
            kinds[diff["kind"]] = kinds.get(diff["kind"], 0) + 1
        db.close()
    mine, bare = statistics.median(ours), statistics.median(base)
    print(f"[{label}] {opts.orders} orders, bill of {text.count(chr(10)) - 3} payments, {len(diffs)} differences "
          f"{dict(sorted(kinds.items()))} (baseline finds {len(plain)})")
    print(f"  reconcile  median {mine * 1000:8.1f} ms   min {min(ours) * 1000:8.1f} ms   "
          f"per 1,000 orders {mine * 1000 / opts.orders * 1000:6.2f} ms")
    print(f"  baseline   median {bare * 1000:8.1f} ms   min {min(base) * 1000:8.1f} ms")
    print(f"  ratio reconcile / baseline: {mine / bare:.2f}x;  queries of one reconcile: {counter.count}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    opts = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    if opts.postgres:
        with fresh_database(os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)) as url:
            run(opts, url, "postgres")
    else:
        with tempfile.TemporaryDirectory(prefix="ce-bench-reconcile-") as folder:
            run(opts, f"sqlite:///{folder}/bench.sqlite3", "sqlite")


if __name__ == "__main__":
    main()
