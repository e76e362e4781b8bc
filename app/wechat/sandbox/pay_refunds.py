"""WeChat Pay sandbox: refunds of paid orders (Redis "wxsb:pay:refund:<out_refund_no>").

A refund is accepted as PROCESSING and finishes later (SUCCESS, ABNORMAL or CLOSED): pay_control
completes it on request or after WECHAT_SANDBOX_REFUND_DELAY. At most 50 refunds per payment;
out_refund_no is the idempotency key. Changes happen under the order's lock.
"""
import re
import time
from datetime import datetime

from flask import current_app

from app.wechat.sandbox import pay_store, state
from app.wechat.sandbox.pay_crypto import PayError

MAX_PARTIAL_REFUNDS = 50
OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
REFUND_FIELDS = ("refund_id", "out_refund_no", "transaction_id", "out_trade_no", "channel", "user_received_account",
                 "success_time", "create_time", "status", "funds_account", "amount", "promotion_detail")


def load_refund(out_refund_no):
    return state.get(("pay", "refund", out_refund_no))


def save_refund(refund):
    state.put(("pay", "refund", refund["out_refund_no"]), refund)


def all_refunds():
    return [x for x in (load_refund(no) for no in state.r().lrange(state.key("pay", "refunds"), 0, -1)) if x]


def _active_refunds(order):
    """The order's refunds that hold money (all but CLOSED ones)."""
    refunds = (load_refund(no) for no in order["refunds"])
    return [x for x in refunds if x and x["status"] != "CLOSED"]


def _refunded(order):
    return sum(x["amount"]["refund"] for x in _active_refunds(order) if x["status"] == "SUCCESS")


def validate_refund(body):
    out_refund_no = body.get("out_refund_no")
    if not isinstance(out_refund_no, str) or not OUT_REFUND_NO.fullmatch(out_refund_no):
        raise pay_store.param_error("out_refund_no", "out_refund_no 应为 1-64 位数字、大小写字母或 _-|*@")
    if not (body.get("transaction_id") or body.get("out_trade_no")):
        raise pay_store.param_error("transaction_id", "transaction_id 与 out_trade_no 必须二选一")
    amount = body.get("amount") if isinstance(body.get("amount"), dict) else {}
    refund = pay_store.positive_int(amount.get("refund"), "amount.refund")
    total = pay_store.positive_int(amount.get("total"), "amount.total")
    if amount.get("currency") != "CNY":
        raise pay_store.param_error("amount.currency", "amount.currency 必填，只能是 CNY")
    notify_url = pay_store.notify_url_field(body) if body.get("notify_url") is not None else None
    return {"out_refund_no": out_refund_no, "refund": refund, "total": total, "notify_url": notify_url,
            "reason": pay_store.text_field(body, "reason", 80, required=False) or ""}


def _refund_order(body):
    if body.get("transaction_id"):
        order = pay_store.order_by(transaction_id=body["transaction_id"])
    else:
        order = pay_store.order_by(out_trade_no=body.get("out_trade_no"))
    if order is None:
        raise PayError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
    return order


def _refund_refusal(order, fields):
    """Why this new refund is refused (a PayError), or None."""
    if order["trade_state"] not in pay_store.PAID_STATES:
        return PayError(400, "INVALID_REQUEST", "订单未支付，不能退款")
    if fields["total"] != order["total"]:
        return PayError(400, "PARAM_ERROR", "amount.total 与原订单金额不一致",
                        {"location": "body", "field": "amount.total"})
    active = _active_refunds(order)
    if len(active) >= MAX_PARTIAL_REFUNDS:
        return PayError(400, "INVALID_REQUEST",
                        f"退款次数已达上限：同一笔支付最多发起 {MAX_PARTIAL_REFUNDS} 次部分退款")
    refundable = order["total"] - sum(x["amount"]["refund"] for x in active)
    if fields["refund"] > refundable:
        return PayError(400, "NOT_ENOUGH", f"申请退款金额超过订单可退金额（剩余可退 {refundable} 分）")
    return None


def create_refund(body):
    """Accept a refund (status PROCESSING). Returns (refund, created): same out_refund_no = same refund."""
    fields = validate_refund(body)
    order = _refund_order(body)
    with pay_store.order_lock(order["out_trade_no"]):
        existing = load_refund(fields["out_refund_no"])
        if existing is not None:
            return _repeat_refund(existing, order, fields), False
        order = pay_store.load_order(order["out_trade_no"])
        refusal = _refund_refusal(order, fields)
        if refusal:
            raise refusal
        refund = _new_refund(order, fields)
        order["refunds"].append(refund["out_refund_no"])
        save_refund(refund)
        pay_store.save_order(order)
        state.r().rpush(state.key("pay", "refunds"), refund["out_refund_no"])
    return refund, True


def _repeat_refund(refund, order, fields):
    if refund["out_trade_no"] != order["out_trade_no"] or refund["amount"]["refund"] != fields["refund"]:
        raise PayError(400, "INVALID_REQUEST", "退款单号重复：同一 out_refund_no 的退款参数与之前不一致")
    return refund


def _new_refund(order, fields):
    total, refund = order["total"], fields["refund"]
    return {"refund_id": "50" + datetime.now(pay_store.CST).strftime("%Y%m%d") + pay_store.digits(19),
            "out_refund_no": fields["out_refund_no"], "transaction_id": order["transaction_id"],
            "out_trade_no": order["out_trade_no"], "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
            "success_time": None, "create_time": pay_store.rfc3339(), "status": "PROCESSING",
            "funds_account": "AVAILABLE",
            "amount": {"total": total, "refund": refund, "from": [], "payer_total": total, "payer_refund": refund,
                       "settlement_total": total, "settlement_refund": refund, "discount_refund": 0,
                       "currency": "CNY", "refund_fee": 0},
            "promotion_detail": [],
            # sandbox-only fields
            "notify_url": fields["notify_url"] or order["notify_url"], "reason": fields["reason"],
            "created_at": time.time()}


def refund_view(refund):
    view = {k: refund[k] for k in REFUND_FIELDS}
    if not view["success_time"]:
        del view["success_time"]
    return view


def require_refund(out_refund_no):
    refund = load_refund(out_refund_no)
    if refund is None:
        raise PayError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
    return refund


def finish_refund(out_refund_no, status="SUCCESS"):
    """PROCESSING → SUCCESS / ABNORMAL / CLOSED. Returns (refund, changed); the order turns REFUND when
    its successful refunds reach its total."""
    refund = require_refund(out_refund_no)
    with pay_store.order_lock(refund["out_trade_no"]):
        refund = load_refund(out_refund_no)
        if refund is None or refund["status"] != "PROCESSING":
            return refund, False
        refund.update(status=status, success_time=pay_store.rfc3339() if status == "SUCCESS" else None)
        save_refund(refund)
        order = pay_store.load_order(refund["out_trade_no"])
        if order and _refunded(order) >= order["total"]:
            order["trade_state"] = "REFUND"
            pay_store.save_order(order)
    return refund, True


def refund_notice_payload(refund):
    """The decrypted resource of a REFUND.* notification."""
    amount = refund["amount"]
    payload = {"mchid": current_app.config["WECHATPAY_MCHID"], "out_trade_no": refund["out_trade_no"],
               "transaction_id": refund["transaction_id"], "out_refund_no": refund["out_refund_no"],
               "refund_id": refund["refund_id"], "refund_status": refund["status"],
               "user_received_account": refund["user_received_account"],
               "amount": {k: amount[k] for k in ("total", "refund", "payer_total", "payer_refund")}}
    if refund["success_time"]:
        payload["success_time"] = refund["success_time"]
    return payload
