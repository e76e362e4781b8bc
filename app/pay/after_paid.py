"""What follows a payment, as a job: duplicate seats refunded, then every seat's learner told."""
import logging

from app.errors import ApiError
from app.pay import duplicates, orders
from app.pay.models import Order
from app.pay.refunds import refund_seats

log = logging.getLogger(__name__)


def after_paid_job(order_id):
    """Job, queued once by the caller that marked the order paid: orders.after_paid (messages to every seat).

    A job rather than inline so that a group order of hundreds of seats still answers WeChat within 5 s;
    after_paid is idempotent (one message per event key), so the queue may retry it. Seats bought
    twice are refunded first (app.pay.duplicates).
    """
    order = Order.get_by_id(order_id)
    refund_duplicates(order)
    orders.after_paid(order)
    from app.invoices.service import apply_on_payment

    apply_on_payment(order)  # "apply now": the invoice is issued once paid


def refund_duplicates(order):
    """Refund a paid order's duplicate seats at once (idempotent: refunded seats are no longer active)."""
    seats = duplicates.duplicate_seats(order)
    if not seats:
        return None
    try:
        refund = refund_seats(order, [s.id for s in seats], duplicates.DUPLICATE_REASON)
    except ApiError as exc:  # another worker got there first: nothing left to do
        log.warning("order %s: duplicate seats not refunded: %s", order.order_no, exc.message)
        return None
    log.info("order %s: %s duplicate seat(s) refunded (%s)", order.order_no, len(seats), refund.out_refund_no)
    return refund
