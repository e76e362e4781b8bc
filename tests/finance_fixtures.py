"""Helpers for the orders-and-money tests."""
from app.pay.models import Order, PaymentTransaction
from tests.helpers import wait_until


def notified_paid(order):
    """Wait until the notification made the order paid AND its handler recorded it (its last write), so
    that the test's own writes do not race the live server's on SQLite."""
    wait_until(lambda: PaymentTransaction.select().where(PaymentTransaction.order == order.id,
                                                         PaymentTransaction.kind == "notify",
                                                         PaymentTransaction.outcome == "paid").exists())
    return Order.get_by_id(order.id)
