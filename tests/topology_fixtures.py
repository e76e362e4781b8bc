"""The local topology (scripts/cluster) as a pytest fixture, and reading its database and queues."""
import os
import time

import psycopg2
import redis
from redis.sentinel import Sentinel

from scripts.topology import cluster as topo
from scripts.topology import procs
from scripts.topology.seed import seed
from scripts.topology.settings import Cluster

# Short intervals, so that what production does in minutes happens inside the test.
FAST = {"RQ_MAINTENANCE_INTERVAL": "5", "RQ_JOB_MONITORING_INTERVAL": "5", "DURABLE_SWEEP_SECONDS": "5",
        "DURABLE_JOB_GRACE_SECONDS": "15", "WECHAT_SANDBOX_NOTIFY_RETRY": "1,2,3,5,8", "JOB_RETRY": "2,5,10",
        "LEARNING_HEARTBEAT_SECONDS": "2"}


class Running:
    """A started topology: its settings, seeded learners, and helpers to look inside."""

    def __init__(self, cluster, seeded):
        self.cluster, self.seeded = cluster, seeded
        self.sentinel = Sentinel([("127.0.0.1", p) for p in cluster.sentinel_ports], socket_timeout=1.0)

    def redis(self, decode=True):
        return self.sentinel.master_for(self.cluster.sentinel_master, socket_timeout=2.0, decode_responses=decode)

    def sql(self, query, args=()):
        conn = psycopg2.connect(self.cluster.database_url, connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute(query, args)
                return cur.fetchall()
        finally:
            conn.close()

    def wait(self, what, check, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"{what}: not within {seconds} s")

    def pids(self):
        return {name: procs.pid_of(self.cluster, name) for name in procs.names(self.cluster)}


def start(tmp_path, learners, extra=None):
    """Bring the topology up in `tmp_path` with FAST intervals; returns (Running, env restore function)."""
    saved = dict(os.environ)  # all of it: nothing of the cluster's settings may reach later tests
    os.environ.update({**FAST, **(extra or {}), "CLUSTER_DIR": str(tmp_path / "cluster")})
    cluster = Cluster()
    topo.up(cluster, log=lambda *_: None)
    try:
        running = Running(cluster, seed(cluster, learners))
    except BaseException:
        stop(cluster, saved)
        raise
    return running, saved


def stop(cluster, saved):
    groups = [procs.pid_of(cluster, n) for n in procs.names(cluster)]
    keep = os.environ.get("TOPOLOGY_KEEP_LOGS")  # a folder to copy the processes' logs to (debugging)
    if keep:
        import shutil

        shutil.copytree(cluster.path("logs"), keep, dirs_exist_ok=True)
    topo.down(cluster, log=lambda *_: None)
    os.environ.clear()
    os.environ.update(saved)
    left = [g for g in groups if g and procs.group_alive(g)]
    assert left == [], f"processes left behind: {left}"
    assert not cluster.dir.exists()


def busy_worker(running, prefix, seconds=20):
    """(worker name, job id) of a job worker running a job whose id starts with `prefix`."""
    from rq import Worker

    conn = running.redis(decode=False)
    deadline = time.time() + seconds
    while time.time() < deadline:
        for worker in Worker.all(connection=conn):
            job_id = worker.get_current_job_id()
            if job_id and job_id.startswith(prefix):
                return worker, job_id
        time.sleep(0.005)
    return None, None


def worker_process_name(running, worker):
    """Our process-group name of an RQ worker (its pid is the group leader's)."""
    for name, pid in running.pids().items():
        if name.startswith("worker-") and pid == worker.pid:
            return name
    return None


def redis_reachable(port):
    try:
        return redis.Redis(port=port, socket_timeout=0.5).ping()
    except redis.RedisError:
        return False
