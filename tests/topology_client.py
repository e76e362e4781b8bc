"""Learners driving the local topology through nginx, as the H5 pages and the mini-program do.

A request that meets a dropped connection or a 502/503/504 (a node or Redis failing over under it) is
sent again after a pause, at most RETRIES times, like the fronts; what still fails is counted as lost.
Each learner logs in with a bearer token, watches the seeded long chapter with heartbeats at a fixed
interval (position advancing at 1x of wall time), and may buy this year's plan through the sandbox.
"""
import collections
import threading
import time

import requests

RETRIES = 4
RETRY_PAUSE = 0.5
RETRY_STATUSES = (502, 503, 504)


class Stats:
    """Requests, retries and losses per request type; latencies in ms; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = collections.Counter()
        self.retried = collections.Counter()
        self.lost = collections.Counter()
        self.statuses = collections.Counter()
        self.latency = collections.defaultdict(list)
        self.notes = collections.Counter()

    def add(self, counter, kind, n=1):
        with self.lock:
            getattr(self, counter)[kind] += n

    def answered(self, kind, status, ms):
        with self.lock:
            self.requests[kind] += 1
            self.statuses[(kind, status)] += 1
            self.latency[kind].append(ms)

    def summary(self):
        def pct(values, p):
            values = sorted(values)
            return round(values[min(len(values) - 1, int(p * len(values)))], 1) if values else None
        return {kind: {"requests": self.requests[kind], "retried": self.retried[kind], "lost": self.lost[kind],
                       "p50_ms": pct(self.latency[kind], 0.5), "p95_ms": pct(self.latency[kind], 0.95),
                       "p99_ms": pct(self.latency[kind], 0.99),
                       "5xx": sum(n for (k, s), n in self.statuses.items() if k == kind and s >= 500)}
                for kind in sorted(self.requests | self.lost)}


class Front:
    """One device: an HTTP session that retries what the network or a failing node lost."""

    def __init__(self, base_url, stats):
        self.base, self.stats, self.http, self.token = base_url, stats, requests.Session(), None

    def call(self, kind, method, path, json=None, base=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        for attempt in range(RETRIES + 1):
            if attempt:
                self.stats.add("retried", kind)
                time.sleep(RETRY_PAUSE)
            started = time.monotonic()
            try:
                resp = self.http.request(method, (base or self.base) + path, json=json, headers=headers, timeout=15)
            except requests.RequestException:
                continue
            self.stats.answered(kind, resp.status_code, (time.monotonic() - started) * 1000)
            if resp.status_code not in RETRY_STATUSES:
                return resp
        self.stats.add("lost", kind)
        return None


class Learner(threading.Thread):
    """Logs in, watches the chapter with heartbeats every `interval` s until `stop` is set."""

    def __init__(self, base_url, stats, username, password, chapter_id, interval, stop):
        super().__init__(daemon=True)
        self.front, self.stats = Front(base_url, stats), stats
        self.username, self.password, self.chapter_id = username, password, chapter_id
        self.interval, self.stop = interval, stop
        self.real_seconds = 0.0  # wall time watched: from each session's start to its last heartbeat
        self.credited = 0.0  # sum of the credited_seconds the server answered
        self.watched = 0  # the largest watched_seconds the server answered
        self.sessions = 0
        self.error = None

    def login(self):
        resp = self.front.call("login", "POST", "/api/v1/auth/login?token=1",
                               {"username": self.username, "password": self.password})
        if resp is None or resp.status_code != 200:
            raise RuntimeError(f"login of {self.username}: {resp and resp.status_code}")
        self.front.token = resp.json()["data"]["token"]

    def start_session(self):
        sent = time.time()
        resp = self.front.call("start", "POST", f"/api/v1/learning/chapters/{self.chapter_id}/sessions",
                               {"device": "h5"})
        if resp is not None and resp.status_code == 401:
            self.login()
            return self.start_session()
        if resp is None or resp.status_code != 201:
            raise RuntimeError(f"session of {self.username}: {resp and resp.status_code}")
        data = resp.json()["data"]
        self.sessions += 1
        return data["session_id"], sent, data["resume_position"]

    def run(self):
        try:
            self.login()
            self.watch()
        except Exception as exc:  # noqa: BLE001  (reported by the test)
            self.error = repr(exc)

    def watch(self):
        sid, t0, resume = self.start_session()
        seq, last_sent = 0, t0
        while not self.stop.wait(self.interval):
            seq += 1
            now = time.time()
            body = {"session_id": sid, "chapter_id": self.chapter_id, "seq": seq, "playing": True,
                    "position": round(resume + now - t0, 3), "event": "timer"}
            resp = self.front.call("heartbeat", "POST", "/api/v1/learning/heartbeat", body)
            if resp is None:
                continue
            if resp.status_code == 401:  # the token was lost with Redis: log in again, as the front does
                self.stats.add("notes", "logged_in_again")
                self.login()
                continue
            if resp.status_code != 200:
                self.stats.add("notes", f"heartbeat_{resp.status_code}_{resp.json().get('code')}")
                continue
            data = resp.json()["data"]
            self.credited += data["credited_seconds"]
            self.watched = max(self.watched, data["watched_seconds"])
            if data["status"] in ("ended", "taken_over"):
                self.stats.add("notes", f"session_{data['status']}")
                self.real_seconds += last_sent - t0
                sid, t0, resume = self.start_session()
                seq, last_sent = 0, t0
                continue
            last_sent = now
        self.real_seconds += last_sent - t0


def buy(front, sandbox_url, project_id):
    """Order this year's plan, open it at WeChat Pay (QR code) and pay at the sandbox; the order number."""
    resp = front.call("order", "POST", "/api/v1/orders", {"project_id": project_id})
    if resp is None or resp.status_code != 201:
        raise RuntimeError(f"order: {resp and (resp.status_code, resp.text[:200])}")
    order_no = resp.json()["data"]["order_no"]
    resp = front.call("prepay", "POST", f"/api/v1/orders/{order_no}/pay", {"channel": "native"})
    if resp is None or resp.status_code != 200:
        raise RuntimeError(f"prepay: {resp and (resp.status_code, resp.text[:200])}")
    paid = requests.post(sandbox_url + "/_sandbox/pay/pay", json={"out_trade_no": order_no, "notify": "normal"},
                         timeout=15)
    paid.raise_for_status()
    return order_no
