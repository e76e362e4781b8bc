"""Settling a reconciliation difference by querying WeChat Pay, with the existing settle/refund code.

`settle_diff(diff, actor)` queries WeChat Pay about the difference's payment or refund and returns
(before, after) snapshots for the audit log. What WeChat confirms is applied (a payment it reports
paid is marked paid, exactly as a notification would); what it contradicts is left for staff
(status needs_staff) with the reason.
"""
from app.db import utcnow
from app.finance.models import ReconciliationDiff
from app.finance.reconcile import UNSETTLED, refresh_status
from app.money import yuan
from app.pay import gateway, refunds, settle
from app.pay.models import Order, Refund


class NotSettleable(Exception):
    """The difference is already settled (a user message)."""


def snapshot(diff):
    return {"kind": diff.kind, "status": diff.status, "out_trade_no": diff.out_trade_no,
            "out_refund_no": diff.out_refund_no, "our_fen": diff.our_fen, "bill_fen": diff.bill_fen,
            "our_status": diff.our_status, "resolution": diff.resolution}


def _yuan(fen):
    return "¥" + yuan(fen) if fen is not None else "—"


def _payment_missing_here(diff):
    order = Order.get_or_none(Order.order_no == diff.out_trade_no)
    txn = gateway.query(diff.out_trade_no)
    state = txn.get("trade_state") if txn else None
    if state != "SUCCESS":
        return "needs_staff", f"微信支付查询结果为 {state or '无此订单'}，与账单不符，请在商户平台核实"
    if order is None:
        return "needs_staff", "微信已收款，但本平台没有这个订单号，请在商户平台核实后退款"
    try:
        outcome = settle.apply_paid(order.order_no, txn, "reconcile")
    except settle.PaymentRefused as exc:
        return "needs_staff", f"微信查询结果与订单不符（{exc.reason}），未记为已付"
    if outcome == "paid":
        return "settled", "已按微信支付查询结果记为已付，学员已获得学习资格"
    return "settled", "订单已是已付状态（此前已处理）"


def _payment_missing_there(diff):
    order = Order.get(Order.order_no == diff.out_trade_no)
    txn = gateway.query(diff.out_trade_no)
    state = txn.get("trade_state") if txn else None
    total = (txn or {}).get("amount", {}).get("total")
    if state in ("SUCCESS", "REFUND") and total == order.amount_fen:
        return "settled", f"微信支付查询确认已收款 {_yuan(total)}（账单未列入该笔，可能跨日）"
    return "needs_staff", f"微信支付查询结果为 {state or '无此订单'}：本平台记为已付但微信未确认收款，请人工核实"


def _amount_differs(diff):
    order = Order.get(Order.order_no == diff.out_trade_no)
    txn = gateway.query(diff.out_trade_no)
    total = (txn or {}).get("amount", {}).get("total")
    if txn and txn.get("trade_state") in ("SUCCESS", "REFUND") and total == order.amount_fen:
        return "settled", f"微信支付查询金额 {_yuan(total)} 与本平台一致，账单金额 {_yuan(diff.bill_fen)} 有误"
    return "needs_staff", f"微信支付查询金额 {_yuan(total)}，本平台 {_yuan(order.amount_fen)}，请人工核实"


def _refund(diff):
    refund = Refund.get_or_none(Refund.out_refund_no == diff.out_refund_no)
    if refund is None:
        return "needs_staff", "微信账单中有该退款，但本平台没有这个退款单号，请在商户平台核实"
    if refund.status in refunds.OPEN_REFUND_STATES:
        refunds.settle_refund(refund.out_refund_no)  # query, and apply what WeChat says
        refund = Refund.get_by_id(refund.id)
    answer = gateway.query_refund(refund.out_refund_no)
    status = (answer or {}).get("status")
    amount = (answer or {}).get("amount", {}).get("refund")
    if refund.status == "success" and status == "SUCCESS" and amount == refund.amount_fen:
        return "settled", f"微信支付查询确认退款成功 {_yuan(amount)}，与本平台一致"
    return "needs_staff", (f"微信支付查询退款状态 {status or '无此退款'}、金额 {_yuan(amount)}；"
                           f"本平台状态 {refund.status}、金额 {_yuan(refund.amount_fen)}，请人工核实")


RULES = {"missing_here": _payment_missing_here, "missing_there": _payment_missing_there,
         "amount_differs": _amount_differs, "refund_missing_here": _refund, "refund_missing_there": _refund,
         "refund_amount_differs": _refund}


def settle_diff(diff, actor=None):
    """Query WeChat Pay about one difference and apply what it confirms; returns (before, after)."""
    diff = ReconciliationDiff.get_by_id(diff.id)
    if diff.status not in UNSETTLED:
        raise NotSettleable("该差异已处理")
    before = snapshot(diff)
    status, resolution = RULES[diff.kind](diff)
    order = Order.get_or_none(Order.order_no == diff.out_trade_no)
    ReconciliationDiff.update(status=status, resolution=resolution[:200], settled_by=getattr(actor, "id", None),
                              settled_at=utcnow(), our_status=order.status if order else diff.our_status).where(
        ReconciliationDiff.id == diff.id).execute()
    refresh_status(diff.run_id)
    return before, snapshot(ReconciliationDiff.get_by_id(diff.id))
