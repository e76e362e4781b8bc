"""Benchmark: bulk registration of a 10,000-row 附件2 list (app/bulk), against baselines.

Not a test: it prints figures. With the production argon2 parameters (the Config defaults) it:

  * builds a 附件2-shaped workbook of N rows (default 10,000; all new people, distinct mobiles);
  * runs the bulk job as the worker does (`app.bulk.jobs.run`: bounded read, row checks, look-ups,
    batched inserts, unit links, result workbook), timing each step;
  * shows the accounts are usable at once: a login with `edu@` + the last six characters of a
    registered ID number answers "first login required" (and the time that login takes);
  * measures in the same run two baselines on a sample (default 200 rows), extrapolated to N:
      A. one `service.create_user` per row (what registration does: argon2id of the password at the
         production cost, look-ups and an insert per row);
      B. the batched path of app/bulk, but with the initial password argon2-hashed per row;
    and prints the ratios.

SQLite in a temporary directory by default, or --postgres on a fresh database created from
BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) and dropped at the end;
Redis database BENCH_REDIS_URL (default redis://127.0.0.1:6379/14), FLUSHED before and after.

    .venv/bin/python bench/bench_bulk_registration.py [--postgres] [--rows 10000] [--sample 200]
"""
import argparse
import io
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from benchkit import flushed_redis, fresh_database  # bench/ is on sys.path when run

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGIONS = ("500103", "500108", "500112", "110105", "310104", "440305", "650102", "510107")


@contextmanager
def fresh_sqlite():
    with tempfile.TemporaryDirectory(prefix="ce-bench-bulk-") as folder:
        yield f"sqlite:///{folder}/bench.sqlite3"


def identity(i, offset=0):
    """A valid ID number and a distinct mobile for person `i` (distinct for i < 144,000)."""
    import datetime

    from app.accounts import rules

    i += offset
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=(i * 13) % 18000)
    first17 = f"{REGIONS[(i // 18000) % len(REGIONS)]}{birth:%Y%m%d}{i % 1000:03d}"
    return first17 + rules.check_digit(first17), f"13{i:09d}"


def workbook(n, offset=0):
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("学员名单")
    sheet.append(["区    县：", "渝中区", "单位全称：", "重庆市某某局"])
    sheet.append(["序号", "姓名", "身份证号码", "手机号码", "性别", "备注"])
    for i in range(n):
        number, mobile = identity(i, offset)
        sheet.append([i + 1, f"学员{'甲乙丙丁戊己庚辛壬癸'[i % 10]}", number, mobile,
                      "男" if int(number[16]) % 2 else "女", ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def setup(db_url, redis_url):
    from app import create_app
    from app.db import db, migrate

    app = create_app({"APP_ENV": "test", "SECRET_KEY": "bench-secret-key-for-bulk-registration-only",
                      "DATABASE_URL": db_url, "REDIS_URL": redis_url, "SMS_PROVIDER": "outbox"})
    ctx = app.app_context()
    ctx.push()
    db.connect(reuse_if_open=True)
    migrate()
    from app.accounts import service
    from app.units.models import Unit, UnitContact

    contact = service.create_user(name="李经办", id_number="500108198506121223", mobile="13800000002",
                                  gender="F", password="Contact2026")
    unit = Unit.create(name="重庆市某某局", credit_code="91500000MA5U000000", district_code="500103",
                       status="active")
    UnitContact.create(unit=unit.id, user=contact.id, email="hr@example.cn", state="approved")
    return app, unit, contact


def run_job(unit, contact, data):
    """The worker's path, timed per step; returns (seconds by step, job)."""
    from app.bulk import accounts, rows
    from app.bulk import workbook as result_book
    from app.bulk.models import BulkRegistration
    from app.units import roster

    job = BulkRegistration.create(unit=unit.id, uploaded_by=contact.id, year=2026, filename="bench.xlsx",
                                  source=data)
    t = {}
    start = time.perf_counter()
    parsed = roster.read_roster(job.source, require=rows.REQUIRED)
    t["read 附件2 (bounded)"] = time.perf_counter() - start
    start = time.perf_counter()
    listed = rows.from_roster(parsed)
    accounts.register_rows(unit, listed, 2026, lambda done: BulkRegistration.update(processed=done).where(
        BulkRegistration.id == job.id).execute())
    t["register rows"] = time.perf_counter() - start
    start = time.perf_counter()
    result = result_book.result_workbook(listed, unit.name)
    BulkRegistration.update(state="done", result=result, source=None).where(BulkRegistration.id == job.id).execute()
    t["result workbook"] = time.perf_counter() - start
    return t, listed


def baseline_create_user(sample, offset):
    """A: one create_user per row (argon2id at the production cost)."""
    from app.accounts import rules, service

    start = time.perf_counter()
    for i in range(sample):
        number, mobile = identity(i, offset)
        service.create_user(name="学员", id_number=number, mobile=mobile, gender=rules.id_gender(number),
                            password="edu@" + number[-6:])
    return time.perf_counter() - start


def baseline_hashed_batch(unit, sample, offset):
    """B: the batched path, but hashing each initial password with argon2id."""
    from app.accounts import passwords
    from app.bulk import accounts, rows
    from app.units import roster

    original = accounts._account_row

    def hashed(row, until, now):
        values = original(row, until, now)
        values["password_hash"] = passwords.hash_password("edu@" + row.id_number[-6:])
        return values

    accounts._account_row = hashed
    try:
        listed = rows.from_roster(roster.read_roster(workbook(sample, offset), require=rows.REQUIRED))
        start = time.perf_counter()
        accounts.register_rows(unit, listed, 2026)
        return time.perf_counter() - start
    finally:
        accounts._account_row = original


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args()
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    pg = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    database = fresh_database(pg) if args.postgres else fresh_sqlite()
    with database as db_url, flushed_redis(redis_url):
        app, unit, contact = setup(db_url, redis_url)
        import logging

        logging.getLogger().setLevel(logging.WARNING)  # baseline A logs a line per account
        cfg = app.config
        print(f"engine: {'PostgreSQL' if args.postgres else 'SQLite'}; rows: {args.rows}; argon2id "
              f"m={cfg['ARGON2_MEMORY_KIB']} KiB t={cfg['ARGON2_TIME_COST']} p={cfg['ARGON2_PARALLELISM']}")
        data = workbook(args.rows)
        print(f"workbook: {len(data) / 1024:.0f} KB")
        steps, listed = run_job(unit, contact, data)
        total = sum(steps.values())
        for name, seconds in steps.items():
            print(f"  {name:24} {seconds:7.2f} s")
        created = sum(1 for r in listed if r.outcome == "created")
        print(f"bulk job total:            {total:7.2f} s for {created} accounts created "
              f"({total / args.rows * 1000:.2f} ms per row; target <= 10 s)")

        from app.accounts import service
        from app.errors import ApiError

        number = identity(args.rows // 2)[0]
        start = time.perf_counter()
        try:
            with app.test_request_context("/api/v1/auth/login", method="POST"):  # a login reads its device cookie
                service.authenticate(number, "edu@" + number[-6:], "127.0.0.1")
            answer = "signed in (unexpected)"
        except ApiError as err:
            answer = err.code
        print(f"login with edu@+last six right after: {answer} in {(time.perf_counter() - start) * 1000:.0f} ms")

        offset = 50_000
        a = baseline_create_user(args.sample, offset) / args.sample * args.rows
        b = baseline_hashed_batch(unit, args.sample, offset + args.sample) / args.sample * args.rows
        print(f"baseline A, create_user per row (argon2id each), {args.sample} rows extrapolated: {a:8.1f} s"
              f"  -> bulk job is {a / total:.0f}x faster")
        print(f"baseline B, batched but argon2id per initial password, extrapolated:         {b:8.1f} s"
              f"  -> bulk job is {b / total:.0f}x faster")


if __name__ == "__main__":
    main()
