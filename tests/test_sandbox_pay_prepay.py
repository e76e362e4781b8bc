"""The WeChat Pay v3 sandbox's prepay and query answers and its signatures both ways, driven by the real
wechatpayv3 SDK (unchanged) over HTTP: every kind of prepay, the SDK's check of the sandbox's answers and
the sandbox's check of the merchant's signature, idempotent order numbers, parameter errors, and the
certificates endpoint (answers SYSTEM_ERROR).

Paying and notifications: test_sandbox_pay_payments.py; refunds: test_sandbox_pay_refunds.py.
"""
import json
import re
import time
import uuid

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from wechatpayv3 import WeChatPayType

from app.wechat import keys
from tests.sandbox_pay_fixtures import OPENID, jsapi_order, make_wxpay, native_order, new_no, pay_settings, query
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
