"""POST /pay/wechat/notify and the settle jobs, with the sandbox delivering notifications to the live app."""
import datetime
import time

import pytest

from app.db import utcnow
from app.errors import ApiError
from app.jobs.clock import tick
from app.learning.models import Enrollment
from app.pay import checkout, settle
from app.pay.models import Order, PaymentTransaction
from app.wechat import login
from app.wechat.models import WechatMessage
from tests.helpers import wait_until
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    PRICE,
    buyer_fixture,
    fast_sandbox_fixture,
    order_fixture,
    paid_at_sandbox,
    post_notification,
    project_fixture,
    reload,
    rows,
    sandbox_notices,
    sandbox_txn,
    signed_notification,
)


def paid_rows(order):
    return [r for r in rows(order, "notify") if r.outcome == "paid"]


def enrollments(order):
    return list(Enrollment.select().where(Enrollment.order_id == order.id, Enrollment.status == "active"))


def acknowledged(sandbox_api, order, count=1):
    """The sandbox's log once `count` deliveries were answered 204."""
    def done():
        log = sandbox_notices(sandbox_api, order.order_no)
        return log if len([e for e in log if e["status"] == 204]) >= count else None
    return wait_until(done)


@pytest.fixture
def opened(live_server, order):
    """An order opened at WeChat Pay after the live app is up (so notify_url points at it)."""
    checkout.prepay(order, "native")
    return reload(order)


def refused_by_app(sandbox_api, order, status):
    return wait_until(lambda: [e for e in sandbox_notices(sandbox_api, order.order_no) if e["status"] == status])


# ---- paid, once ----------------------------------------------------------------------------------

def test_a_notification_pays_the_order_and_a_replay_changes_nothing(app, sandbox_api, opened, drain):
    txn = paid_at_sandbox(sandbox_api, opened, notify="normal")
    acknowledged(sandbox_api, opened)
    paid = reload(opened)
    assert paid.status == "paid" and paid.transaction_id == txn["transaction_id"] and paid.paid_at
    assert len(enrollments(opened)) == 1

    sandbox_api.post("/pay/notify-again", {"out_trade_no": opened.order_no})
    acknowledged(sandbox_api, opened, 2)
    assert [r.outcome for r in rows(opened, "notify")] == ["paid", "duplicate"]
    assert all(r.verified and r.status_code == 204 and r.direction == "in" for r in rows(opened, "notify"))
    assert reload(opened).paid_at == paid.paid_at and len(enrollments(opened)) == 1
    drain()
    assert WechatMessage.select().where(WechatMessage.event_key == f"order-paid:{opened.id}").count() == 1
    # The sandbox got an empty 204 each time.
    assert all(e["response"] == "" for e in sandbox_notices(sandbox_api, opened.order_no))


def test_twenty_concurrent_copies_change_the_order_once_and_send_one_message(app, sandbox_api, live_server, order,
                                                                            buyer, drain):
    wx = sandbox_api.post("/users", {"nickname": "小王"})
    mp_appid = app.config["WECHAT_MP_APPID"]
    login.bind(login.identity_for("mp", mp_appid, wx["openids"][mp_appid]), buyer)
    checkout.prepay(order, "native")

    paid_at_sandbox(sandbox_api, order, notify="duplicate", copies=20)
    log = acknowledged(sandbox_api, order, 20)
    assert sorted({e["copy"] for e in log}) == list(range(1, 21))
    assert reload(order).status == "paid"
    assert len(paid_rows(order)) == 1
    notified = rows(order, "notify")
    answered = [r for r in notified if r.status_code == 204]
    assert {r.outcome for r in answered} == {"paid", "duplicate"} and len(answered) == 20
    # A copy that found no free database connection was answered 500 (never a page) and delivered again:
    # every other row is such a failure.
    failed = [r for r in notified if r.status_code != 204]
    assert all(r.status_code == 500 and r.outcome == "error" for r in failed)
    assert len(notified) == len(answered) + len(failed)
    assert len(enrollments(order)) == 1

    drain()
    assert WechatMessage.select().where(WechatMessage.event_key == f"order-paid:{order.id}").count() == 1
    assert app.extensions["queue"].failed_job_registry.count == 0
    sent = [m for m in sandbox_api.get("/messages?kind=template") if m["kind"] == "template"]
    assert len(sent) == 1 and sent[0]["uid"] == wx["uid"] and sent[0]["template_name"] == "purchase_paid"
    assert WechatMessage.get(WechatMessage.event_key == f"order-paid:{order.id}").status == "sent"


def test_sign_test_probe_is_refused_then_the_real_one_is_applied(app, sandbox_api, opened):
    paid_at_sandbox(sandbox_api, opened, notify="signtest")
    acknowledged(sandbox_api, opened)
    assert [e["status"] for e in sandbox_notices(sandbox_api, opened.order_no)] == [401, 204]
    assert reload(opened).status == "paid"
    assert [(r.verified, r.outcome) for r in rows(kind="notify")] == [(False, "refused:signature invalid"),
                                                                      (True, "paid")]


# ---- refused -------------------------------------------------------------------------------------

def test_tampered_notification_is_refused_with_401(app, sandbox_api, opened):
    paid_at_sandbox(sandbox_api, opened, notify="tampered")
    [entry] = refused_by_app(sandbox_api, opened, 401)
    assert '"code":"FAIL"' in entry["response"].replace(" ", "")
    assert reload(opened).status == "pending" and enrollments(opened) == []
    [row] = rows(kind="notify")
    assert (row.status_code, row.verified, row.outcome) == (401, False, "refused:signature invalid")


def test_amount_changed_locally_is_refused_and_the_order_unchanged(app, sandbox_api, opened):
    Order.update(amount_fen=PRICE + 100).where(Order.id == opened.id).execute()
    paid_at_sandbox(sandbox_api, opened, notify="normal")
    [entry, *_] = refused_by_app(sandbox_api, opened, 400)
    assert "金额" in entry["response"]
    assert reload(opened).status == "pending" and enrollments(opened) == []
    notify_row = rows(opened, "notify")[0]
    assert (notify_row.status_code, notify_row.verified, notify_row.outcome) == (400, True, "refused:amount_mismatch")
    assert rows(opened, "settle")[0].outcome == "refused:amount_mismatch"


@pytest.mark.parametrize("change, reason", [
    ({"amount": {"total": 1, "currency": "CNY"}}, "amount_mismatch"),
    ({"appid": "wx0000000000000other"}, "appid_mismatch"),
    ({"mchid": "1900000000"}, "mchid_mismatch"),
    ({"trade_state": "NOTPAY"}, "not_success"),
])
def test_correctly_signed_but_wrong_content_is_refused(app, sandbox, sandbox_api, opened, live_server, change, reason):
    txn = paid_at_sandbox(sandbox_api, opened)  # paid, notification lost: we forge from the real content
    resp = post_notification(live_server, *signed_notification(sandbox, {**txn, **change}))
    assert resp.status_code == 400 and resp.json()["code"] == "FAIL"
    assert reload(opened).status == "pending" and enrollments(opened) == []
    assert rows(opened, "notify")[-1].outcome == f"refused:{reason}"
    # The genuine content still pays it.
    assert post_notification(live_server, *signed_notification(sandbox, txn)).status_code == 204
    assert reload(opened).status == "paid"


def test_mini_paid_order_refuses_the_official_account_appid(app, sandbox, sandbox_api, live_server, order):
    checkout.prepay(order, "mini", openid="oMiniPayer000000000000000001")
    txn = paid_at_sandbox(sandbox_api, order)
    assert txn["appid"] == app.config["WECHAT_MINI_APPID"]
    forged = {**txn, "appid": app.config["WECHAT_MP_APPID"]}  # ours, but not the one this order was paid with
    assert post_notification(live_server, *signed_notification(sandbox, forged)).status_code == 400
    assert post_notification(live_server, *signed_notification(sandbox, txn)).status_code == 204


def test_expired_timestamp_is_refused(app, sandbox, sandbox_api, opened, live_server):
    txn = paid_at_sandbox(sandbox_api, opened)
    resp = post_notification(live_server, *signed_notification(sandbox, txn, timestamp=time.time() - 600))
    assert resp.status_code == 401 and resp.json() == {"code": "FAIL", "message": "验签失败"}
    assert reload(opened).status == "pending"
    assert rows(kind="notify")[-1].outcome == "refused:timestamp out of range"


def test_unknown_order_is_refused_with_400(app, sandbox, sandbox_api, opened, live_server):
    txn = paid_at_sandbox(sandbox_api, opened)
    unknown = {**txn, "out_trade_no": "CE20990101000000999999"}
    resp = post_notification(live_server, *signed_notification(sandbox, unknown))
    assert resp.status_code == 400 and resp.json() == {"code": "FAIL", "message": "订单不存在"}
    row = rows(kind="notify")[-1]
    assert (row.order_id, row.outcome) == (None, "refused:unknown_order")


def test_missing_headers_and_garbage_never_give_a_500_page(app, live_server):
    import requests

    url = live_server + "/pay/wechat/notify"
    for headers, body in [({}, b"{}"), ({"Wechatpay-Serial": "x"}, b"not json"), ({}, b"\xff\xfe")]:
        resp = requests.post(url, data=body, headers=headers, timeout=10)
        assert resp.status_code == 401 and resp.json()["code"] == "FAIL"
    assert PaymentTransaction.select().where(PaymentTransaction.verified == False).count() == 3  # noqa: E712


# ---- no notification: the jobs query -------------------------------------------------------------

def test_lost_notification_is_settled_by_the_periodic_query(app, sandbox_api, opened, drain):
    txn = paid_at_sandbox(sandbox_api, opened, notify="lost")
    assert settle.settle_pending_orders() == 0  # prepaid under a minute ago: still waiting for WeChat
    Order.update(prepaid_at=utcnow() - datetime.timedelta(seconds=61)).where(Order.id == opened.id).execute()
    assert "settle-pending-orders" in tick()  # the clock enqueues the periodic job; it enqueues settle_order
    drain()
    paid = reload(opened)
    assert paid.status == "paid" and paid.transaction_id == txn["transaction_id"] and len(enrollments(opened)) == 1
    assert [r.outcome for r in rows(opened, "query")] == ["ok"]
    assert sandbox_notices(sandbox_api, opened.order_no) == []
    assert settle.settle_order(opened.order_no) == "paid"  # nothing more to do


def test_settle_order_queries_at_most_every_five_seconds(app, opened):
    assert settle.settle_order(opened.order_no) == "open"
    assert settle.settle_order(opened.order_no) == "debounced"
    assert len(rows(opened, "query")) == 1
    Order.update(last_query_at=utcnow() - datetime.timedelta(seconds=6)).where(Order.id == opened.id).execute()
    assert settle.settle_order(opened.order_no) == "open"


def test_expired_order_is_closed_at_wechat_and_here(app, sandbox_api, opened, drain):
    sandbox_api.post("/pay/expire", {"out_trade_no": opened.order_no})
    Order.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).where(Order.id == opened.id).execute()
    assert settle.close_expired_orders() == 1
    drain()
    closed = reload(opened)
    assert closed.status == "closed" and closed.closed_at
    assert sandbox_txn(sandbox_api, opened.order_no)["trade_state"] == "CLOSED"
    assert [r.kind for r in rows(opened)] == ["prepay", "query", "close"]
    with pytest.raises(ApiError) as err:
        checkout.prepay(opened, "native")
    assert err.value.status == 409


def test_paid_at_the_last_second_is_paid_not_closed(app, sandbox_api, opened, drain):
    paid_at_sandbox(sandbox_api, opened, notify="lost")
    Order.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).where(Order.id == opened.id).execute()
    settle.close_expired_orders()
    drain()
    assert reload(opened).status == "paid"
    assert sandbox_txn(sandbox_api, opened.order_no)["trade_state"] == "SUCCESS"
    assert "close" not in [r.kind for r in rows(opened)]


def test_expired_order_never_sent_to_wechat_is_closed(app, order, drain):
    Order.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).where(Order.id == order.id).execute()
    settle.close_expired_orders()
    drain()
    assert reload(order).status == "closed"
    assert [(r.kind, r.outcome) for r in rows(order)] == [("query", "ORDER_NOT_EXIST")]


def test_a_late_notification_for_a_closed_order_still_grants(app, sandbox, sandbox_api, opened, live_server):
    txn = paid_at_sandbox(sandbox_api, opened)
    settle.mark_closed(opened)  # closed here (a race with the close job), paid at WeChat
    assert post_notification(live_server, *signed_notification(sandbox, txn)).status_code == 204
    assert reload(opened).status == "paid" and len(enrollments(opened)) == 1
