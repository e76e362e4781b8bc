"""The year-end rush against the topology (scripts/cluster up; scripts/cluster seed --learners N).

Each simulated learner logs in with a bearer token (as the mini-program), watches the seeded long
chapter with heartbeats at LOCUST_HEARTBEAT seconds (the position advancing at 1x of wall time),
browses the catalogue and its plans, prints its certificate (the signed PDF, from the object store
through whichever node answers), buys this year's plan once through the WeChat sandbox, and now and
then logs in again. Every non-2xx answer is a failure. At the end each learner's real watching time
and the largest watched_seconds the server answered are written to LOCUST_REPORT (JSON), with the count
of 5xx answers, for the smoke test to compare with the database.

    .venv/bin/locust -f bench/locustfile.py --headless -u 200 -r 20 -t 10m --host http://127.0.0.1:8480 \
        --csv /tmp/rush   (LOCUST_LEARNERS=instance/cluster/learners.json by default)
"""
import itertools
import json
import os
import threading
import time

from locust import HttpUser, between, events, task

LEARNERS = json.loads(open(os.environ.get("LOCUST_LEARNERS", "instance/cluster/learners.json")).read())
SANDBOX = os.environ.get("LOCUST_SANDBOX", "http://127.0.0.1:8491")
HEARTBEAT = float(os.environ.get("LOCUST_HEARTBEAT", "15"))
ROWS = itertools.cycle(LEARNERS["learners"])
ROWS_LOCK = threading.Lock()
RESULTS = {"learners": {}, "5xx": 0}


@events.request.add_listener
def _count_5xx(response=None, **_):
    if response is not None and getattr(response, "status_code", 0) >= 500:
        RESULTS["5xx"] += 1


@events.test_stop.add_listener
def _report(**_):
    path = os.environ.get("LOCUST_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(RESULTS, f)


class Learner(HttpUser):
    """One learner on one device; the heartbeat task runs every HEARTBEAT seconds at most."""

    wait_time = between(0.5, 1.5)

    def on_start(self):
        with ROWS_LOCK:
            self.row = next(ROWS)
        self.bought = False
        self.login()
        self.sid, self.seq, self.t0, self.last = None, 0, 0.0, 0.0
        self.real = 0.0
        self.start_session()

    def on_stop(self):
        if self.sid:
            self.real += self.last - self.t0
        done = RESULTS["learners"].setdefault(self.row["username"], {"real": 0.0, "watched": 0})
        done["real"] += self.real

    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    @task(1)
    def login(self):
        resp = self.client.post("/api/v1/auth/login?token=1", name="login",
                                json={"username": self.row["mobile"], "password": LEARNERS["password"]})
        self.token = resp.json()["data"]["token"] if resp.status_code == 200 else getattr(self, "token", "")

    def start_session(self):
        if self.sid:
            self.real += self.last - self.t0
        sent = time.time()
        resp = self.client.post(f"/api/v1/learning/chapters/{LEARNERS['chapter_id']}/sessions", name="start",
                                json={"device": "mini"}, headers=self.headers())
        if resp.status_code == 201:
            data = resp.json()["data"]
            self.sid, self.seq, self.t0, self.last, self.resume = data["session_id"], 0, sent, sent, \
                data["resume_position"]

    @task(20)
    def heartbeat(self):
        now = time.time()
        if not self.sid or now - self.last < HEARTBEAT:
            return
        self.seq += 1
        resp = self.client.post("/api/v1/learning/heartbeat", name="heartbeat", headers=self.headers(), json={
            "session_id": self.sid, "chapter_id": LEARNERS["chapter_id"], "seq": self.seq, "playing": True,
            "position": round(self.resume + now - self.t0, 3), "event": "timer"})
        if resp.status_code != 200:
            return
        data = resp.json()["data"]
        self.last = now
        mine = RESULTS["learners"].setdefault(self.row["username"], {"real": 0.0, "watched": 0})
        mine["watched"] = max(mine["watched"], data["watched_seconds"])
        if data["status"] in ("ended", "taken_over"):
            self.start_session()

    @task(3)
    def browse(self):
        self.client.get("/api/v1/projects", name="projects")
        self.client.get("/api/v1/me", name="me", headers=self.headers())
        self.client.get("/api/v1/me/plans", name="plans", headers=self.headers())

    @task(1)
    def print_certificate(self):
        self.client.get(f"/api/v1/certificates/{self.row['certificate']}/pdf", name="certificate_pdf",
                        headers=self.headers())

    @task(1)
    def buy(self):
        if self.bought:
            self.client.get("/api/v1/orders", name="orders", headers=self.headers())
            return
        self.bought = True
        resp = self.client.post("/api/v1/orders", name="order", json={"project_id": LEARNERS["buy_project_id"]},
                                headers=self.headers())
        if resp.status_code != 201:
            return
        order_no = resp.json()["data"]["order_no"]
        resp = self.client.post(f"/api/v1/orders/{order_no}/pay", name="prepay", json={"channel": "native"},
                                headers=self.headers())
        if resp.status_code == 200:
            self.client.post(SANDBOX + "/_sandbox/pay/pay", name="sandbox_pay",
                             json={"out_trade_no": order_no, "notify": "normal"})
