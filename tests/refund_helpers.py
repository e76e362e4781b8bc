"""Buying and refunding a plan for the learning tests, through the real order, WeChat Pay sandbox and
refund code (payments settled by query, refunds completed at the sandbox and settled by query)."""
import pytest

from app.pay import checkout, orders, refunds, settle
from app.pay.models import Order, OrderSeat


@pytest.fixture(name="manual_refunds")
def manual_refunds_fixture(sandbox, monkeypatch):
    """Refunds complete at the sandbox only when a test says so."""
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_REFUND_DELAY", -1)


def pay(sandbox_api, order):
    checkout.prepay(order, "native")
    sandbox_api.post("/pay/pay", {"out_trade_no": order.order_no, "notify": "lost"})
    assert settle.settle_order(order.order_no) == "paid"
    return Order.get_by_id(order.id)


def buy(sandbox_api, user, project):
    """The learner buys the plan for themself; returns the paid order."""
    return pay(sandbox_api, orders.create_individual_order(user, project.id, None))


def buy_for_unit(sandbox_api, buyer, project, users):
    """A unit's contact buys seats for these learners; returns the paid group order."""
    return pay(sandbox_api, orders.create_group_order(buyer, project.id, [u.id for u in users], None))


def seat_of(order, user):
    return OrderSeat.get(OrderSeat.order == order.id, OrderSeat.user == user.id)


def refund(sandbox_api, order, staff, users=None):
    """Staff refund (forced: the seats are in use) of the order or of these learners' seats, completed."""
    seat_ids = None if users is None else [seat_of(order, u).id for u in users]
    made = refunds.refund_seats(order, seat_ids, "学员申请退款", staff, override=True)
    sandbox_api.post(f"/pay/refunds/{made.out_refund_no}/complete", {"notify": "lost"})
    assert refunds.settle_refund(made.out_refund_no) == "refunded"
    return made
