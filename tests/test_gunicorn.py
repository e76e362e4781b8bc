"""The production server: gunicorn with two worker processes on PostgreSQL and Redis.

A session made by one worker is honoured by the other, bad input is still a clear 4xx, and every
request across both workers is answered; the server's own access log carries no ID number.
"""
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import requests

from app.accounts import service
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent
ID_NUMBER, MOBILE = "500103199003077657", "13800000001"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workers(master_pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def _server_env(app):
    cfg = app.config
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "APP_"))}
    env.update(APP_ENV="test", SECRET_KEY=cfg["SECRET_KEY"], DATABASE_URL=cfg["DATABASE_URL"],
               REDIS_URL=cfg["REDIS_URL"], PII_KEYS=cfg["PII_KEYS"], SMS_PROVIDER="outbox",
               ARGON2_TIME_COST="1", ARGON2_MEMORY_KIB="64", ARGON2_PARALLELISM="1",
               WECHAT_SANDBOX_URL=cfg["WECHAT_SANDBOX_URL"], WECHAT_API_BASE=cfg["WECHAT_API_BASE"],
               WECHAT_OPEN_BASE=cfg["WECHAT_OPEN_BASE"], WECHATPAY_GATEWAY=cfg["WECHATPAY_GATEWAY"],
               WECHAT_SANDBOX_DIR=cfg["WECHAT_SANDBOX_DIR"],
               WECHATPAY_PRIVATE_KEY_PATH=cfg["WECHATPAY_PRIVATE_KEY_PATH"],
               WECHATPAY_PUBLIC_KEY_PATH=cfg["WECHATPAY_PUBLIC_KEY_PATH"])
    return env


def test_two_gunicorn_workers_share_sessions_and_answer_every_request(app, engine, tmp_path):
    service.create_user(name="张三", id_number=ID_NUMBER, mobile=MOBILE, gender="M", password="Secret123")
    port, log_path = _free_port(), tmp_path / "gunicorn.log"
    cmd = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "gthread", "--threads", "2",
           "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "--graceful-timeout", "5", "wsgi:app"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_server_env(app), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        def ready():
            try:
                return requests.get(base + "/api/v1/ping", timeout=3).status_code == 200
            except requests.RequestException:
                return False

        wait_until(ready, timeout=30)
        wait_until(lambda: len(_workers(proc.pid)) == 2, timeout=10)
        browser = requests.Session()
        token = browser.get(base + "/api/v1/auth/csrf", timeout=5).json()["data"]["csrf_token"]
        resp = browser.post(base + "/api/v1/auth/login", json={"username": ID_NUMBER, "password": "Secret123"},
                            headers={"X-CSRF-Token": token}, timeout=5)
        assert resp.status_code == 200, resp.text
        answers = [browser.get(base + "/api/v1/me", timeout=5) for _ in range(30)]
        assert [r.status_code for r in answers] == [200] * 30  # whichever worker answered
        assert {r.json()["data"]["name"] for r in answers} == {"张三"}
        bad = browser.get(base + f"/api/v1/projects/{2**63}", timeout=5)
        assert bad.status_code == 404 and bad.json()["code"] == "not_found"
        deep = browser.post(base + "/api/v1/orders", data="[" * 5000 + "]" * 5000, timeout=5,
                            headers={"Content-Type": "application/json", "X-CSRF-Token": token})
        assert deep.status_code == 400
        browser.get(base + f"/login?next=%2Fcerts%3Fid%3D{ID_NUMBER}", timeout=5)
    finally:
        proc.terminate()
        proc.wait(15)
    log_text = log_path.read_text()
    assert len(re.findall(r'"GET /api/v1/me HTTP/1.1" 200', log_text)) == 30
    assert ID_NUMBER not in log_text and "%3D5001**********7657" in log_text
