"""Daily reconciliation: a day's WeChat Pay trade bill against our orders and refunds.

A bill day is a date in China time; our side is every order whose paid_at (WeChat's success_time) falls
on it and every refund that succeeded on it. Each difference is one ReconciliationDiff row:

    missing_here           paid at WeChat, not paid here (a lost notification, an order closed too early)
    missing_there          paid here, not in the bill
    amount_differs         both paid, the amounts differ
    refund_missing_here    refunded at WeChat, not a successful refund here
    refund_missing_there   a successful refund here, not in the bill
    refund_amount_differs  both refunded, the amounts differ

Staff settle a difference by querying WeChat Pay (settle_diff): a payment WeChat confirms is applied with
the same code as notifications and the settle job; a fact WeChat contradicts stays for staff
(needs_staff) with the reason. WeChat makes a day's bill after 09:00 China time the next day, so the
periodic job reconciles yesterday from RUN_AFTER_HOUR on.
"""
import datetime
import logging
from zoneinfo import ZoneInfo

from app.db import db, utcnow
from app.finance.models import ReconciliationDiff, ReconciliationRun
from app.pay import bills, gateway
from app.pay.models import Order, Refund

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
RUN_AFTER_HOUR = 10  # China time: an hour's margin after WeChat's 09:00
UNSETTLED = ("open", "needs_staff")


def china_today(now=None):
    return (now or datetime.datetime.now(datetime.UTC)).astimezone(SHANGHAI).date()


def day_bounds(day):
    """[start, end) of a China-time day as naive UTC, the way times are stored."""
    start = datetime.datetime.combine(day, datetime.time(), SHANGHAI).astimezone(datetime.UTC).replace(tzinfo=None)
    return start, start + datetime.timedelta(days=1)


ORDER_FIELDS = (Order.order_no, Order.amount_fen, Order.status, Order.paid_at)
REFUND_FIELDS = (Refund.out_refund_no, Refund.amount_fen, Refund.status, Order.order_no)
CHUNK = 500  # numbers per IN (...) lookup


def our_side(day):
    """(payments by order number, successful refunds by refund number) of the day, here, as light rows."""
    start, end = day_bounds(day)
    paid = Order.select(*ORDER_FIELDS).where(Order.paid_at >= start, Order.paid_at < end).namedtuples()
    done = (Refund.select(*REFUND_FIELDS).join(Order)
            .where(Refund.status == "success", Refund.finished_at >= start, Refund.finished_at < end).namedtuples())
    return {o.order_no: o for o in paid}, {r.out_refund_no: r for r in done}


def _lookup(query, column, numbers):
    """Rows whose `column` is one of `numbers`, a few hundred per query."""
    numbers, found = list(numbers), {}
    for first in range(0, len(numbers), CHUNK):
        for row in query.where(column.in_(numbers[first:first + CHUNK])).namedtuples():
            found[getattr(row, column.name)] = row
    return found


def compare(bill, payments, refunds_here):
    """Every difference between a Bill and our side, as dicts of ReconciliationDiff fields."""
    diffs = []
    others = _lookup(Order.select(*ORDER_FIELDS), Order.order_no, bill.payments.keys() - payments.keys())
    for no, row in bill.payments.items():
        order = payments.get(no) or others.get(no)
        if order is None or order.paid_at is None:
            diffs.append({"kind": "missing_here", "out_trade_no": no, "bill_fen": row["total_fen"],
                          "our_fen": order and order.amount_fen, "our_status": order.status if order else "unknown"})
        elif row["total_fen"] != order.amount_fen:
            diffs.append({"kind": "amount_differs", "out_trade_no": no, "bill_fen": row["total_fen"],
                          "our_fen": order.amount_fen, "our_status": order.status})
    for no, order in payments.items():
        if no not in bill.payments:
            diffs.append({"kind": "missing_there", "out_trade_no": no, "our_fen": order.amount_fen,
                          "our_status": order.status})
    other_refunds = _lookup(Refund.select(*REFUND_FIELDS).join(Order), Refund.out_refund_no,
                            bill.refunds.keys() - refunds_here.keys())
    for no, row in bill.refunds.items():
        refund = refunds_here.get(no) or other_refunds.get(no)
        facts = {"out_trade_no": row["out_trade_no"] or "", "out_refund_no": no, "bill_fen": row["refund_fen"]}
        if refund is None or refund.status != "success":
            diffs.append({"kind": "refund_missing_here", **facts, "our_fen": refund and refund.amount_fen,
                          "our_status": refund.status if refund else "unknown"})
        elif refund.amount_fen != row["refund_fen"]:
            diffs.append({"kind": "refund_amount_differs", **facts, "our_fen": refund.amount_fen,
                          "our_status": refund.status})
    for no, refund in refunds_here.items():
        if no not in bill.refunds:
            diffs.append({"kind": "refund_missing_there", "out_trade_no": refund.order_no, "out_refund_no": no,
                          "our_fen": refund.amount_fen, "our_status": refund.status})
    return diffs


def run_day(day):
    """Fetch the day's bill and record the run and its differences (again: open ones are recomputed)."""
    run, _ = ReconciliationRun.get_or_create(bill_date=day)
    try:
        bill = bills.trade_bill(day)
    except bills.NotReady:
        return _finish(run, "pending", error="微信支付账单尚未生成（次日 9 点后生成）")
    except (bills.BadBill, gateway.Unavailable, gateway.Refused) as exc:
        log.error("reconciliation of %s: the bill could not be read: %s", day, exc)
        return _finish(run, "failed", error=f"账单获取或校验失败：{exc}"[:200])
    payments, refunds_here = our_side(day)
    diffs = compare(bill, payments, refunds_here)
    with db.atomic():
        stale = ReconciliationDiff.delete().where(ReconciliationDiff.run == run.id, ReconciliationDiff.status == "open")
        stale.execute()
        kept = {(d.kind, d.out_trade_no, d.out_refund_no) for d in run.diffs}
        for diff in diffs:
            key = (diff["kind"], diff["out_trade_no"], diff.get("out_refund_no", ""))
            if key not in kept:
                ReconciliationDiff.create(run=run.id, **diff)
        totals = {"bill_exists": bill.exists, "bill_payments": len(bill.payments),
                  "bill_paid_fen": sum(r["total_fen"] for r in bill.payments.values()),
                  "bill_refunded_fen": sum(r["refund_fen"] for r in bill.refunds.values()),
                  "our_payments": len(payments), "our_paid_fen": sum(o.amount_fen for o in payments.values()),
                  "our_refunded_fen": sum(r.amount_fen for r in refunds_here.values())}
        ReconciliationRun.update(**totals).where(ReconciliationRun.id == run.id).execute()
    log.info("reconciliation of %s: %d differences", day, len(diffs))
    return refresh_status(run.id)


def _finish(run, status, error=""):
    ReconciliationRun.update(status=status, error=error, finished_at=utcnow()).where(
        ReconciliationRun.id == run.id).execute()
    return ReconciliationRun.get_by_id(run.id)


def refresh_status(run_id):
    """matched (no difference), differences (some unsettled) or settled (all settled)."""
    diffs = ReconciliationDiff.select().where(ReconciliationDiff.run == run_id)
    if not diffs.count():
        status = "matched"
    else:
        status = "differences" if diffs.where(ReconciliationDiff.status.in_(UNSETTLED)).count() else "settled"
    return _finish(ReconciliationRun.get_by_id(run_id), status)


def reconcile_yesterday(now=None):
    """Periodic: reconcile yesterday (China time) once its bill exists; a done day is not fetched again."""
    now = now or datetime.datetime.now(datetime.UTC)
    local = now.astimezone(SHANGHAI)
    if local.hour < RUN_AFTER_HOUR:
        return "too_early"
    day = local.date() - datetime.timedelta(days=1)
    run = ReconciliationRun.get_or_none(ReconciliationRun.bill_date == day)
    if run is not None and run.status not in ("pending", "failed"):
        return "done"
    return run_day(day).status
