"""The trade bill: the sandbox serves it as WeChat Pay does, app/pay/bills.py fetches, checks and reads it."""
import datetime
import gzip
import hashlib
import json

import pytest
import requests

from app.pay import bills, checkout, gateway, orders, refunds
from app.pay.models import PaymentTransaction
from tests.finance_fixtures import notified_paid
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    PRICE,
    buyer_fixture,
    fast_sandbox_fixture,
    make_user,
    order_fixture,
    paid_at_sandbox,
    project_fixture,
    reload,
    staff_fixture,
)

CST = datetime.timezone(datetime.timedelta(hours=8))


def today():
    return datetime.datetime.now(CST).date()


@pytest.fixture
def same_day_bills(sandbox, monkeypatch):
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_BILL_SAME_DAY", "1")


def test_bill_lists_payments_and_refunds_with_wechat_format_and_hash(app, sandbox_api, same_day_bills, project, buyer,
                                                                      staff, live_server):
    learners = [make_user(20 + i, name=f"学员{i}") for i in range(2)]
    group = orders.create_group_order(buyer, project.id, [u.id for u in learners], None)
    checkout.prepay(group, "native")
    paid_at_sandbox(sandbox_api, group, notify="normal")
    notified_paid(group)
    single = orders.create_individual_order(make_user(30), project.id, None)
    checkout.prepay(single, "native")
    txn = paid_at_sandbox(sandbox_api, single, notify="lost")
    seat = reload(group).seats.order_by(orders.OrderSeat.id).first()
    refund = refunds.refund_seats(reload(group), [seat.id], "学员离职", staff)
    sandbox_api.post(f"/pay/refunds/{refund.out_refund_no}/complete", {"notify": "lost"})

    bill = bills.trade_bill(today())

    assert bill.exists
    assert set(bill.payments) == {group.order_no, single.order_no}
    assert bill.payments[group.order_no]["total_fen"] == 2 * PRICE
    assert bill.payments[single.order_no] == {"transaction_id": txn["transaction_id"], "total_fen": PRICE,
                                              "appid": txn["appid"], "time": bill.payments[single.order_no]["time"]}
    assert bill.refunds == {refund.out_refund_no: {"out_trade_no": group.order_no, "refund_fen": PRICE,
                                                   "refund_id": bill.refunds[refund.out_refund_no]["refund_id"],
                                                   "time": bill.refunds[refund.out_refund_no]["time"]}}
    assert bill.summary["总交易单数"] == "3" and bill.summary["应结订单总金额"] == "297.00"
    assert bill.summary["退款总金额"] == "99.00"
    kinds = [(r.kind, r.outcome) for r in PaymentTransaction.select().where(
        PaymentTransaction.kind.in_(["bill", "bill_download"])).order_by(PaymentTransaction.id)]
    assert kinds == [("bill", "ok"), ("bill_download", "ok")]


def test_plain_and_gzip_files_hash_the_plain_text(app, sandbox_api, same_day_bills, order):
    checkout.prepay(order, "native")
    paid_at_sandbox(sandbox_api, order)
    client = gateway.client()
    # The SDK always sends tar_type; without it WeChat serves plain text.
    status, text = client._core.request(f"/v3/bill/tradebill?bill_date={today().isoformat()}&bill_type=SUCCESS")
    assert status == 200
    answer = json.loads(text)
    assert answer["hash_type"] == "SHA1" and answer["download_url"].startswith(client._core._gate_way)
    status, plain = client.download_bill(answer["download_url"])
    assert status == 200 and hashlib.sha1(plain).hexdigest() == answer["hash_value"]
    lines = plain.decode("utf-8").split("\r\n")
    assert lines[0].startswith("交易时间,公众账号ID,商户号") and lines[1].startswith("`")
    assert f"`{order.order_no}," in lines[1] and ",`SUCCESS," in lines[1] and ",`99.00," in lines[1]
    assert lines[2].startswith("总交易单数") and lines[3] == "`1,`99.00,`0.00,`0.00,`0.59400,`99.00,`0.00"

    status, text = client.trade_bill(bill_date=today().isoformat())  # GZIP by default
    answer = json.loads(text)
    status, packed = client.download_bill(answer["download_url"])
    assert packed[:2] == b"\x1f\x8b" and gzip.decompress(packed) == plain


def test_bill_rules_at_the_sandbox(app, sandbox, sandbox_api, order):
    client = gateway.client()
    # Today's bill is made after 09:00 tomorrow (China time).
    status, text = client.trade_bill(bill_date=today().isoformat())
    assert (status, '"STATEMENT_CREATING"' in text) == (400, True)
    with pytest.raises(bills.NotReady):
        bills.trade_bill(today())
    # A past day without transactions has no bill: an empty one for us.
    quiet = today() - datetime.timedelta(days=2)
    status, text = client.trade_bill(bill_date=quiet.isoformat())
    assert (status, '"NO_STATEMENT_EXIST"' in text) == (400, True)
    empty = bills.trade_bill(quiet)
    assert (empty.exists, empty.payments, empty.refunds) == (False, {}, {})
    # Bad parameters.
    assert client.trade_bill(bill_date="2026-13-01")[0] == 400
    assert client.trade_bill(bill_date=(today() + datetime.timedelta(days=1)).isoformat())[0] == 400
    assert client.trade_bill(bill_date=quiet.isoformat(), bill_type="ODD")[0] == 400
    # An unknown or expired download link.
    status, _ = client.download_bill(sandbox.url + "/v3/billdownload/file?token=nope")
    assert status == 400
    # An unsigned request is refused like any /v3 call.
    assert requests.get(sandbox.url + f"/v3/bill/tradebill?bill_date={quiet}", timeout=5).status_code == 401


def test_planted_amount_changes_the_bill_only(app, sandbox_api, same_day_bills, order):
    checkout.prepay(order, "native")
    paid_at_sandbox(sandbox_api, order)
    planted = sandbox_api.post("/pay/bill-amount", {"out_trade_no": order.order_no, "total": 9800})
    assert planted["bill_total"] == 9800
    assert bills.trade_bill(today()).payments[order.order_no]["total_fen"] == 9800
    assert gateway.query(order.order_no)["amount"]["total"] == PRICE  # the transaction itself is unchanged
    sandbox_api.post("/pay/bill-amount", {"out_trade_no": order.order_no, "total": None})
    assert bills.trade_bill(today()).payments[order.order_no]["total_fen"] == PRICE


def test_parse_refuses_unreadable_amounts_and_reads_fen_exactly():
    assert bills.fen("0.01") == 1 and bills.fen("1234.50") == 123450
    with pytest.raises(bills.BadBill):
        bills.fen("1.234")
    with pytest.raises(bills.BadBill):
        bills.fen("abc")
    with pytest.raises(bills.BadBill):
        bills.parse("", today())
