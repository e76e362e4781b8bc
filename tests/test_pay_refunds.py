"""Staff refunds: whole orders and seats, one WeChat refund per Refund row, at most 50 per payment."""
import datetime
import json

import pytest

from app.db import utcnow
from app.errors import ApiError
from app.learning.models import Enrollment
from app.pay import checkout, orders, refunds
from app.pay.models import Order, OrderSeat, Refund
from tests.finance_fixtures import notified_paid
from tests.helpers import wait_until
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    PRICE,
    buyer_fixture,
    fast_sandbox_fixture,
    make_user,
    order_fixture,
    paid_at_sandbox,
    pay_and_settle,
    post_notification,
    project_fixture,
    reload,
    rows,
    signed_notification,
    staff_fixture,
)


def group_order(project, buyer, count, first=10):
    learners = [make_user(first + i, name=f"学员{i}") for i in range(count)]
    return orders.create_group_order(buyer, project.id, [u.id for u in learners], None)


def seats(order):
    return list(OrderSeat.select().where(OrderSeat.order == order.id).order_by(OrderSeat.id))


def enrollment(seat):
    return Enrollment.get(Enrollment.seat_id == seat.id)


def sandbox_refunds(sandbox_api, order):
    return sandbox_api.get(f"/pay/refunds?out_trade_no={order.order_no}")["refunds"]


def complete(sandbox_api, refund, **options):
    return sandbox_api.post(f"/pay/refunds/{refund.out_refund_no}/complete", options)


def finished(refund):
    return wait_until(lambda: Refund.get_by_id(refund.id).status != "processing" and Refund.get_by_id(refund.id))


@pytest.fixture
def paid_order(live_server, sandbox_api, order):
    """An individual order paid by notification (the live app is up, so refund notifications reach it)."""
    checkout.prepay(order, "native")
    paid_at_sandbox(sandbox_api, order, notify="normal")
    return notified_paid(order)  # paid, and the notify handler done writing (SQLite)


@pytest.fixture
def paid_group(live_server, sandbox_api, project, buyer):
    order = group_order(project, buyer, 3)
    checkout.prepay(order, "native")
    paid_at_sandbox(sandbox_api, order, notify="normal")
    return notified_paid(order)  # paid, and the notify handler done writing (SQLite)


# ---- whole orders and seats ----------------------------------------------------------------------

def test_whole_order_refund_and_its_notification_revoke_the_plan(app, sandbox_api, paid_order, staff):
    [seat] = seats(paid_order)
    assert enrollment(seat).status == "active"
    refund = refunds.refund_seats(paid_order, None, "学员申请退款", staff)
    assert (refund.out_refund_no, refund.amount_fen, refund.status) == (paid_order.order_no + "R01", PRICE,
                                                                       "processing")
    assert refund.created_by_id == staff.id and refund.refund_id and json.loads(refund.seat_ids) == [seat.id]
    assert seats(paid_order)[0].status == "refunding"
    [at_wechat] = sandbox_refunds(sandbox_api, paid_order)
    assert at_wechat["amount"]["refund"] == PRICE and at_wechat["status"] == "PROCESSING"

    complete(sandbox_api, refund)
    assert finished(refund).status == "success"
    order = reload(paid_order)
    assert (order.status, order.refunded_fen) == ("refunded", PRICE)
    assert seats(order)[0].status == "refunded" and enrollment(seat).status == "revoked"
    # The notification is logged after the refund it applied (app/pay/notify.py): its answer may still be on the way.
    wait_until(lambda: len(rows(order, "refund_notify")) == 1)
    assert [r.outcome for r in rows(order, "refund_notify")] == ["refunded"]

    sandbox_api.post("/pay/notify-again", {"out_refund_no": refund.out_refund_no})
    wait_until(lambda: len(rows(order, "refund_notify")) == 2)
    assert rows(order, "refund_notify")[-1].outcome == "duplicate"
    assert reload(order).refunded_fen == PRICE
    with pytest.raises(ApiError) as err:
        refunds.refund_seats(order, None, "再退一次", staff)
    assert err.value.status == 409 and err.value.message == "该订单已全额退款"


def test_seats_of_a_group_order_are_refunded_in_batches(app, sandbox_api, paid_group, staff):
    first, second, third = seats(paid_group)
    one = refunds.refund_seats(paid_group, [first.id], "学员离职", staff)
    complete(sandbox_api, one)
    finished(one)
    order = reload(paid_group)
    assert (order.status, order.refunded_fen) == ("partially_refunded", PRICE)
    assert [enrollment(s).status for s in (first, second, third)] == ["revoked", "active", "active"]

    batch = refunds.refund_seats(order, [second.id, third.id], "单位取消报名", staff)
    assert batch.out_refund_no.endswith("R02") and batch.amount_fen == 2 * PRICE
    complete(sandbox_api, batch)
    finished(batch)
    order = reload(order)
    assert (order.status, order.refunded_fen) == ("refunded", 3 * PRICE)
    assert {enrollment(s).status for s in seats(order)} == {"revoked"}
    assert [x["amount"]["refund"] for x in sandbox_refunds(sandbox_api, order)] == [PRICE, 2 * PRICE]


def test_refund_refusals(app, sandbox_api, project, buyer, staff, order):
    with pytest.raises(ApiError) as err:
        refunds.refund_seats(order, None, "未付款", staff)
    assert (err.value.status, err.value.message) == (409, "订单未支付，不能退款")

    group = pay_and_settle(sandbox_api, group_order(project, buyer, 2))
    mine, other = seats(group)
    for seat_ids, reason, user, status in [([seats(order)[0].id], "别的订单", staff, 422),
                                           ([mine.id], "  ", staff, 422),
                                           ([mine.id], "学员", buyer, 403)]:
        with pytest.raises(ApiError) as err:
            refunds.refund_seats(group, seat_ids, reason, user)
        assert err.value.status == status
    refunds.refund_seats(group, [mine.id], "学员离职", staff)
    with pytest.raises(ApiError) as err:
        refunds.refund_seats(group, [mine.id, other.id], "重复", staff)
    assert err.value.status == 409 and err.value.data == {"seat_ids": [mine.id]}
    assert Refund.select().count() == 1 and len(sandbox_refunds(sandbox_api, group)) == 1
    assert seats(group)[1].status == "active"


@pytest.mark.parametrize("field", ["started_at", "certified_at"])
def test_a_seat_in_use_needs_an_override(app, sandbox_api, order, staff, field):
    paid = pay_and_settle(sandbox_api, order)
    [seat] = seats(paid)
    Enrollment.update(**{field: utcnow()}).where(Enrollment.seat_id == seat.id).execute()
    with pytest.raises(ApiError) as err:
        refunds.refund_seats(paid, None, "学员申请退款", staff)
    assert (err.value.status, err.value.code, err.value.data) == (409, "seat_in_use", {"seat_ids": [seat.id]})
    assert Refund.select().count() == 0 and rows(paid, "refund") == [] and seats(paid)[0].status == "active"

    refund = refunds.refund_seats(paid, None, "学员申请退款，已学习部分课程", staff, override=True)
    assert refund.override is True and refund.status == "processing"
    complete(sandbox_api, refund, notify="lost")
    assert refunds.settle_refund(refund.out_refund_no) == "refunded"
    assert enrollment(seat).status == "revoked"


def test_the_51st_refund_of_one_payment_is_refused(app, sandbox_api, project, buyer, staff):
    group = pay_and_settle(sandbox_api, group_order(project, buyer, 51, first=100))
    all_seats = seats(group)
    for number, seat in enumerate(all_seats[:50], start=1):
        refund = refunds.refund_seats(group, [seat.id], "逐个退款", staff)
        assert refund.out_refund_no == f"{group.order_no}R{number:02d}" and refund.status == "processing"
    with pytest.raises(ApiError) as err:
        refunds.refund_seats(group, [all_seats[50].id], "第51次", staff)
    assert err.value.status == 409 and err.value.code == "refund_limit"
    assert "50" in err.value.message and "合并为一次退款" in err.value.message
    assert len(rows(group, "refund")) == 50 and len(sandbox_refunds(sandbox_api, group)) == 50
    assert OrderSeat.get_by_id(all_seats[50].id).status == "active"


# ---- failures and settling -----------------------------------------------------------------------

def test_a_closed_refund_gives_the_seat_back(app, sandbox_api, paid_order, staff):
    refund = refunds.refund_seats(paid_order, None, "学员申请退款", staff)
    complete(sandbox_api, refund, status="CLOSED")
    assert finished(refund).status == "failed"
    order = reload(paid_order)
    assert (order.status, order.refunded_fen) == ("paid", 0)
    assert seats(order)[0].status == "active" and enrollment(seats(order)[0]).status == "active"
    again = refunds.refund_seats(order, None, "再次退款", staff)
    assert again.out_refund_no.endswith("R02") and len(sandbox_refunds(sandbox_api, order)) == 2


def test_an_abnormal_refund_waits_for_staff_then_succeeds(app, sandbox, sandbox_api, paid_order, staff, live_server):
    refund = refunds.refund_seats(paid_order, None, "学员申请退款", staff)
    complete(sandbox_api, refund, status="ABNORMAL")
    assert finished(refund).status == "abnormal"
    # The money left us but the payer's card refused it: the seat stays "refunding", nothing is granted back
    # or revoked, and WeChat would refuse a second refund of the same money.
    order = reload(paid_order)
    assert (order.status, seats(order)[0].status, enrollment(seats(order)[0]).status) == ("paid", "refunding",
                                                                                          "active")
    with pytest.raises(ApiError) as err:
        refunds.refund_seats(order, None, "再次退款", staff)
    assert err.value.status == 409
    # Staff handle it in the merchant platform; WeChat Pay then notifies SUCCESS for the same refund.
    payload = {"mchid": app.config["WECHATPAY_MCHID"], "out_trade_no": order.order_no,
               "transaction_id": order.transaction_id, "out_refund_no": refund.out_refund_no,
               "refund_id": Refund.get_by_id(refund.id).refund_id, "refund_status": "SUCCESS",
               "amount": {"total": PRICE, "refund": PRICE, "payer_total": PRICE, "payer_refund": PRICE}}
    resp = post_notification(live_server, *signed_notification(sandbox, payload, "REFUND.SUCCESS"))
    assert resp.status_code == 204
    assert Refund.get_by_id(refund.id).status == "success" and reload(order).status == "refunded"
    assert enrollment(seats(order)[0]).status == "revoked"


def test_a_lost_refund_notification_is_settled_by_the_periodic_query(app, sandbox_api, paid_order, staff, drain):
    refund = refunds.refund_seats(paid_order, None, "学员申请退款", staff)
    complete(sandbox_api, refund, notify="lost")
    assert refunds.settle_processing_refunds() == 0  # under a minute: wait for the notification
    Refund.update(created_at=utcnow() - datetime.timedelta(seconds=61)).where(Refund.id == refund.id).execute()
    assert refunds.settle_processing_refunds() == 1
    drain()
    assert Refund.get_by_id(refund.id).status == "success" and reload(paid_order).status == "refunded"
    assert [r.outcome for r in rows(paid_order, "refund_query")] == ["ok"]


def test_a_refund_wechat_did_not_take_is_sent_again_with_the_same_number(app, sandbox_api, order, staff):
    paid = pay_and_settle(sandbox_api, order)
    sandbox_api.post("/failures", {"path_prefix": "/v3/refund/domestic/refunds", "times": 1, "http_status": 503})
    refund = refunds.refund_seats(paid, None, "学员申请退款", staff)  # accepted here, to be sent again
    assert refund.status == "processing" and sandbox_refunds(sandbox_api, paid) == []
    assert [(r.status_code, r.outcome) for r in rows(paid, "refund")] == [(503, "SYSTEM_ERROR")]

    assert refunds.settle_refund(refund.out_refund_no) == "submitted"  # unknown at WeChat: sent again
    [at_wechat] = sandbox_refunds(sandbox_api, paid)
    assert at_wechat["out_refund_no"] == refund.out_refund_no
    assert refunds.settle_refund(refund.out_refund_no) == "processing"  # accepted, not finished yet
    complete(sandbox_api, refund, notify="lost")
    assert refunds.settle_refund(refund.out_refund_no) == "refunded"


def test_a_refund_wechat_refuses_is_failed_and_the_seat_freed(app, sandbox_api, order, staff):
    paid = pay_and_settle(sandbox_api, order)
    Order.update(amount_fen=PRICE + 1).where(Order.id == paid.id).execute()  # total no longer WeChat's
    with pytest.raises(ApiError) as err:
        refunds.refund_seats(reload(paid), None, "学员申请退款", staff)
    assert err.value.status == 409 and err.value.data["wechat_code"] == "PARAM_ERROR"
    [refund] = Refund.select()
    assert refund.status == "failed" and seats(paid)[0].status == "active"


def test_forged_refund_notifications_are_refused(app, sandbox, sandbox_api, paid_order, staff, live_server):
    refund = refunds.refund_seats(paid_order, None, "学员申请退款", staff)
    payload = {"mchid": app.config["WECHATPAY_MCHID"], "out_trade_no": paid_order.order_no,
               "transaction_id": paid_order.transaction_id, "out_refund_no": refund.out_refund_no,
               "refund_id": refund.refund_id, "refund_status": "SUCCESS", "user_received_account": "支付用户零钱",
               "amount": {"total": PRICE, "refund": PRICE, "payer_total": PRICE, "payer_refund": PRICE}}
    for change, message in [({"amount": {**payload["amount"], "refund": 1}}, "金额与订单不符"),
                            ({"out_refund_no": paid_order.order_no + "R09"}, "退款单不存在"),
                            ({"mchid": "1900000000"}, "商户号不符")]:
        resp = post_notification(live_server, *signed_notification(sandbox, {**payload, **change}, "REFUND.SUCCESS"))
        assert resp.status_code == 400 and resp.json() == {"code": "FAIL", "message": message}
    assert Refund.get_by_id(refund.id).status == "processing" and reload(paid_order).status == "paid"
    resp = post_notification(live_server, *signed_notification(sandbox, payload, "REFUND.SUCCESS"))
    assert resp.status_code == 204 and reload(paid_order).status == "refunded"


def test_cli_refund(app, sandbox_api, project, buyer):
    group = pay_and_settle(sandbox_api, group_order(project, buyer, 2))
    first, second = seats(group)
    Enrollment.update(started_at=utcnow()).where(Enrollment.seat_id == first.id).execute()
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["pay", "refund", group.order_no, "--seat", str(first.id), "--reason", "离职"])
    assert refused.exit_code != 0 and "use --override" in refused.output
    done = runner.invoke(args=["pay", "refund", group.order_no, "--seat", str(first.id), "--seat", str(second.id),
                               "--reason", "单位取消", "--override"])
    assert done.exit_code == 0, done.output
    assert f"refund {group.order_no}R01: processing, 198.00 yuan" in done.output
    [refund] = Refund.select()
    assert refund.override and refund.created_by_id is None and json.loads(refund.seat_ids) == [first.id, second.id]
    from app.staff.models import AuditEntry

    [entry] = AuditEntry.select().where(AuditEntry.action == "order.refund")
    assert entry.actor_id is None and entry.target_id == group.order_no
    assert json.loads(entry.detail)["by"] == "operator command" and json.loads(entry.after)["refunded_fen"] == 0
