"""PostgreSQL's own statistics of one database (pg_stat_database), read from another database's connection:
what a load run wrote, with no clock or job running. PostgreSQL publishes a backend's statistics up to 10 s
after it goes idle, so readings wait for them to settle."""
import time

import psycopg2

STATS_IDLE_SECONDS = 11  # PostgreSQL 15 flushes an idle backend's statistics within 10 s


def db_counters(admin_url, name):
    """Commits and rows written in database `name`, read from another database's connection."""
    conn = psycopg2.connect(admin_url, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")
            cur.execute("SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched "
                        "FROM pg_stat_database WHERE datname = %s", (name,))
            commit, rollback, ins, upd, dele, fetched = cur.fetchone()
    finally:
        conn.close()
    return {"commits": commit, "rollbacks": rollback, "written": ins + upd + dele, "inserted": ins,
            "updated": upd, "deleted": dele, "fetched": fetched}


def settled_counters(admin_url, name):
    """The counters once every backend has published its statistics (they stop moving)."""
    time.sleep(STATS_IDLE_SECONDS)
    last = db_counters(admin_url, name)
    while True:
        time.sleep(2)
        now = db_counters(admin_url, name)
        if now == last:
            return now
        last = now


def delta(after, before):
    return {k: after[k] - before[k] for k in after}
