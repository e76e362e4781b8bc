"""Bring the topology up and down (see scripts/topology/__init__.py for what runs)."""
import shutil
import sys

import psycopg2

from scripts.topology import nginx, procs, redis_ha
from scripts.topology.settings import ROOT

PY = sys.executable
FLASK = [PY, "-m", "flask"]
# Job workers: (name, the queue given to `flask jobs worker --queue`, or None for WORKER_QUEUES / QUEUE_NAME).
# The video worker transcodes uploaded chapter videos (VIDEO_QUEUE_NAME) so the main queue never waits.
EXTRA_WORKERS = [("worker-video", "video")]
# The order `down` stops things in: the front first, the stores last.
STOP_ORDER = ("nginx", "web-", "clock-", "worker-", "sandbox", "mail", "s3", "sentinel-", "redis-")


def workers(cluster):
    return [(f"worker-{i + 1}", None) for i in range(cluster.job_workers)] + EXTRA_WORKERS


def _admin(cluster):
    conn = psycopg2.connect(cluster.postgres_admin_url, connect_timeout=5)
    conn.autocommit = True
    return conn


def create_database(cluster):
    drop_database(cluster)
    conn = _admin(cluster)
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{cluster.database}"')
    finally:
        conn.close()


def drop_database(cluster):
    conn = _admin(cluster)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                        (cluster.database,))
            cur.execute(f'DROP DATABASE IF EXISTS "{cluster.database}"')
    finally:
        conn.close()


def create_bucket(cluster, env):
    import boto3

    s3 = boto3.client("s3", endpoint_url=env["STORAGE_S3_ENDPOINT_URL"], region_name=env["STORAGE_S3_REGION"],
                      aws_access_key_id=env["STORAGE_S3_ACCESS_KEY"],
                      aws_secret_access_key=env["STORAGE_S3_SECRET_KEY"])
    s3.create_bucket(Bucket=cluster.bucket)


def run(argv, env, what):
    import subprocess

    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{what} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def up(cluster, log=print):
    """Start everything; stops what it started when a step fails."""
    if procs.names(cluster):
        raise RuntimeError(f"a topology already runs from {cluster.dir} (scripts/cluster down first)")
    cluster.dir.mkdir(parents=True, exist_ok=True)
    env = cluster.app_env()
    try:
        _up(cluster, env, log)
    except BaseException:
        down(cluster, log=lambda *_: None, keep_dir=True)
        raise


def _up(cluster, env, log):
    create_database(cluster)
    log(f"PostgreSQL  database {cluster.database}")
    redis_ha.start(cluster)
    log(f"Redis       primary {cluster.redis_ports[0]}, replica {', '.join(map(str, cluster.redis_ports[1:]))}, "
        f"sentinels {', '.join(map(str, cluster.sentinel_ports))} (master name {cluster.sentinel_master})")
    procs.start(cluster, "s3", [PY, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(cluster.s3_port)], env=env)
    procs.wait_port(cluster.s3_port, "s3", cluster)
    create_bucket(cluster, env)
    log(f"S3 (moto)   http://127.0.0.1:{cluster.s3_port}/ bucket {cluster.bucket}")
    procs.start(cluster, "mail", [PY, "-m", "app.mail.devserver", "--host", "127.0.0.1", "--port",
                                  str(cluster.mail_port), "--dir", env["MAIL_OUTBOX_DIR"]], env=env)
    procs.start(cluster, "sandbox", [PY, "-m", "app.wechat.sandbox", "--host", "127.0.0.1", "--port",
                                     str(cluster.sandbox_port)], env=env)
    procs.wait_http(cluster.sandbox_url + "/_sandbox/health")
    log(f"WeChat      sandbox {cluster.sandbox_url}/_sandbox/, SMTP 127.0.0.1:{cluster.mail_port}")
    run(FLASK + ["migrate"], env, "migrate")
    run(FLASK + ["demo", "seed"], env, "demo seed")
    for port in cluster.web_ports:
        procs.start(cluster, f"web-{port}", [PY, "-m", "gunicorn", "--worker-class", "gthread", "--workers",
                                              str(cluster.web_workers), "--threads", str(cluster.web_threads),
                                              "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5",
                                              "--keep-alive", "75",
                                              "--control-socket", str(cluster.path(f"web-{port}.ctl")),
                                              "wsgi:app"], env=env)
    for port in cluster.web_ports:
        procs.wait_http(f"http://127.0.0.1:{port}/healthz", seconds=60)
    log(f"web         gunicorn on {', '.join(map(str, cluster.web_ports))} "
        f"({cluster.web_workers} workers x {cluster.web_threads} threads each)")
    for name, queue_name in workers(cluster):
        queue = ["--queue", queue_name] if queue_name else []
        procs.start(cluster, name, FLASK + ["jobs", "worker", *queue], env=env)
    for i in range(len(cluster.web_ports)):
        procs.start(cluster, f"clock-{i + 1}", FLASK + ["jobs", "clock"], env=env)
    log(f"jobs        {len(workers(cluster))} workers, {len(cluster.web_ports)} clocks")
    procs.start(cluster, "nginx", nginx.argv(cluster))
    procs.wait_http(cluster.base_url + "/healthz")
    log(f"nginx       {cluster.base_url}/  (logs and pids in {cluster.dir})")


def _rank(name):
    return next((i for i, prefix in enumerate(STOP_ORDER) if name.startswith(prefix)), len(STOP_ORDER))


def down(cluster, log=print, keep_dir=False):
    """Stop every process `up` started (by its process group), drop the database, remove CLUSTER_DIR."""
    for name in sorted(procs.names(cluster), key=_rank):
        procs.stop(cluster, name)
        log(f"stopped {name}")
    try:
        drop_database(cluster)
        log(f"dropped database {cluster.database}")
    except psycopg2.Error as exc:
        log(f"database {cluster.database} not dropped: {exc}")
    if not keep_dir and cluster.dir.exists():
        shutil.rmtree(cluster.dir)


def status(cluster):
    rows = [(name, procs.pid_of(cluster, name), procs.alive(procs.pid_of(cluster, name)))
            for name in procs.names(cluster)]
    return rows, redis_ha.current_primary(cluster)
