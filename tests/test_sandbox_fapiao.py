"""The sandbox's e-invoice API answers the real wechatpayv3 SDK as WeChat would: signatures both ways,
encrypted buyer contacts, the five-invoice application, the amounts paid, the red-letter reasons, the
unsigned file download."""
import json

import pytest
import requests

from app.invoices import gateway
from tests.refund_helpers import buy
from tests.test_invoices import complete, manual_fapiao  # noqa: F401  (fixture)
from tests.test_pay_gateway import buyer_fixture, fast_sandbox_fixture, project_fixture  # noqa: F401  (fixtures)

BUYER = {"type": "INDIVIDUAL", "name": "王小明"}


def item(fen):
    return {"tax_code": gateway.TAX_CODE, "quantity": 100000000, "total_amount": fen, "discount": False}


def fapiao(fapiao_id, fen):
    return {"fapiao_id": fapiao_id, "total_amount": fen, "need_list": False, "items": [item(fen)]}


def apply(apply_id, entries, buyer=None):
    status, text = gateway.client().fapiao_applications(apply_id, dict(buyer or BUYER), entries)
    return status, json.loads(text) if text else {}


def test_unsigned_requests_are_refused(app, sandbox):
    answer = requests.get(sandbox.url + "/v3/new-tax-control-fapiao/merchant/base-information", timeout=10)
    assert (answer.status_code, answer.json()["code"]) == (401, "SIGN_ERROR")


def test_a_body_that_is_not_utf8_is_refused_before_anything_else(app, sandbox):
    headers = {"Content-Type": "application/json", "Authorization": "WECHATPAY2-SHA256-RSA2048"}
    for path in ("/v3/new-tax-control-fapiao/fapiao-applications", "/v3/refund/domestic/refunds"):
        answer = requests.post(sandbox.url + path, data=b'{"name": "\xff\xfe"}', headers=headers, timeout=10)
        assert (answer.status_code, answer.json()["code"]) == (400, "PARAM_ERROR"), path
        assert answer.json()["message"] == "请求体不是 UTF-8 编码"


def test_answers_are_signed_and_the_seller_is_known(app):
    status, text = gateway.client().fapiao_merchant_base_info()  # the SDK raises unless the signature verifies
    assert status == 200 and json.loads(text)["taxpayer_id"] == "91500103MA5U8XK27G"


def test_contacts_arrive_encrypted_and_are_read_by_the_platform_key(app, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    status, _ = apply(order.transaction_id, [fapiao("F1", 9900)], {**BUYER, "email": "wang@example.cn"})
    assert status == 202
    [application] = [a for a in sandbox_api.get("/fapiao/applications")["applications"]
                     if a["fapiao_apply_id"] == order.transaction_id]
    assert application["fapiao"][0]["buyer_information"]["email"] == "wang@example.cn"


def test_an_unpaid_application_number_is_refused(app):
    status, body = apply("4200000000000000000000000000", [fapiao("F1", 100)])
    assert (status, body["code"]) == (400, "INVALID_REQUEST")


def test_amounts_and_the_five_invoice_limit(app, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    status, body = apply(order.transaction_id, [fapiao("F1", 9901)])
    assert (status, body["message"]) == (400, "开票金额超过订单实付金额")
    entry = fapiao("F1", 100)
    entry["total_amount"] = 200
    status, body = apply(order.transaction_id, [entry])
    assert (status, body["code"]) == (400, "PARAM_ERROR")
    status, _ = apply(order.transaction_id, [fapiao(f"F{i}", 100) for i in range(1, 6)])
    assert status == 202
    assert apply(order.transaction_id, [fapiao("F1", 100)])[0] == 202  # the same invoice again: idempotent
    status, body = apply(order.transaction_id, [fapiao("F6", 100)])
    assert (status, body["message"]) == (400, "同一发票申请单最多开具 5 张发票（含已冲红的）")
    status, body = apply(order.transaction_id, [{**fapiao("F1", 100), "total_amount": 50, "items": [item(50)]}])
    assert (status, body["code"]) == (400, "INVALID_REQUEST")


def test_reversal_reasons_and_the_unsigned_download(app, sandbox, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    apply(order.transaction_id, [fapiao("F1", 9900)])
    complete(sandbox_api, order)
    status, text = gateway.client().fapiao_query(order.transaction_id, "F1")
    blue = json.loads(text)["fapiao_information"][0]["blue_fapiao"]
    info = [{"fapiao_id": "F1", "fapiao_code": "", "fapiao_number": blue["fapiao_number"]}]
    status, text = gateway.client().fapiao_reverse(order.transaction_id, "不想要了", info)
    assert (status, json.loads(text)["code"]) == (400, "PARAM_ERROR")
    core = gateway.client()._core
    status, body = core.request(f"/v3/new-tax-control-fapiao/fapiao-applications/{order.transaction_id}/fapiao-files"
                                "?fapiao_id=F1")
    url = json.loads(body)["fapiao_download_info_list"][0]["download_url"]
    path = url.removeprefix(sandbox.url)
    assert requests.get(url, timeout=10).status_code == 401  # the download needs the merchant's signature
    status, data = core.request(path, skip_verify=True)
    assert status == 200 and data.startswith(b"%PDF")
    with pytest.raises(Exception, match="does not support this algorithm: $"):  # no signature on the file
        core.request(path)
    status, _ = core.request(path.replace("token=", "token=x"), skip_verify=True)
    assert status == 404
    status, _ = gateway.client().fapiao_reverse(order.transaction_id, "销货退回", info)
    assert status == 202
