"""The year-end rush in miniature (CI's smoke run): Locust against the topology through nginx with
learners watching at the production heartbeat interval, logging in, browsing, buying through the sandbox
and printing certificates. Passes when no request fails, no answer is a 5xx and no learner is credited
beyond real time; prints p50/p95/p99 and failures per request type. The longer run by hand is in
docs/capacity.md.
"""
import csv
import json
import os
import subprocess
import sys
import time

import pytest
import requests

from tests.topology_fixtures import start, stop

USERS = int(os.environ.get("SMOKE_USERS", "40"))
SECONDS = int(os.environ.get("SMOKE_SECONDS", "50"))
HEARTBEAT = 15  # production's LEARNING_HEARTBEAT_SECONDS (see docs/capacity.md)
FLUSH_SECONDS = 10


@pytest.fixture(scope="module")
def topology(tmp_path_factory):
    running, saved = start(tmp_path_factory.mktemp("rush"), USERS, extra={
        "LEARNING_HEARTBEAT_SECONDS": str(HEARTBEAT), "LEARNING_MAX_GAP_SECONDS": str(4 * HEARTBEAT)})
    yield running
    stop(running.cluster, saved)


def test_sessions_tokens_rate_limits_and_files_work_whichever_node_answers(topology):
    cluster, row = topology.cluster, topology.seeded["learners"][0]
    node_a, node_b = (f"http://127.0.0.1:{port}" for port in cluster.web_ports)
    browser = requests.Session()  # an H5 session cookie made by node A, used at node B
    login = browser.post(node_a + "/api/v1/auth/login", json={"username": row["mobile"],
                                                                "password": topology.seeded["password"]})
    assert login.status_code == 200
    me = browser.get(node_b + "/api/v1/me")
    assert (me.status_code, me.json()["data"]["username"]) == (200, row["username"])
    token = requests.post(node_b + "/api/v1/auth/login?token=1", json={
        "username": row["mobile"], "password": topology.seeded["password"]}).json()["data"]["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    pdfs = [requests.get(f"{node}/api/v1/certificates/{row['certificate']}/pdf", headers=bearer)
            for node in (node_a, node_b)]  # the signed PDF in the S3 store, written once at issue
    assert [p.status_code for p in pdfs] == [200, 200]
    assert pdfs[0].content == pdfs[1].content and pdfs[0].content.startswith(b"%PDF")
    wrong = {"username": "13800000002", "password": "Wrong-password-1"}  # 李四 (demo), not a load learner
    answers = [requests.post((node_a, node_b)[i % 2] + "/api/v1/auth/login", json=wrong).status_code
               for i in range(4)]
    assert answers == [401] * 4  # free failures, counted in Redis whichever node saw them
    locked = [requests.post(node + "/api/v1/auth/login", json=wrong) for node in (node_a, node_b)]
    assert [(r.status_code, r.json()["code"]) for r in locked] == [(423, "locked")] * 2  # the 5th, then a wait


def test_the_rush_smoke_run_has_no_failure_and_credits_no_more_than_real_time(topology, tmp_path):
    cluster = topology.cluster
    report, prefix = tmp_path / "report.json", tmp_path / "rush"
    env = dict(os.environ, LOCUST_LEARNERS=str(cluster.path("learners.json")), LOCUST_SANDBOX=cluster.sandbox_url,
               LOCUST_HEARTBEAT=str(HEARTBEAT), LOCUST_REPORT=str(report))
    began = time.time()
    done = subprocess.run([sys.executable, "-m", "locust", "-f", "bench/locustfile.py", "--headless", "-u", str(USERS),
                           "-r", "10", "-t", f"{SECONDS}s", "--host", cluster.base_url, "--csv", str(prefix),
                           "--only-summary", "--stop-timeout", "5"], env=env, capture_output=True, text=True,
                          timeout=SECONDS + 120)
    elapsed = time.time() - began
    with open(f"{prefix}_stats.csv") as f:
        stats = list(csv.DictReader(f))
    table = {row["Name"]: {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                           "p50_ms": row["50%"], "p95_ms": row["95%"], "p99_ms": row["99%"],
                           "rps": round(float(row["Requests/s"]), 1)} for row in stats}
    results = json.loads(report.read_text())
    r = topology.redis()
    topology.wait("the last learning flush", lambda: r.scard("learn:dirty") == 0, 3 * FLUSH_SECONDS)
    time.sleep(1)
    rows = dict(topology.sql('SELECT a.username, p.watched_seconds FROM chapter_progress p JOIN account a '
                             'ON a.id = p.user_id WHERE p.chapter_id = %s', (topology.seeded["chapter_id"],)))
    credit = {name: (rows.get(name, 0), round(mine["real"], 1), mine["watched"])
              for name, mine in results["learners"].items()}
    figures = {"seconds": round(elapsed, 1), "users": USERS, "requests": table, "5xx": results["5xx"],
               "credited_seconds": sum(c[0] for c in credit.values()),
               "real_seconds": round(sum(c[1] for c in credit.values()), 1)}
    print("\nTOPOLOGY RUSH " + json.dumps(figures, ensure_ascii=False, indent=1))
    assert done.returncode == 0, done.stderr[-2000:]
    assert table["Aggregated"]["failures"] == 0
    assert table["heartbeat"]["requests"] >= USERS * (SECONDS // HEARTBEAT - 1)
    assert results["5xx"] == 0
    assert [name for name, (db, real, _) in credit.items() if db > real + 1] == []
    assert [name for name, (db, _, answered) in credit.items() if db < answered - FLUSH_SECONDS] == []
    assert len(credit) == USERS
