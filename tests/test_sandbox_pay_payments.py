"""Paying at the WeChat Pay v3 sandbox and its payment notifications, checked by the real wechatpayv3 SDK
(unchanged) over HTTP: payment through the control API, notifications to a merchant's notify endpoint
(tampered, sign-test, duplicate, lost, late, retried until acknowledged), closed and expired orders, and
the front end: a paySign made by the SDK, the cashier page that shows the amount in yuan and pays.

Prepay, query and signatures: test_sandbox_pay_prepay.py; refunds: test_sandbox_pay_refunds.py.
"""
import base64
import json
import re
import time
import uuid

import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.helpers import wait_until
from tests.sandbox_pay_fixtures import OPENID, control, jsapi_order, native_order, notifications, pay_settings, query
from tests.sandbox_pay_fixtures import clean_sandbox as clean_sandbox  # noqa: F401  (autouse)
from tests.sandbox_pay_fixtures import receiver as receiver  # noqa: F401  (fixtures the tests take)
from tests.sandbox_pay_fixtures import receiver_server as receiver_server  # noqa: F401
from tests.sandbox_pay_fixtures import wxpay as wxpay  # noqa: F401

# ---- paying and notifications --------------------------------------------------------------------

def test_pay_via_control_then_notification_and_query(sandbox, wxpay, receiver):
    no, _ = native_order(wxpay, total=3000)
    resp = control(sandbox, "/pay", {"out_trade_no": no})
    assert resp.status_code == 200 and resp.json()["transaction"]["trade_state"] == "SUCCESS"

    [notice] = wait_until(lambda: receiver.valid(no))
    assert notice["event_type"] == "TRANSACTION.SUCCESS" and notice["resource_type"] == "encrypt-resource"
    txn = notice["resource"]
    assert txn["out_trade_no"] == no and txn["amount"]["total"] == 3000 and txn["trade_state"] == "SUCCESS"
    assert txn["mchid"] == pay_settings(sandbox)["mchid"] and txn["appid"] == pay_settings(sandbox)["mp_appid"]

    code, queried = query(wxpay, no)
    assert code == 200 and queried["trade_state"] == "SUCCESS"
    assert queried["transaction_id"] == txn["transaction_id"] and re.fullmatch(r"\d{28}", txn["transaction_id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", queried["success_time"])
    code, by_id = wxpay.query(transaction_id=txn["transaction_id"])
    assert code == 200 and json.loads(by_id)["out_trade_no"] == no

    log = wait_until(lambda: notifications(sandbox, no))
    assert log[0]["status"] == 204 and log[0]["event_type"] == "TRANSACTION.SUCCESS"
    assert control(sandbox, "/pay", {"out_trade_no": no}).json()["code"] == "ORDERPAID"


def test_tampered_notification_is_refused_by_the_sdk(sandbox, wxpay, receiver):
    no, _ = native_order(wxpay, total=3000)
    assert control(sandbox, "/pay", {"out_trade_no": no, "notify": "tampered"}).status_code == 200
    [call] = wait_until(lambda: receiver.calls)
    assert call["result"] is None
    # The forged resource decrypts fine (amount 1 fen): only the signature check catches it.
    resource = json.loads(call["body"])["resource"]
    plain = AESGCM(pay_settings(sandbox)["apiv3_key"].encode()).decrypt(
        resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]), resource["associated_data"].encode())
    assert json.loads(plain)["amount"]["total"] == 1
    [entry] = wait_until(lambda: notifications(sandbox, no))
    assert entry["mode"] == "tampered" and entry["status"] == 401


def test_sign_test_notification_then_a_correct_one(sandbox, wxpay, receiver):
    no, _ = native_order(wxpay)
    control(sandbox, "/pay", {"out_trade_no": no, "notify": "signtest"})
    wait_until(lambda: receiver.valid(no))
    assert receiver.calls[0]["result"] is None
    statuses = [e["status"] for e in notifications(sandbox, no)]
    assert statuses == [401, 204]


def test_duplicate_sends_two_copies(sandbox, wxpay, receiver):
    no, _ = native_order(wxpay)
    control(sandbox, "/pay", {"out_trade_no": no, "notify": "duplicate"})
    copies = wait_until(lambda: len(receiver.valid(no)) == 2 and receiver.valid(no))
    assert copies[0]["id"] == copies[1]["id"]
    assert sorted(e["copy"] for e in notifications(sandbox, no)) == [1, 2]


def test_lost_notification_sends_nothing_but_the_order_is_paid(sandbox, wxpay, receiver):
    no, _ = native_order(wxpay)
    resp = control(sandbox, "/pay", {"out_trade_no": no, "notify": "lost"})
    assert resp.json()["notification_id"]
    assert query(wxpay, no)[1]["trade_state"] == "SUCCESS"
    time.sleep(0.3)
    assert receiver.calls == [] and notifications(sandbox, no) == []

    again = control(sandbox, "/notify-again", {"out_trade_no": no})
    assert again.json()["notification_id"] == resp.json()["notification_id"]
    [notice] = wait_until(lambda: receiver.valid(no))
    assert notice["id"] == resp.json()["notification_id"]


def test_late_notification_arrives_after_the_delay(sandbox, wxpay, receiver):
    no, _ = native_order(wxpay)
    started = time.monotonic()
    control(sandbox, "/pay", {"out_trade_no": no, "notify": "late", "delay_seconds": 0.5})
    assert query(wxpay, no)[1]["trade_state"] == "SUCCESS"
    wait_until(lambda: receiver.valid(no))
    assert time.monotonic() - started >= 0.5


def test_notification_is_retried_until_acknowledged(sandbox, wxpay, receiver):
    receiver.refuse_next = 2
    no, _ = native_order(wxpay)
    control(sandbox, "/pay", {"out_trade_no": no})
    wait_until(lambda: [e for e in notifications(sandbox, no) if e["status"] == 204])
    assert [e["status"] for e in notifications(sandbox, no)] == [500, 500, 204]
    assert [e["attempt"] for e in notifications(sandbox, no)] == [1, 2, 3]


def test_close_then_paying_is_refused(sandbox, wxpay):
    no, answer = native_order(wxpay)
    assert wxpay.close(no)[0] == 204
    assert wxpay.close(no)[0] == 204
    assert query(wxpay, no)[1]["trade_state"] == "CLOSED"
    resp = control(sandbox, "/pay", {"out_trade_no": no})
    assert resp.status_code == 400 and resp.json()["code"] == "ORDER_CLOSED"
    page = requests.get(f"{sandbox.url}/_sandbox/pay/scan", params={"code_url": answer["code_url"]}, timeout=10)
    assert page.status_code == 400 and "订单已关闭" in page.text
    status, body = wxpay.pay(description="公需科目 2026 年度学习计划", out_trade_no=no, amount={"total": 100})
    assert status == 400 and json.loads(body)["code"] == "ORDER_CLOSED"


def test_after_time_expire_paying_is_refused_but_query_stays_notpay(sandbox, wxpay):
    no, answer = native_order(wxpay, time_expire="2099-01-01T00:00:00+08:00")
    assert control(sandbox, "/expire", {"out_trade_no": no}).status_code == 200
    page = requests.get(f"{sandbox.url}/_sandbox/pay/scan", params={"code_url": answer["code_url"]}, timeout=10)
    assert page.status_code == 400 and "截止时间" in page.text
    assert control(sandbox, "/pay", {"out_trade_no": no}).json()["code"] == "ORDER_EXPIRED"
    assert query(wxpay, no)[1]["trade_state"] == "NOTPAY"
    assert wxpay.close(no)[0] == 204 and query(wxpay, no)[1]["trade_state"] == "CLOSED"


# ---- front end: paySign and the payment sheet ----------------------------------------------------

def test_pay_sign_made_by_the_sdk_verifies(sandbox, wxpay):
    _, prepay_id = jsapi_order(wxpay)
    appid, ts, nonce = pay_settings(sandbox)["mp_appid"], str(int(time.time())), uuid.uuid4().hex
    params = {"appId": appid, "timeStamp": ts, "nonceStr": nonce, "package": "prepay_id=" + prepay_id,
              "paySign": wxpay.sign([appid, ts, nonce, "prepay_id=" + prepay_id])}
    checked = control(sandbox, "/check-paysign", params).json()
    assert checked["valid"] is True and checked["order_found"] and checked["appid_matches"]
    assert control(sandbox, "/check-paysign", {**params, "nonceStr": "other"}).json()["valid"] is False

    page = requests.get(f"{sandbox.url}/_sandbox/pay/cashier", params={**params, "nonceStr": "other"}, timeout=10)
    assert page.status_code == 400 and "支付验证签名失败" in page.text
    assert requests.get(f"{sandbox.url}/_sandbox/pay/cashier", params=params, timeout=10).status_code == 200


def test_cashier_shows_yuan_and_confirming_pays(sandbox, wxpay, receiver):
    no, answer = native_order(wxpay, total=12345)
    page = requests.get(f"{sandbox.url}/_sandbox/pay/scan", params={"code_url": answer["code_url"]}, timeout=10)
    assert page.status_code == 200
    assert "123.45" in page.text and "公需科目 2026 年度学习计划" in page.text and "确认支付" in page.text
    prepay_id = re.search(r'name="prepay_id" value="(wx\w+)"', page.text).group(1)

    cancel = requests.post(f"{sandbox.url}/_sandbox/pay/cashier/cancel", allow_redirects=False, timeout=10,
                           data={"prepay_id": prepay_id, "return_url": "http://merchant.example.com/back"})
    assert cancel.status_code == 302 and query(wxpay, no)[1]["trade_state"] == "NOTPAY"

    confirm = requests.post(f"{sandbox.url}/_sandbox/pay/cashier/confirm", allow_redirects=False, timeout=10,
                            data={"prepay_id": prepay_id, "return_url": "http://merchant.example.com/done"})
    assert confirm.status_code == 302 and confirm.headers["Location"] == "http://merchant.example.com/done"
    assert query(wxpay, no)[1]["trade_state"] == "SUCCESS"
    wait_until(lambda: receiver.valid(no))

    again = requests.get(f"{sandbox.url}/_sandbox/pay/cashier", params={"prepay_id": prepay_id}, timeout=10)
    assert "该订单已支付" in again.text


def test_cashier_without_return_url_shows_success_page(sandbox, wxpay):
    no, _ = native_order(wxpay, total=5)
    listed = requests.get(f"{sandbox.url}/_sandbox/pay/transactions", params={"out_trade_no": no}, timeout=10)
    prepay_id = listed.json()["transactions"][0]["prepay_id"]
    page = requests.post(f"{sandbox.url}/_sandbox/pay/cashier/confirm", data={"prepay_id": prepay_id}, timeout=10)
    assert page.status_code == 200 and "支付成功" in page.text and "0.05" in page.text
    unknown = requests.get(f"{sandbox.url}/_sandbox/pay/cashier", params={"prepay_id": "wxnope"}, timeout=10)
    assert unknown.status_code == 404 and "订单不存在" in unknown.text


def test_control_pay_states_and_parameter_checks(sandbox, wxpay, receiver):
    no, _ = native_order(wxpay)
    bad = control(sandbox, "/pay", {"out_trade_no": no, "notify": "sometimes"})
    assert bad.status_code == 400 and bad.json()["code"] == "PARAM_ERROR"
    assert control(sandbox, "/pay", {"out_trade_no": no, "copies": "two", "notify": "duplicate"}).status_code == 400
    assert control(sandbox, "/pay", {"out_trade_no": "NOSUCHORDER1"}).status_code == 404
    assert query(wxpay, no)[1]["trade_state"] == "NOTPAY"

    assert control(sandbox, "/pay", {"out_trade_no": no, "trade_state": "USERPAYING"}).status_code == 200
    assert query(wxpay, no)[1]["trade_state"] == "USERPAYING"
    assert control(sandbox, "/pay", {"out_trade_no": no, "openid": OPENID}).status_code == 200
    [notice] = wait_until(lambda: receiver.valid(no))
    assert notice["resource"]["payer"] == {"openid": OPENID}
    # USERPAYING sent nothing: every delivery for this order is its success (a slow answer may be retried).
    mine = [c["result"] for c in receiver.calls if c["result"] and c["result"]["resource"]["out_trade_no"] == no]
    assert mine and all(r["resource"]["trade_state"] == "SUCCESS" for r in mine)
