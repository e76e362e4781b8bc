"""The WeChat Pay v3 sandbox, driven by the real wechatpayv3 SDK (unchanged) over HTTP.

Notifications go to a tiny receiver app served from a thread, which checks them with `wxpay.callback`.
"""
import base64
import json
import re
import time
import uuid

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3 import WeChatPayType

from app.wechat import keys
from tests.helpers import wait_until
from tests.sandbox_pay_fixtures import (
    OPENID,
    control,
    jsapi_order,
    make_wxpay,
    native_order,
    new_no,
    notifications,
    paid_order,
    pay_settings,
    query,
)
from tests.sandbox_pay_fixtures import clean_sandbox as clean_sandbox  # noqa: F401  (autouse)
from tests.sandbox_pay_fixtures import receiver as receiver  # noqa: F401  (fixtures the tests take)
from tests.sandbox_pay_fixtures import receiver_server as receiver_server  # noqa: F401
from tests.sandbox_pay_fixtures import wxpay as wxpay  # noqa: F401

# ---- prepay, query, signatures -------------------------------------------------------------------

def test_prepay_answers_are_signed_and_accepted_by_the_sdk(sandbox, wxpay):
    s = pay_settings(sandbox)
    _, native = native_order(wxpay)
    assert re.fullmatch(r"weixin://wxpay/bizpayurl\?pr=\w+", native["code_url"])

    _, prepay_id = jsapi_order(wxpay)
    assert re.fullmatch(r"wx\w{34}", prepay_id)

    code, body = wxpay.pay(description="小程序购买", out_trade_no=new_no(), amount={"total": 1},
                           payer={"openid": OPENID}, appid=s["mini_appid"], pay_type=WeChatPayType.MINIPROG)
    assert code == 200 and json.loads(body)["prepay_id"].startswith("wx")

    code, body = wxpay.pay(description="H5 购买", out_trade_no=new_no(), amount={"total": 1},
                           scene_info={"payer_client_ip": "127.0.0.1", "h5_info": {"type": "Wap"}},
                           pay_type=WeChatPayType.H5)
    assert code == 200
    h5_url = json.loads(body)["h5_url"]
    assert h5_url.startswith(sandbox.url + "/_sandbox/pay/cashier?prepay_id=wx")
    assert requests.get(h5_url, timeout=10).status_code == 200

    code, body = wxpay.pay(description="App 购买", out_trade_no=new_no(), amount={"total": 1},
                           pay_type=WeChatPayType.APP)
    assert code == 200 and "prepay_id" in json.loads(body)


def test_sdk_refuses_answers_signed_by_another_platform_key(sandbox):
    other = keys.public_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    wxpay = make_wxpay(sandbox, public_key_pem=other)
    with pytest.raises(Exception, match="failed to verify the signature"):
        native_order(wxpay)


def test_answer_headers(sandbox, wxpay):
    no, _ = native_order(wxpay)
    path = f"/v3/pay/transactions/out-trade-no/{no}?mchid={pay_settings(sandbox)['mchid']}"
    auth = _authorization(sandbox, "GET", path, "")
    resp = requests.get(sandbox.url + path, headers={"Authorization": auth}, timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert resp.headers["Wechatpay-Serial"] == pay_settings(sandbox)["public_key_id"]
    assert resp.headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
    assert resp.headers["Request-ID"]
    platform_public = keys.load_public_key(sandbox.config["WECHATPAY_PUBLIC_KEY_PATH"])
    message = f"{resp.headers['Wechatpay-Timestamp']}\n{resp.headers['Wechatpay-Nonce']}\n{resp.text}\n"
    assert keys.verify(platform_public, message, resp.headers["Wechatpay-Signature"])


def test_query_unpaid_order_and_unknown_orders(wxpay):
    no, _ = native_order(wxpay, total=2500)
    code, txn = query(wxpay, no)
    assert code == 200
    assert txn["trade_state"] == "NOTPAY" and txn["trade_type"] == "NATIVE" and txn["out_trade_no"] == no
    assert txn["amount"]["total"] == 2500 and "transaction_id" not in txn

    code, body = query(wxpay, "NOSUCHORDER1")
    assert code == 404 and body["code"] == "ORDER_NOT_EXIST"
    code, body = wxpay.query(transaction_id="4200000000000000000000000000")
    assert code == 404 and json.loads(body)["code"] == "ORDER_NOT_EXIST"


def test_same_out_trade_no_is_idempotent_and_a_different_amount_is_refused(wxpay):
    no, first = native_order(wxpay, total=100)
    _, again = native_order(wxpay, total=100, out_trade_no=no)
    assert again == first
    code, body = wxpay.pay(description="公需科目 2026 年度学习计划", out_trade_no=no, amount={"total": 200})
    assert code == 400
    error = json.loads(body)
    assert error["code"] == "INVALID_REQUEST" and "订单号重复" in error["message"]


@pytest.mark.parametrize("change, code", [
    ({"out_trade_no": "T1234"}, "PARAM_ERROR"),
    ({"out_trade_no": "T12345 67"}, "PARAM_ERROR"),
    ({"description": "课" * 128}, "PARAM_ERROR"),
    ({"amount": {"total": 0}}, "PARAM_ERROR"),
    ({"amount": {"total": "100"}}, "PARAM_ERROR"),
    ({"notify_url": "not-a-url"}, "PARAM_ERROR"),
    ({"time_expire": "2026-06-08 10:34"}, "PARAM_ERROR"),
    ({"appid": "wx0000000000unknown"}, "APPID_MCHID_NOT_MATCH"),
])
def test_prepay_parameter_errors(wxpay, change, code):
    args = {"description": "公需科目", "out_trade_no": new_no(), "amount": {"total": 100}, **change}
    status, body = wxpay.pay(**args)
    assert status == 400 and json.loads(body)["code"] == code, body


def test_jsapi_needs_openid_and_h5_needs_scene_info(wxpay):
    status, body = wxpay.pay(description="公需科目", out_trade_no=new_no(), amount={"total": 1},
                             payer={"openid": ""}, pay_type=WeChatPayType.JSAPI)
    assert status == 400 and json.loads(body)["code"] == "PARAM_ERROR"
    status, body = wxpay.pay(description="公需科目", out_trade_no=new_no(), amount={"total": 1},
                             scene_info={"payer_client_ip": "127.0.0.1"}, pay_type=WeChatPayType.H5)
    assert status == 400 and json.loads(body)["code"] == "PARAM_ERROR"


def _authorization(sandbox, method, path, body, timestamp=None, mchid=None):
    key = keys.load_or_create_private_key(sandbox.config["WECHATPAY_PRIVATE_KEY_PATH"])
    ts, nonce = str(timestamp or int(time.time())), uuid.uuid4().hex.upper()
    signature = keys.sign(key, f"{method}\n{path}\n{ts}\n{nonce}\n{body}\n")
    return (f'WECHATPAY2-SHA256-RSA2048 mchid="{mchid or pay_settings(sandbox)["mchid"]}",nonce_str="{nonce}",'
            f'signature="{signature}",timestamp="{ts}",serial_no="{keys.key_serial(key)}"')


def test_merchant_signature_is_checked(sandbox):
    wrong_key = keys.private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    forger = make_wxpay(sandbox, private_key_pem=wrong_key)
    code, body = forger.query(out_trade_no="T123456")
    assert code == 401
    assert json.loads(body)["code"] == "SIGN_ERROR" and json.loads(body)["message"] == "错误的签名，验签失败"

    code, body = make_wxpay(sandbox, mchid="1900000000").query(out_trade_no="T123456")
    assert code == 400 and json.loads(body)["code"] == "MCH_NOT_EXISTS"

    path = "/v3/pay/transactions/out-trade-no/T123456?mchid=" + pay_settings(sandbox)["mchid"]
    missing = requests.get(sandbox.url + path, timeout=10)
    assert missing.status_code == 401 and missing.json()["code"] == "SIGN_ERROR"
    stale = requests.get(sandbox.url + path, timeout=10,
                         headers={"Authorization": _authorization(sandbox, "GET", path, "", time.time() - 400)})
    assert stale.status_code == 401 and stale.json()["code"] == "SIGN_ERROR"
    fresh = requests.get(sandbox.url + path, timeout=10,
                         headers={"Authorization": _authorization(sandbox, "GET", path, "")})
    assert fresh.status_code == 404  # signed correctly: reaches the order lookup


def test_certificates_endpoint_answers_system_error(wxpay):
    code, body = wxpay._core.request("/v3/certificates", skip_verify=True)
    assert code == 500 and json.loads(body)["code"] == "SYSTEM_ERROR"


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


# ---- refunds -------------------------------------------------------------------------------------

def refund(wxpay, no, out_refund_no, amount, total):
    code, body = wxpay.refund(out_refund_no=out_refund_no, out_trade_no=no,
                              amount={"refund": amount, "total": total, "currency": "CNY"})
    return code, json.loads(body)


def test_refund_and_its_notification(sandbox, wxpay, receiver):
    no = paid_order(sandbox, wxpay, total=1000)
    code, accepted = refund(wxpay, no, "R" + no, 1000, 1000)
    assert code == 200 and accepted["status"] == "PROCESSING" and accepted["amount"]["refund"] == 1000
    assert refund(wxpay, no, "R" + no, 1000, 1000)[1]["refund_id"] == accepted["refund_id"]

    resp = control(sandbox, f"/refunds/R{no}/complete")
    assert resp.status_code == 200 and resp.json()["refund"]["status"] == "SUCCESS"
    [notice] = wait_until(lambda: receiver.valid(no, "REFUND.SUCCESS"))
    assert notice["resource"]["out_refund_no"] == "R" + no and notice["resource"]["refund_status"] == "SUCCESS"
    assert notice["resource"]["amount"]["refund"] == 1000

    code, body = wxpay.query_refund(out_refund_no="R" + no)
    assert code == 200 and json.loads(body)["status"] == "SUCCESS"
    assert query(wxpay, no)[1]["trade_state"] == "REFUND"
    assert control(sandbox, f"/refunds/R{no}/complete").json()["already_done"] is True


def test_refund_completes_by_itself_after_the_delay(sandbox, wxpay, receiver, monkeypatch):
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_REFUND_DELAY", 0.2)
    no = paid_order(sandbox, wxpay, total=1000)
    assert refund(wxpay, no, "R" + no, 300, 1000)[0] == 200
    [notice] = wait_until(lambda: receiver.valid(no, "REFUND.SUCCESS"))
    assert notice["resource"]["amount"] == {"total": 1000, "refund": 300, "payer_total": 1000, "payer_refund": 300}
    assert json.loads(wxpay.query_refund(out_refund_no="R" + no)[1])["status"] == "SUCCESS"
    assert query(wxpay, no)[1]["trade_state"] == "SUCCESS"  # partly refunded


def test_refund_rules(sandbox, wxpay):
    unpaid, _ = native_order(wxpay, total=100)
    code, body = refund(wxpay, unpaid, "R" + unpaid, 100, 100)
    assert code == 400 and body["code"] == "INVALID_REQUEST"

    no = paid_order(sandbox, wxpay, total=100)
    code, body = refund(wxpay, no, new_no("R"), 101, 100)
    assert code == 400 and body["code"] == "NOT_ENOUGH"
    assert refund(wxpay, no, new_no("R"), 60, 100)[0] == 200
    code, body = refund(wxpay, no, new_no("R"), 41, 100)
    assert code == 400 and body["code"] == "NOT_ENOUGH"
    code, body = refund(wxpay, "NOSUCHORDER1", new_no("R"), 1, 100)
    assert code == 404


def test_the_51st_partial_refund_is_refused(sandbox, wxpay):
    no = paid_order(sandbox, wxpay, total=1000)
    for index in range(50):
        code, body = refund(wxpay, no, f"R{index:02d}{no}", 1, 1000)
        assert code == 200, body
    code, body = refund(wxpay, no, f"R50{no}", 1, 1000)
    assert code == 400 and "50" in body["message"]
    assert refund(wxpay, no, f"R07{no}", 1, 1000)[0] == 200  # a repeat of an accepted refund is still fine


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
