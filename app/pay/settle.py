"""The only place an order's payment state changes: paid, closed, refunded.

Facts come from a verified notification or an active query; each change is one conditional UPDATE
(atomic on SQLite and PostgreSQL), so duplicates and concurrent re-deliveries change nothing twice.
Refunds: one Refund row is one WeChat refund and may cover several seats (WeChat allows at most 50
refunds per payment, so staff batch seats); out_refund_no is made before calling WeChat and is the
idempotency key of every retry.
"""
import datetime
import json
import logging
import time

from flask import current_app

from app.db import db, utcnow
from app.errors import ApiError
from app.jobs import enqueue
from app.pay import duplicates, gateway, orders
from app.pay.models import Order, OrderSeat, Refund

log = logging.getLogger(__name__)

PAYABLE_STATES = ("pending", "closed")  # a payment may still land on these
REFUNDABLE_STATES = ("paid", "partially_refunded")
OPEN_REFUND_STATES = ("processing", "abnormal")  # a Refund that may still succeed
QUERY_DEBOUNCE = datetime.timedelta(seconds=5)
NOTIFY_WAIT = datetime.timedelta(seconds=60)  # how long we wait for a notification before querying
REFUND_WAIT = datetime.timedelta(seconds=60)  # how long a refund may stay processing before we query
MAX_REFUNDS_PER_PAYMENT = 50  # WeChat Pay's limit of (partial) refunds on one payment
TRANSIENT_REFUND_CODES = ("FREQUENCY_LIMITED", "SYSTEM_ERROR")  # 4xx answers worth sending again
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


def _refuse(order, reason, source, facts, kind="settle"):
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
        _refuse(None, "unknown_order", source, _txn_summary(txn))
    problem = payment_problem(order, txn)
    if problem:
        _refuse(order, problem, source, _txn_summary(txn))
    if order.status not in PAYABLE_STATES or not _mark_paid(order, txn):
        return "duplicate"
    if order.status == "closed":
        log.warning("order %s was paid after it was closed: granted anyway, staff should check", order_no)
    try:
        enqueue(after_paid_job, order.id, job_id=f"after-paid-{order.id}")
    except Exception:  # noqa: BLE001  (paid and committed: a queue problem must not undo it)
        log.exception("order %s paid, but queuing its messages failed", order_no)
    log.info("order %s paid (%s)", order_no, source)
    return "paid"


def after_paid_job(order_id):
    """Job, queued once by the caller that marked the order paid: orders.after_paid (messages to every seat).

    A job rather than inline so that a group order of hundreds of seats still answers WeChat within 5 s;
    after_paid is idempotent (one message per event key), so the queue may retry it. Seats bought
    twice are refunded first (app.pay.duplicates).
    """
    order = Order.get_by_id(order_id)
    refund_duplicates(order)
    orders.after_paid(order)


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


def _mark_paid(order, txn):
    """The one state change: a conditional UPDATE plus the grants, in one transaction."""
    now = utcnow()
    with db.atomic():
        changed = Order.update(status="paid", paid_at=_paid_at(txn), updated_at=now,
                               transaction_id=str(txn.get("transaction_id") or "")[:40]).where(
            Order.id == order.id, Order.status.in_(PAYABLE_STATES)).execute()
        if changed:
            orders.on_paid(Order.get_by_id(order.id))
    return bool(changed)


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


# ---- refunds -------------------------------------------------------------------------------------

def refund_number(order_no, sequence):
    """out_refund_no: the order number, "R", a 2-digit sequence (at most 50 per payment)."""
    return f"{order_no}R{sequence:02d}"


def seat_ids_of(refund):
    return json.loads(refund.seat_ids or "[]")


def _order_refusal(order):
    if order.status in REFUNDABLE_STATES:
        return None
    if order.status == "refunded":
        return "该订单已全额退款"
    return "订单未支付，不能退款"


def _seats_to_refund(order, seat_ids):
    """The seats this refund covers; refuses seats of other orders and seats already refunded."""
    seats = list(OrderSeat.select().where(OrderSeat.order == order.id))
    if seat_ids is None:
        chosen = [s for s in seats if s.status == "active"]
    else:
        wanted = list(dict.fromkeys(int(x) for x in seat_ids))
        by_id = {s.id: s for s in seats}
        foreign = [x for x in wanted if x not in by_id]
        if foreign:
            raise ApiError("所选名额不属于该订单", status=422, data={"seat_ids": foreign})
        chosen = [by_id[x] for x in wanted]
        done = [s.id for s in chosen if s.status != "active"]
        if done:
            raise ApiError("所选名额已退款或正在退款", code="conflict", status=409, data={"seat_ids": done})
    if not chosen:
        raise ApiError("没有可退款的名额", code="conflict", status=409)
    return chosen


def _check_in_use(seats, override):
    in_use = sorted(orders.seats_in_use([s.id for s in seats]))
    if in_use and not override:
        raise ApiError(f"有 {len(in_use)} 个名额的学员已开始学习或已获得证书，确需退款请确认后强制退款",
                       code="seat_in_use", status=409, data={"seat_ids": in_use})
    return bool(in_use)


def _check_refund_count(order):
    used = Refund.select().where(Refund.order == order.id).count()
    if used >= MAX_REFUNDS_PER_PAYMENT:
        raise ApiError(f"该订单已发起 {used} 次退款，已达微信支付上限（每笔支付最多 {MAX_REFUNDS_PER_PAYMENT} 次），"
                       "无法再退款。请把要退的名额合并为一次退款；如仍需退款请联系财务线下处理",
                       code="refund_limit", status=409)
    return used


def _create_refund(order_id, seat_ids, reason, staff_user, override):
    """The Refund row (processing) and its seats marked refunding, in one transaction."""
    with db.atomic():
        # Touch the order first: refunds of one order are made one at a time (row lock / SQLite write lock).
        Order.update(updated_at=utcnow()).where(Order.id == order_id).execute()
        order = Order.get_by_id(order_id)
        refusal = _order_refusal(order)
        if refusal:
            raise ApiError(refusal, code="conflict", status=409)
        seats = _seats_to_refund(order, seat_ids)
        overridden = _check_in_use(seats, override)
        used = _check_refund_count(order)
        amount = sum(s.amount_fen for s in seats)
        if amount > order.amount_fen - order.refunded_fen:
            raise ApiError("退款金额超过订单可退金额", code="conflict", status=409)
        refund = Refund.create(order=order.id, out_refund_no=refund_number(order.order_no, used + 1), amount_fen=amount,
                               seat_ids=json.dumps([s.id for s in seats]), reason=reason[:80], override=overridden,
                               created_by=getattr(staff_user, "id", None))
        marked = OrderSeat.update(status="refunding").where(
            OrderSeat.id.in_([s.id for s in seats]), OrderSeat.status == "active").execute()
        if marked != len(seats):
            raise ApiError("名额状态已变化，请刷新后重试", code="conflict", status=409)
    return refund


def refund_seats(order, seat_ids=None, reason="", staff_user=None, override=False):
    """Staff refund of a whole order (seat_ids None: every active seat) or some seats, as one WeChat refund.

    Seats in use (learning started, certificate held) need override=True, recorded on the Refund.
    """
    if staff_user is not None and not staff_user.is_staff:
        raise ApiError("没有权限执行此操作", status=403)
    reason = (reason or "").strip()
    if not reason:
        raise ApiError("请填写退款原因", status=422)
    refund = _create_refund(order.id, seat_ids, reason, staff_user, override)
    log.info("refund %s created for %s fen (seats %s)", refund.out_refund_no, refund.amount_fen, refund.seat_ids)
    try:
        submit_refund(refund.out_refund_no)
    except gateway.Unavailable:
        log.warning("refund %s not sent yet: settle_refund will send it again", refund.out_refund_no)
    return Refund.get_by_id(refund.id)


def submit_refund(out_refund_no):
    """Send a processing refund to WeChat Pay (again: same number, so never twice). Unavailable → retry."""
    refund = Refund.get(Refund.out_refund_no == out_refund_no)
    if refund.status != "processing":
        return refund.status
    order = Order.get_by_id(refund.order_id)
    try:
        answer = gateway.refund(order, refund.out_refund_no, refund.amount_fen, refund.reason)
    except gateway.Refused as exc:
        if exc.wechat_code in TRANSIENT_REFUND_CODES:
            raise gateway.Unavailable("refund", exc.wechat_code) from None
        _mark_refund_failed(refund, f"refused:{exc.wechat_code}")
        raise
    if answer.get("refund_id"):
        Refund.update(refund_id=str(answer["refund_id"])[:40]).where(Refund.id == refund.id).execute()
    if answer.get("status") in ("SUCCESS", "ABNORMAL", "CLOSED"):
        return apply_refund(answer, "answer")
    return "submitted"


def refund_problem(refund, order, resource):
    """Why this refund result does not match our Refund (a short reason), or None."""
    mchid = resource.get("mchid")
    if mchid is not None and mchid != current_app.config["WECHATPAY_MCHID"]:
        return "mchid_mismatch"
    if resource.get("out_trade_no") != order.order_no:
        return "out_trade_no_mismatch"
    amount = (resource.get("amount") or {}).get("refund")
    if type(amount) is not int or amount != refund.amount_fen:
        return "amount_mismatch"
    return None


def _refund_summary(resource):
    status = resource.get("refund_status") or resource.get("status")
    return {"out_refund_no": resource.get("out_refund_no"), "out_trade_no": resource.get("out_trade_no"),
            "refund_status": status, "refund": (resource.get("amount") or {}).get("refund")}


def apply_refund(resource, source):
    """A refund's result (notification, query or answer), applied once.

    SUCCESS revokes the seats; CLOSED gives them back (the money stayed with us); ABNORMAL (the money left
    but could not reach the payer's card) waits for staff to handle it at WeChat Pay, seats still refunding,
    until a later SUCCESS.
    """
    refund = Refund.get_or_none(Refund.out_refund_no == resource.get("out_refund_no"))
    if refund is None:
        _refuse(None, "unknown_refund", source, _refund_summary(resource), "refund_settle")
    order = Order.get_by_id(refund.order_id)
    problem = refund_problem(refund, order, resource)
    if problem:
        _refuse(order, problem, source, _refund_summary(resource), "refund_settle")
    status = resource.get("refund_status") or resource.get("status")
    if status == "SUCCESS":
        return _refund_succeeded(refund, order, resource)
    if status == "ABNORMAL":
        return "refund_abnormal" if _mark_refund_abnormal(refund) else "duplicate"
    if status == "CLOSED":
        return "refund_failed" if _mark_refund_failed(refund, "closed") else "duplicate"
    return "processing"


def _refund_succeeded(refund, order, resource):
    now = utcnow()
    with db.atomic():
        changed = Refund.update(status="success", finished_at=now,
                                refund_id=str(resource.get("refund_id") or refund.refund_id)[:40]).where(
            Refund.id == refund.id, Refund.status.in_(OPEN_REFUND_STATES)).execute()
        if changed:
            orders.on_seats_refunded(order, seat_ids_of(refund))
            Order.update(refunded_fen=Order.refunded_fen + refund.amount_fen, updated_at=now).where(
                Order.id == order.id).execute()
            fresh = Order.get_by_id(order.id)
            status = "refunded" if fresh.refunded_fen >= fresh.amount_fen else "partially_refunded"
            Order.update(status=status).where(Order.id == order.id).execute()
    if changed:
        log.info("refund %s succeeded", refund.out_refund_no)
        return "refunded"
    if Refund.get_by_id(refund.id).status == "failed":
        log.error("refund %s succeeded at WeChat Pay after it was marked failed: staff must check",
                  refund.out_refund_no)
        return "needs_staff"
    return "duplicate"


def _mark_refund_abnormal(refund):
    """processing → abnormal once: staff must handle it in WeChat Pay's merchant platform."""
    changed = Refund.update(status="abnormal").where(Refund.id == refund.id, Refund.status == "processing").execute()
    if changed:
        log.error("refund %s is ABNORMAL at WeChat Pay (payer's card refused it): staff must handle it in the "
                  "merchant platform; seats stay refunding until it succeeds", refund.out_refund_no)
    return bool(changed)


def _mark_refund_failed(refund, reason):
    """processing (or abnormal) → failed once; its seats go back to active."""
    with db.atomic():
        changed = Refund.update(status="failed", finished_at=utcnow()).where(
            Refund.id == refund.id, Refund.status.in_(OPEN_REFUND_STATES)).execute()
        if changed:
            OrderSeat.update(status="active").where(
                OrderSeat.id.in_(seat_ids_of(refund)), OrderSeat.status == "refunding").execute()
    if changed:
        log.warning("refund %s failed (%s): seats active again", refund.out_refund_no, reason)
    return bool(changed)


def settle_refund(out_refund_no):
    """Job (or on demand): ask WeChat Pay about an open refund; unknown there → send it again."""
    refund = Refund.get_or_none(Refund.out_refund_no == out_refund_no)
    if refund is None or refund.status not in OPEN_REFUND_STATES:
        return refund.status if refund else "unknown"
    answer = gateway.query_refund(out_refund_no)
    if answer is None:
        return submit_refund(out_refund_no)
    try:
        return apply_refund(answer, "query")
    except PaymentRefused as exc:
        return f"refused:{exc.reason}"


def settle_processing_refunds():
    """Periodic: refunds processing for over a minute get a query (or are sent again); abnormal ones hourly."""
    minute = int(time.time() // 60)
    states = OPEN_REFUND_STATES if minute % 60 == 0 else ("processing",)
    rows = (Refund.select(Refund.out_refund_no)
            .where(Refund.status.in_(states), Refund.created_at <= utcnow() - REFUND_WAIT)
            .order_by(Refund.created_at).limit(BATCH))
    numbers = [r.out_refund_no for r in rows]
    for number in numbers:
        enqueue(settle_refund, number, job_id=f"settle-refund-{number}-{minute}")
    return len(numbers)
