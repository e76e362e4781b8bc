"""The only place an order's payment state changes: paid or closed (refunds are in refunds.py).

Facts come from a verified notification or an active query; each change is one conditional UPDATE
(atomic on SQLite and PostgreSQL), so duplicates and concurrent re-deliveries change nothing twice.
"""
import datetime
import logging
import time

from flask import current_app

from app.db import db, utcnow
from app.jobs import durable, enqueue
from app.pay import gateway, orders
from app.pay.models import Order

log = logging.getLogger(__name__)
# Queued by path: that module refunds duplicate seats through app.pay.refunds, which imports this one.
AFTER_PAID_JOB = "app.pay.after_paid:after_paid_job"

PAYABLE_STATES = ("pending", "closed")  # a payment may still land on these
QUERY_DEBOUNCE = datetime.timedelta(seconds=5)
NOTIFY_WAIT = datetime.timedelta(seconds=60)  # how long we wait for a notification before querying
BATCH = 500


class PaymentRefused(Exception):
    """A payment or refund fact that does not match our records: never applied. `status` is the notify answer."""

    def __init__(self, reason, status=400):
        super().__init__(reason)
        self.reason, self.status = reason, status


# ---- payments ------------------------------------------------------------------------------------

def payment_problem(order, txn):
    """Why this transaction cannot pay this order (a short reason), or None."""
    cfg = current_app.config
    appid = txn.get("appid")
    if txn.get("out_trade_no") != order.order_no:
        return "out_trade_no_mismatch"
    if txn.get("mchid") != cfg["WECHATPAY_MCHID"]:
        return "mchid_mismatch"
    if appid not in gateway.our_appids() or (order.payer_appid and appid != order.payer_appid):
        return "appid_mismatch"
    total = (txn.get("amount") or {}).get("total")
    if type(total) is not int or total != order.amount_fen:
        return "amount_mismatch"
    if txn.get("trade_state") != "SUCCESS":
        return "not_success"
    return None


def _txn_summary(txn):
    return {"out_trade_no": txn.get("out_trade_no"), "appid": txn.get("appid"), "mchid": txn.get("mchid"),
            "total": (txn.get("amount") or {}).get("total"), "trade_state": txn.get("trade_state"),
            "transaction_id": txn.get("transaction_id")}


def refuse(order, reason, source, facts, kind="settle"):
    gateway.record(kind, "in", order, None, True, f"refused:{reason}", source=source, **facts)
    log.warning("WeChat Pay %s from %s refused: %s (%s)", kind, source, reason,
                facts.get("out_refund_no") or facts.get("out_trade_no"))
    raise PaymentRefused(reason)


def _paid_at(txn):
    """WeChat's success_time as naive UTC (our clock when absent or unreadable)."""
    try:
        moment = datetime.datetime.fromisoformat(txn["success_time"])
        return moment.astimezone(datetime.UTC).replace(tzinfo=None)
    except (KeyError, TypeError, ValueError):
        return utcnow()


def apply_paid(order_no, txn, source):
    """Mark the order paid once from a checked transaction; "paid" for the change, "duplicate" after."""
    order = Order.get_or_none(Order.order_no == order_no)
    if order is None:
        refuse(None, "unknown_order", source, _txn_summary(txn))
    problem = payment_problem(order, txn)
    if problem:
        refuse(order, problem, source, _txn_summary(txn))
    after_paid = order.status in PAYABLE_STATES and _mark_paid(order, txn)
    if not after_paid:
        return "duplicate"
    if order.status == "closed":
        log.warning("order %s was paid after it was closed: granted anyway, staff should check", order_no)
    durable.enqueue_recorded(after_paid)  # recorded with the payment: the sweep re-queues it if this is lost
    log.info("order %s paid (%s)", order_no, source)
    return "paid"


def _mark_paid(order, txn):
    """The one state change: a conditional UPDATE, the grants and the after-paid job's durable row, in one
    transaction; returns that row (None when the order was not payable any more)."""
    now = utcnow()
    with db.atomic():
        changed = Order.update(status="paid", paid_at=_paid_at(txn), updated_at=now,
                               transaction_id=str(txn.get("transaction_id") or "")[:40]).where(
            Order.id == order.id, Order.status.in_(PAYABLE_STATES)).execute()
        if not changed:
            return None
        orders.on_paid(Order.get_by_id(order.id))
        return durable.record(AFTER_PAID_JOB, order.id, key=f"after-paid-{order.id}")


def mark_closed(order):
    """pending → closed (only an unpaid order); True when it changed."""
    now = utcnow()
    return Order.update(status="closed", closed_at=now, updated_at=now).where(
        Order.id == order.id, Order.status == "pending").execute() == 1


def claim_query(order, now=None):
    """At most one active query per order every QUERY_DEBOUNCE (a conditional update on last_query_at)."""
    now = now or utcnow()
    return Order.update(last_query_at=now).where(
        Order.id == order.id, Order.last_query_at.is_null() | (Order.last_query_at <= now - QUERY_DEBOUNCE)
    ).execute() == 1


def settle_order(order_no):
    """Job: ask WeChat Pay about a pending order, then mark it paid, close it, or leave it open."""
    order = Order.get_or_none(Order.order_no == order_no)
    if order is None or order.status != "pending":
        return order.status if order else "unknown"
    if not claim_query(order):
        return "debounced"
    return settle_from(order, gateway.query(order_no))


def settle_from(order, txn):
    """What a queried transaction (None: WeChat has no such order) means for a pending order."""
    state = txn.get("trade_state") if txn else None
    if state == "SUCCESS":
        try:
            return apply_paid(order.order_no, txn, "query")
        except PaymentRefused as exc:
            return f"refused:{exc.reason}"
    if state in ("CLOSED", "REVOKED"):
        return "closed" if mark_closed(order) else "unchanged"
    if state == "REFUND":
        log.error("order %s is pending here but paid and refunded at WeChat Pay: staff must check", order.order_no)
        return "needs_staff"
    if order.expires_at > utcnow() or state == "USERPAYING":
        return "open"
    if state is None:
        return "closed" if mark_closed(order) else "unchanged"
    return close_order(order)


def close_order(order):
    """Close an expired unpaid order at WeChat Pay, then here; if it was paid meanwhile, settle it paid."""
    try:
        gateway.close(order.order_no)
    except gateway.Refused as exc:
        if exc.wechat_code != "ORDERPAID":
            raise
        txn = gateway.query(order.order_no)
        return settle_from(order, txn) if txn and txn.get("trade_state") != "NOTPAY" else "open"
    return "closed" if mark_closed(order) else "unchanged"


def abandon_order(order):
    """Close a pending order now (at WeChat Pay first when it was opened there); "paid" if it was paid."""
    order = Order.get_by_id(order.id)
    if order.status != "pending":
        return order.status
    if order.prepaid_at is None:
        return "closed" if mark_closed(order) else "unchanged"
    return close_order(order)


def queue_settle(order_nos):
    """Queue settle_order for each order, once per order and minute (job id)."""
    minute = int(time.time() // 60)
    for order_no in order_nos:
        enqueue(settle_order, order_no, job_id=f"settle-order-{order_no}-{minute}")
    return len(order_nos)


def settle_pending_orders():
    """Periodic: pending orders prepaid over a minute ago (no notification yet) get an active query."""
    cutoff = utcnow() - NOTIFY_WAIT
    rows = (Order.select(Order.order_no)
            .where(Order.status == "pending", Order.prepaid_at.is_null(False), Order.prepaid_at <= cutoff)
            .order_by(Order.prepaid_at).limit(BATCH))
    return queue_settle([r.order_no for r in rows])


def close_expired_orders():
    """Periodic: pending orders past expires_at are queried (paid at the last second?), else closed."""
    rows = (Order.select(Order.order_no).where(Order.status == "pending", Order.expires_at <= utcnow())
            .order_by(Order.expires_at).limit(BATCH))
    return queue_settle([r.order_no for r in rows])
