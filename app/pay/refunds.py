"""Refunds: whole orders or some seats, one Refund row per WeChat refund, applied once.

One Refund row is one WeChat refund and may cover several seats (WeChat allows at most 50 refunds per
payment, so staff batch seats); out_refund_no is made before calling WeChat and is the idempotency key
of every retry. Each change is one conditional UPDATE, as in settle.py.
"""
import dataclasses
import datetime
import json
import logging
import time

from flask import current_app

from app.db import db, utcnow
from app.errors import ApiError
from app.jobs import durable, enqueue
from app.learning import revoke
from app.pay import gateway, orders
from app.pay.models import Order, OrderSeat, Refund
from app.pay.settle import BATCH, PaymentRefused, refuse
from app.staff.roles import has_role

log = logging.getLogger(__name__)
INVOICE_REFUND_JOB = "app.invoices.service:on_refund"  # reverses or re-issues the order's invoice

REFUNDABLE_STATES = ("paid", "partially_refunded")
OPEN_REFUND_STATES = ("processing", "abnormal")  # a Refund that may still succeed
REFUND_WAIT = datetime.timedelta(seconds=60)  # how long a refund may stay processing before we query
MAX_REFUNDS_PER_PAYMENT = 50  # WeChat Pay's limit of (partial) refunds on one payment
TRANSIENT_REFUND_CODES = ("FREQUENCY_LIMITED", "SYSTEM_ERROR")  # 4xx answers worth sending again


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


@dataclasses.dataclass
class RefundPlan:
    """What a refund would do, worked out before anything happens (the confirmation page shows it)."""

    order: Order
    seats: list  # the OrderSeat rows refunded
    amount_fen: int
    in_use: list  # ids of those seats whose learner started learning or holds a certificate
    out_refund_no: str  # the number the refund will get
    remaining_fen: int  # what stays refundable afterwards

    @property
    def whole(self):
        return self.remaining_fen == 0


def plan_refund(order_id, seat_ids=None):
    """The refund of these seats (None: every active seat) as `RefundPlan`, with the same refusals as
    refund_seats (ApiError), changing nothing."""
    order = Order.get_by_id(order_id)
    refusal = _order_refusal(order)
    if refusal:
        raise ApiError(refusal, code="conflict", status=409)
    seats = _seats_to_refund(order, seat_ids)
    used = _check_refund_count(order)
    amount = sum(s.amount_fen for s in seats)
    left = order.amount_fen - order.refunded_fen - sum(
        r.amount_fen for r in Refund.select().where(Refund.order == order.id, Refund.status.in_(OPEN_REFUND_STATES)))
    if amount > left:
        raise ApiError("退款金额超过订单可退金额", code="conflict", status=409)
    in_use = sorted(orders.seats_in_use([s.id for s in seats]))
    return RefundPlan(order, seats, amount, in_use, refund_number(order.order_no, used + 1), left - amount)


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
    if staff_user is not None and not has_role(staff_user, "finance"):
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
        refuse(None, "unknown_refund", source, _refund_summary(resource), "refund_settle")
    order = Order.get_by_id(refund.order_id)
    problem = refund_problem(refund, order, resource)
    if problem:
        refuse(order, problem, source, _refund_summary(resource), "refund_settle")
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
            released = orders.on_seats_refunded(order, seat_ids_of(refund))
            Order.update(refunded_fen=Order.refunded_fen + refund.amount_fen, updated_at=now).where(
                Order.id == order.id).execute()
            fresh = Order.get_by_id(order.id)
            status = "refunded" if fresh.refunded_fen >= fresh.amount_fen else "partially_refunded"
            Order.update(status=status).where(Order.id == order.id).execute()
            # The invoice's reversal is recorded with the refund: a lost queue cannot skip it (the sweep re-queues).
            invoice_job = durable.record(INVOICE_REFUND_JOB, order.id, key=f"invoice-refund-{refund.out_refund_no}")
    if changed:
        for user_id, outcome in released:
            revoke.after_commit(user_id, order.project_id, outcome)
        durable.enqueue_recorded(invoice_job)
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
