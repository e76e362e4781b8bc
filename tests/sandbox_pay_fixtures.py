"""Helpers and fixtures of the WeChat Pay sandbox tests (test_sandbox_pay_*.py): the real wechatpayv3 SDK
(unchanged) pointed at the sandbox over HTTP, orders made through it, the sandbox's control API, and a
merchant's notify endpoint: a tiny receiver app served from a thread, which checks notifications with
`wxpay.callback`.

(tests/sandbox_fixtures.py serves the official-account side: its `control`, `receiver` and `clean_sandbox`
are other things.)
"""
import json
import threading
import uuid
from pathlib import Path

import pytest
import redis
import requests
from flask import Flask, request
from wechatpayv3 import WeChatPay, WeChatPayType
from werkzeug.serving import make_server

from app.wechat import keys

OPENID = "oSandboxPayerOpenid0000000001"


def new_no(prefix="T"):
    return prefix + uuid.uuid4().hex[:20]


def pay_settings(sandbox):
    cfg = sandbox.app.config
    return {"mchid": cfg["WECHATPAY_MCHID"], "apiv3_key": cfg["WECHATPAY_APIV3_KEY"],
            "mp_appid": cfg["WECHAT_MP_APPID"], "mini_appid": cfg["WECHAT_MINI_APPID"],
            "private_key_pem": Path(sandbox.config["WECHATPAY_PRIVATE_KEY_PATH"]).read_text(),
            "public_key_pem": Path(sandbox.config["WECHATPAY_PUBLIC_KEY_PATH"]).read_text(),
            "public_key_id": cfg["WECHATPAY_PUBLIC_KEY_ID"]}


def make_wxpay(sandbox, notify_url="https://merchant.example.com/notify", private_key_pem=None, serial=None,
               public_key_pem=None, mchid=None, kind=WeChatPayType.NATIVE):
    s = pay_settings(sandbox)
    merchant_key = keys.load_or_create_private_key(sandbox.config["WECHATPAY_PRIVATE_KEY_PATH"])
    wxpay = WeChatPay(wechatpay_type=kind, mchid=mchid or s["mchid"],
                      private_key=private_key_pem or s["private_key_pem"],
                      cert_serial_no=serial or keys.key_serial(merchant_key), appid=s["mp_appid"],
                      apiv3_key=s["apiv3_key"], notify_url=notify_url,
                      public_key=public_key_pem or s["public_key_pem"], public_key_id=s["public_key_id"])
    wxpay._core._gate_way = sandbox.url
    return wxpay


class Receiver:
    """A merchant's notify endpoint: verifies with wxpay.callback and records what it saw."""

    def __init__(self, wxpay):
        self.wxpay, self.calls, self.refuse_next = wxpay, [], 0
        self.lock = threading.Lock()
        app = Flask("receiver")
        app.add_url_rule("/notify", "notify", self.notify, methods=["POST"])
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def notify(self):
        result = self.wxpay.callback(request.headers, request.data)
        with self.lock:
            refuse = self.refuse_next > 0
            self.refuse_next -= 1 if refuse else 0
            self.calls.append({"result": result, "body": request.data, "refused": refuse})
        if result is None or refuse:
            return {"code": "FAIL", "message": "验签失败" if result is None else "稍后重试"}, 500 if refuse else 401
        return "", 204

    def valid(self, out_trade_no=None, event_type="TRANSACTION.SUCCESS"):
        return [c["result"] for c in self.calls if c["result"] and c["result"]["event_type"] == event_type
                and out_trade_no in (None, c["result"]["resource"]["out_trade_no"])]


@pytest.fixture(autouse=True)
def clean_sandbox(sandbox, monkeypatch):
    redis.Redis.from_url(sandbox.config["REDIS_URL"]).flushdb()
    # Fast retries and manual refunds unless a test says otherwise.
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_NOTIFY_RETRY", "0.2,0.2")
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_REFUND_DELAY", -1)


@pytest.fixture(scope="module")
def receiver_server(sandbox):
    receiver = Receiver(make_wxpay(sandbox))
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def receiver(receiver_server):
    receiver_server.calls.clear()
    receiver_server.refuse_next = 0
    return receiver_server


@pytest.fixture
def wxpay(sandbox, receiver):
    return make_wxpay(sandbox, notify_url=receiver.url)


def control(sandbox, path, payload=None):
    return requests.post(f"{sandbox.url}/_sandbox/pay{path}", json=payload or {}, timeout=10)


def notifications(sandbox, out_trade_no):
    resp = requests.get(f"{sandbox.url}/_sandbox/pay/notifications", params={"out_trade_no": out_trade_no},
                        timeout=10)
    return resp.json()["notifications"]


def native_order(wxpay, total=100, **kw):
    no = kw.pop("out_trade_no", None) or new_no()
    code, body = wxpay.pay(description="公需科目 2026 年度学习计划", out_trade_no=no, amount={"total": total}, **kw)
    assert code == 200, body
    return no, json.loads(body)


def jsapi_order(wxpay, total=100):
    no = new_no()
    code, body = wxpay.pay(description="公需科目", out_trade_no=no, amount={"total": total},
                           payer={"openid": OPENID}, pay_type=WeChatPayType.JSAPI)
    assert code == 200, body
    return no, json.loads(body)["prepay_id"]


def query(wxpay, no):
    code, body = wxpay.query(out_trade_no=no)
    return code, json.loads(body)


def paid_order(sandbox, wxpay, total=1000):
    no, _ = native_order(wxpay, total=total)
    assert control(sandbox, "/pay", {"out_trade_no": no, "notify": "lost"}).status_code == 200
    return no
