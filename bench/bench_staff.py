"""Benchmark: the staff console's heavier pages on PostgreSQL with a realistic volume, against its home page.

Not a test: it prints figures. A fresh PostgreSQL database gets LEARNERS accounts, EVENTS learning
events (refused, clamped heartbeats and failed questions spread over 60 days and over a tenth of
the learners) and AUDIT audit entries; then each page is requested through the real app (Flask's
test client: routing, the session in Redis, role check, queries, template) by a logged-in
administrator, interleaved, after a warm-up:

  GET  /staff/                       the console's home (session, roles, navigation): the baseline
  GET  /staff/integrity              the "suspicious learning" ranking (GROUP BY over 30 days of events)
  GET  /staff/integrity?period=7     the same over 7 days
  GET  /staff/integrity/<id>         one learner's events (drill-down)
  GET  /staff/audit                  the audit log, newest first
  GET  /staff/audit?action=…         the audit log filtered by action
  POST /staff/people                 find by ID number (blind index, in the body) → redirect
  GET  /staff/people/<id>            a learner's page (plans, orders, certificates, events)

and prints the median and p99 of each and its ratio to the home page measured in the same run.

Run from the project root:

    .venv/bin/python bench/bench_staff.py [--learners 20000] [--events 200000] [--audit 50000] [--rounds 40]

BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is where the bench database
is created and dropped; BENCH_REDIS_URL (default redis://127.0.0.1:6379/14) is FLUSHED before and after.
"""
import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

from benchkit import flushed_redis, fresh_database  # bench/ is on sys.path when run
from group_check_data import identity, make_app

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so that `app` imports when run as bench/bench_staff.py

BATCH = 1000
REASONS = ["too_fast", "gap", "replay", "out_of_order", "stale_session", "beyond_duration", "prompt_wrong",
           "prompt_failed", "prompt_passed"]
PASSWORD = "Bench2026pass"


def seed(learners, events, audits, rng):
    """Accounts, learning events and audit entries in bulk; returns the administrator's username."""
    from app.accounts import passwords, service
    from app.accounts.models import User
    from app.db import db, utcnow
    from app.learning.models import LearningEvent
    from app.staff import roles
    from app.staff.models import AuditEntry

    now, pw = utcnow(), passwords.hash_password(PASSWORD)
    rows = []
    for i in range(learners):
        number, mobile = identity(i)
        rows.append({"name": f"学员{i}", "gender": "M" if int(number[16]) % 2 else "F", "password_hash": pw,
                     "role": "learner", "created_at": now, "updated_at": now, "data_confirmed_at": now,
                     **service._pii_columns(number, mobile)})
    with db.atomic():
        for start in range(0, len(rows), BATCH):
            User.insert_many(rows[start:start + BATCH]).execute()
    admin = service.create_user(name="管理员", id_number="11010519491231002X", mobile="13900000009", gender="F",
                                password=PASSWORD, username="benchadmin", role="staff")
    roles.grant(admin, "admin")
    ids = [u for (u,) in User.select(User.id).where(User.role == "learner").tuples()]
    busy = ids[: max(1, len(ids) // 10)]
    with db.atomic():
        batch = []
        for _ in range(events):
            at = now - datetime.timedelta(seconds=rng.randrange(60 * 86400))
            batch.append({"user": rng.choice(busy), "reason": rng.choice(REASONS), "detail": "bench",
                          "created_at": at, "session_id": ""})
            if len(batch) == BATCH:
                LearningEvent.insert_many(batch).execute()
                batch = []
        if batch:
            LearningEvent.insert_many(batch).execute()
    actions = ["person.correct", "person.unlock", "person.reveal_id", "certificate.revoke", "role.grant"]
    with db.atomic():
        batch = []
        for _ in range(audits):
            batch.append({"actor": admin.id, "actor_name": "管理员", "action": rng.choice(actions),
                          "target_type": "account", "target_id": str(rng.choice(ids)), "before": '{"a": 1}',
                          "after": '{"a": 2}', "detail": "", "ip": "127.0.0.1",
                          "created_at": now - datetime.timedelta(seconds=rng.randrange(365 * 86400))})
            if len(batch) == BATCH:
                AuditEntry.insert_many(batch).execute()
                batch = []
        if batch:
            AuditEntry.insert_many(batch).execute()
    db.execute_sql("ANALYZE")
    return busy[0]


def p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=20000)
    parser.add_argument("--events", type=int, default=200000)
    parser.add_argument("--audit", type=int, default=50000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    pg = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    rng = random.Random(7)
    with fresh_database(pg) as db_url, flushed_redis(redis_url):
        app = make_app(db_url, redis_url)
        from app.db import db, migrate

        with app.app_context():
            db.connect(reuse_if_open=True)
            migrate()
            start = time.perf_counter()
            busy = seed(args.learners, args.events, args.audit, rng)
            print(f"bench_staff: {args.learners} learners, {args.events} learning events, {args.audit} audit "
                  f"entries seeded in {time.perf_counter() - start:.1f} s (PostgreSQL)")
            db.close()
        client = app.test_client()
        login = client.post("/api/v1/auth/login", json={"username": "benchadmin", "password": PASSWORD})
        assert login.status_code == 200
        csrf = client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]
        id_number = identity(busy - 1)[0]  # learners were inserted first: account id k is identity k - 1
        pages = {
            "home": lambda: client.get("/staff/"),
            "integrity": lambda: client.get("/staff/integrity"),
            "integrity 7 d": lambda: client.get("/staff/integrity?period=7"),
            "drill-down": lambda: client.get(f"/staff/integrity/{busy}"),
            "audit": lambda: client.get("/staff/audit"),
            "audit filtered": lambda: client.get("/staff/audit?action=person.unlock"),
            "find by ID": lambda: client.post("/staff/people", data={"csrf_token": csrf, "kind": "id_number",
                                                                     "q": id_number}),
            "learner page": lambda: client.get(f"/staff/people/{busy}"),
        }
        times = {k: [] for k in pages}
        for i in range(args.warmup + args.rounds):
            for name, call in pages.items():
                start = time.perf_counter()
                resp = call()
                elapsed = (time.perf_counter() - start) * 1000
                assert resp.status_code == (302 if name == "find by ID" else 200), (name, resp.status_code)
                if i >= args.warmup:
                    times[name].append(elapsed)
        base = statistics.median(times["home"])
        print(f"  {args.rounds} rounds, interleaved, after {args.warmup} warm-up rounds (ms):")
        for name, values in times.items():
            med = statistics.median(values)
            print(f"  {name:15} median {med:7.1f}   p99 {p99(values):7.1f}   ratio to home {med / base:5.1f}x")


if __name__ == "__main__":
    main()
