"""Refunds at the WeChat Pay v3 sandbox, driven by the real wechatpayv3 SDK (unchanged) over HTTP: a refund
completed through the control API or by itself after the delay, its notification, its query, and the
rules (only a paid order, no more than was paid, at most 50 partial refunds).

Prepay, query and signatures: test_sandbox_pay_prepay.py; paying and notifications:
test_sandbox_pay_payments.py.
"""
import json

from tests.helpers import wait_until
from tests.sandbox_pay_fixtures import clean_sandbox as clean_sandbox  # noqa: F401  (autouse)
from tests.sandbox_pay_fixtures import control, native_order, new_no, paid_order, query
from tests.sandbox_pay_fixtures import receiver as receiver  # noqa: F401  (fixtures the tests take)
from tests.sandbox_pay_fixtures import receiver_server as receiver_server  # noqa: F401
from tests.sandbox_pay_fixtures import wxpay as wxpay  # noqa: F401

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
