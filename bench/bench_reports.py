"""Benchmark: the yearly reports on PostgreSQL at production size, against a baseline query in the same run.

Not a test: it prints figures. A fresh PostgreSQL database (migrated by the app) gets, through generate_series
in a handful of INSERT … SELECT statements (a few minutes, not hours):

  LEARNERS accounts (200,000); the year's project with 5 courses of 4 chapters; one enrollment each;
  PROGRESS chapter-progress rows (2,000,000: ten chapters per learner); course completions for the 60 % who
  finished (600,000) and the matching per-enrollment summary (hours earned, completion); 2,000 units in the 38
  districts with 80 % of the learners as members; a certificate for half of them (100,000) spread over the
  year; 150,000 paid orders over the year and 3,000 refunds; and last year's project with 50,000 enrollments
  as noise.

Then, after a warm-up, each report (app/content/reports.py, the same functions the console and its xlsx
export call) runs ROUNDS times interleaved with the baseline, `SELECT COUNT(*)` of the year's active
enrollments (the least a per-learner report must read), and the naive way to count completions (grouping the
course completions per learner instead of reading the summary). It prints each median and p95, the ratio to
the baseline, and PASS/FAIL against the 1 s target; then EXPLAINs the district report's query.

Run from the project root:

    .venv/bin/python bench/bench_reports.py [--learners 200000] [--progress 2000000] [--rounds 15]

BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is where the bench database is
created and dropped; BENCH_REDIS_URL (default redis://127.0.0.1:6379/14) is FLUSHED before and after.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from benchkit import flushed_redis, fresh_database  # bench/ is on sys.path when run
from group_check_data import make_app

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
YEAR = 2026
TARGET = 1.0


def _sql(db, statement, *params):
    started = time.perf_counter()
    db.execute_sql(statement, params)
    return time.perf_counter() - started


def seed(db, learners, progress):
    """Bulk rows with generate_series; prints how long each step took."""
    per_learner = max(1, progress // learners)
    steps = [
        ("accounts", "INSERT INTO account (created_at, name, gender, id_number_enc, id_number_hash, mobile_enc,"
         " mobile_hash, pii_key_id, password_hash, role, is_active, session_version, data_confirmed_at, updated_at)"
         " SELECT now(), '学员' || i, CASE WHEN mod(i, 2) = 0 THEN 'F' ELSE 'M' END, 'x', md5('id' || i), 'x',"
         " md5('m' || i), 'bench', 'x', 'learner', TRUE, 1, now(), now() FROM generate_series(1, %s) i", learners),
        ("projects", "INSERT INTO project (created_at, year, name, description, price_fen, credit_hours, sale_start,"
         " sale_end, is_published, grant_only) VALUES (now(), %s, '本年公需科目', '', 6000, 30, '2026-01-01',"
         " '2027-01-01', TRUE, FALSE), (now(), %s, '上年公需科目', '', 6000, 30, '2025-01-01', '2026-01-01',"
         " TRUE, FALSE)", YEAR, YEAR - 1),
        ("courses", "INSERT INTO course (created_at, project_id, title, lecturer, summary, credit_hours, position,"
         " published_at) SELECT now(), p.id, '课程' || c, '讲师', '', 6, c, now() FROM project p,"
         " generate_series(1, 5) c", ),
        ("chapters", "INSERT INTO chapter (created_at, course_id, title, position, video_url, duration_seconds,"
         " video_state, video_progress, video_note, video_attempts) SELECT now(), co.id, '第' || n || '讲', n, '',"
         " 600, 'ready', 100, '', 0 FROM course co, generate_series(1, 4) n"),
        ("enrollments", "INSERT INTO enrollment (created_at, user_id, project_id, source, status, hours_earned,"
         " completed_at) SELECT now(), a.id, p.id, 'purchase', CASE WHEN mod(a.id, 50) = 0 THEN 'revoked' ELSE"
         " 'active' END, CASE WHEN mod(a.id, 10) < 6 THEN 30 ELSE 6 * (mod(a.id, 5)) END,"
         " CASE WHEN mod(a.id, 10) < 6 THEN timestamp '2026-01-01' + (mod(a.id, 360)) * interval '1 day' END"
         " FROM account a JOIN project p ON p.year = %s", YEAR),
        ("last year's enrollments", "INSERT INTO enrollment (created_at, user_id, project_id, source, status,"
         " hours_earned) SELECT now(), a.id, p.id, 'purchase', 'active', 30 FROM account a JOIN project p"
         " ON p.year = %s WHERE a.id <= 50000", YEAR - 1),
        ("chapter progress", "INSERT INTO chapter_progress (created_at, user_id, chapter_id, coverage,"
         " watched_seconds, last_position, completed_at, updated_at) SELECT now(), a.id, ch.id, NULL, 600, 600,"
         " now(), now() FROM account a CROSS JOIN LATERAL (SELECT c.id FROM chapter c JOIN course co"
         " ON co.id = c.course_id JOIN project p ON p.id = co.project_id WHERE p.year = %s"
         " ORDER BY c.id OFFSET (mod(a.id, 10)) LIMIT %s) ch", YEAR, per_learner),
        ("course completions", "INSERT INTO course_completion (created_at, user_id, course_id, credit_hours)"
         " SELECT now(), a.id, co.id, 6 FROM account a JOIN course co ON TRUE JOIN project p ON p.id = co.project_id"
         " WHERE p.year = %s AND mod(a.id, 10) < 6", YEAR),
        ("units", "INSERT INTO unit (created_at, name, credit_code, district_code, status, updated_at)"
         " SELECT now(), '单位' || u, lpad(u::text, 18, '0'), (ARRAY['500101','500102','500103','500104',"
         "'500105','500106','500107','500108','500109','500110','500111','500112','500113','500114','500115',"
         "'500116','500117','500118','500119','500120','500151','500152','500153','500154','500155','500156',"
         "'500229','500230','500231','500233','500235','500236','500237','500238','500240','500241','500242',"
         "'500243'])[1 + mod(u, 38)], 'active', now() FROM generate_series(1, 2000) u"),
        ("unit members", "INSERT INTO unit_member (created_at, unit_id, user_id, source, year)"
         " SELECT now(), (SELECT MIN(id) FROM unit) + mod(a.id, 2000), a.id, 'bulk', %s FROM account a"
         " WHERE mod(a.id, 5) <> 0", YEAR),
        ("certificates", "INSERT INTO certificate (created_at, number, user_id, project_id, year, credit_hours,"
         " project_name, name, id_number_masked, organisation, district_code, issuer, issued_at, status,"
         " revoke_reason, fingerprint, pdf_key, pdf_sha256) SELECT now(), 'CE' || a.id, a.id, p.id, p.year, 30,"
         " p.name, a.name, '5001**********0000', '单位', '500103', '平台',"
         " timestamp '2026-01-02' + (mod(a.id, 350)) * interval '1 day' + (mod(a.id, 86400)) * interval '1 second',"
         " 'valid', '', 'f', '', '' FROM account a JOIN project p ON p.year = %s WHERE mod(a.id, 2) = 0", YEAR),
        ("orders", "INSERT INTO \"order\" (created_at, order_no, kind, buyer_id, project_id, seat_count,"
         " unit_price_fen, amount_fen, refunded_fen, status, invoice_choice, invoice_title_type, invoice_title,"
         " invoice_tax_no, pay_channel, payer_appid, payer_openid, prepay_id, code_url, expires_at, paid_at,"
         " transaction_id, updated_at) SELECT now(), 'B' || a.id, 'individual', a.id, p.id, 1, 6000, 6000,"
         " CASE WHEN mod(a.id, 50) = 0 THEN 6000 ELSE 0 END,"
         " CASE WHEN mod(a.id, 50) = 0 THEN 'refunded' ELSE 'paid' END,"
         " 'later', '', '', '', 'native', '', '', '', '', now(),"
         " timestamp '2026-01-01' + (mod(a.id, 360)) * interval '1 day' + (mod(a.id, 80000)) * interval '1 second',"
         " 'T' || a.id, now() FROM account a JOIN project p ON p.year = %s WHERE a.id <= 150000", YEAR),
        ("refunds", "INSERT INTO refund (created_at, order_id, out_refund_no, amount_fen, seat_ids, reason, status,"
         " refund_id, override, finished_at) SELECT now(), o.id, o.order_no || 'R', 6000, '[]', '', 'success', '',"
         " FALSE, o.paid_at + interval '3 days' FROM \"order\" o WHERE o.status = 'refunded'"),
    ]
    for name, statement, *params in steps:
        print(f"  {name:24} {_sql(db, statement, *params):7.1f} s", flush=True)
    print(f"  {'VACUUM ANALYZE':24} {_sql(db, 'VACUUM ANALYZE'):7.1f} s", flush=True)


def timed(func, rounds):
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        func()
        samples.append(time.perf_counter() - started)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=200_000)
    parser.add_argument("--progress", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    admin_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    with fresh_database(admin_url) as db_url, flushed_redis(redis_url):
        app = make_app(db_url, redis_url)
        with app.app_context():
            from app.content import reports
            from app.db import db, migrate

            db.connect(reuse_if_open=True)
            migrate()
            print(f"seeding {args.learners:,} learners, {args.progress:,} chapter-progress rows …", flush=True)
            seed(db, args.learners, args.progress)
            counts = {t: db.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
                      for t in ("enrollment", "chapter_progress", "course_completion", "certificate", "order")}
            print("  rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))

            def baseline():
                db.execute_sql("SELECT COUNT(*) FROM enrollment e JOIN project p ON p.id = e.project_id"
                               " WHERE p.year = %s AND e.status = 'active'", (YEAR,)).fetchone()

            def naive():
                db.execute_sql("SELECT COUNT(*) FROM (SELECT cc.user_id FROM course_completion cc"
                               " JOIN course c ON c.id = cc.course_id JOIN project p ON p.id = c.project_id"
                               " JOIN enrollment e ON e.user_id = cc.user_id AND e.project_id = p.id"
                               " AND e.status = 'active' WHERE p.year = %s GROUP BY cc.user_id"
                               " HAVING COUNT(*) >= 5) done", (YEAR,)).fetchone()

            cases = [("baseline: COUNT(*) of the year's enrollments", baseline),
                     ("by district (enrolled, completed, hours)", lambda: reports.learners(YEAR, "district")),
                     ("by unit (2,000 units)", lambda: reports.learners(YEAR, "unit")),
                     ("certificates per week", lambda: reports.certificates(YEAR)),
                     ("revenue and refunds per day", lambda: reports.money(YEAR)),
                     ("naive completions (no summary), for comparison", naive)]
            for _, func in cases:  # warm-up
                func()
            figures = {name: timed(func, args.rounds) for name, func in cases}
            base = figures[cases[0][0]][0]
            print(f"\n{'query':52} {'median':>9} {'p95':>9} {'× base':>7}")
            for name, (median, p95) in figures.items():
                verdict = "" if name.startswith(("baseline", "naive")) else ("  PASS" if p95 <= TARGET else "  FAIL")
                print(f"{name:52} {median * 1000:7.0f}ms {p95 * 1000:7.0f}ms {median / base:7.1f}{verdict}")
            totals = reports.learners(YEAR, "district")["totals"]
            print(f"\ncheck: district totals {totals}")
            plan = db.execute_sql("EXPLAIN (ANALYZE, BUFFERS) SELECT u.district_code, COUNT(*), SUM(CASE WHEN"
                                  " e.completed_at IS NOT NULL THEN 1 ELSE 0 END), SUM(e.hours_earned)"
                                  " FROM enrollment e JOIN project p ON p.id = e.project_id LEFT JOIN (SELECT"
                                  " user_id, MIN(unit_id) AS unit_id FROM unit_member WHERE year = %s GROUP BY"
                                  " user_id) m ON m.user_id = e.user_id LEFT JOIN unit u ON u.id = m.unit_id"
                                  " WHERE p.year = %s AND e.status = 'active' GROUP BY u.district_code",
                                  (YEAR, YEAR)).fetchall()
            print("\n".join(line for (line,) in plan))
            db.close()


if __name__ == "__main__":
    main()
