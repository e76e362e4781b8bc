"""WeChat Pay sandbox control endpoints (not WeChat APIs) under /_sandbox/pay/, and the flows they share
with the cashier pages: pay an order and notify, complete a refund and notify.

    POST /_sandbox/pay/pay                {out_trade_no | prepay_id | code_url, notify?, delay_seconds?,
                                           copies?, trade_state?, openid?}
    POST /_sandbox/pay/refunds/<no>/complete {notify?, delay_seconds?, copies?, status?}
    POST /_sandbox/pay/notify-again       {out_trade_no | out_refund_no, notify?, delay_seconds?, copies?}
    POST /_sandbox/pay/expire             {out_trade_no}
    POST /_sandbox/pay/bill-amount        {out_trade_no, total (fen) | null}: the trade bill reports another amount
    POST /_sandbox/pay/check-paysign      {appId, timeStamp, nonceStr, package, paySign}
    GET  /_sandbox/pay/transactions[?out_trade_no=]   GET /_sandbox/pay/refunds[?out_trade_no=]
    GET  /_sandbox/pay/notifications[?out_trade_no=&event_type=&notification_id=]

Errors answer `{"code","message"}` with a 4xx status, like the API.
"""
import time
from urllib.parse import parse_qs, urlparse

from flask import Blueprint, jsonify, request

from app.wechat.sandbox import pay_bills, pay_notify, pay_refunds, pay_store
from app.wechat.sandbox.pay_crypto import PayError, verify_pay_sign

bp = Blueprint("sandbox_pay_control", __name__)
PAY_RESULTS = ("SUCCESS", "USERPAYING", "PAYERROR")


# ---- flows ---------------------------------------------------------------------------------------

def pay_and_notify(out_trade_no, mode="normal", delay_seconds=None, copies=None, trade_state="SUCCESS", openid=None):
    pay_notify.check_mode(mode)
    order = pay_store.pay_order(out_trade_no, trade_state, openid)
    notice = None
    if trade_state == "SUCCESS":  # WeChat Pay only notifies successful payments
        notice = pay_notify.transaction_notice(order)
        pay_notify.dispatch(notice, mode, delay_seconds, copies)
    return order, notice


def complete_refund(out_refund_no, status="SUCCESS", mode="normal", delay_seconds=None, copies=None):
    pay_notify.check_mode(mode)
    refund, changed = pay_refunds.finish_refund(out_refund_no, status)
    notice = None
    if changed:
        notice = pay_notify.refund_notice(refund)
        pay_notify.dispatch(notice, mode, delay_seconds, copies)
    return refund, notice


def refund_delay():
    """Seconds before a refund completes by itself (WECHAT_SANDBOX_REFUND_DELAY, default 2; < 0: manual)."""
    return float(pay_notify.setting("WECHAT_SANDBOX_REFUND_DELAY", 2))


def schedule_refund_completion(out_refund_no):
    delay = refund_delay()
    if delay >= 0:
        pay_notify.run_in_background(_complete_later, out_refund_no, delay)


def _complete_later(out_refund_no, delay):
    time.sleep(delay)
    if pay_refunds.load_refund(out_refund_no) is not None:  # gone when the sandbox state was flushed
        complete_refund(out_refund_no)


def complete_if_due(out_refund_no):
    """On a refund query: complete it now if its delay has passed (in case no timer did)."""
    refund = pay_refunds.require_refund(out_refund_no)
    delay = refund_delay()
    if refund["status"] == "PROCESSING" and delay >= 0 and time.time() >= refund["created_at"] + delay:
        refund, _ = complete_refund(out_refund_no)
    return refund


# ---- control endpoints ---------------------------------------------------------------------------

@bp.errorhandler(PayError)
def _pay_error(error):
    return jsonify(error.body()), error.status


def _json():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise PayError(400, "PARAM_ERROR", "请求体必须是 JSON 对象")
    return data


def _number(data, name, low, high):
    value = data.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or
                              not low <= value <= high):
        raise PayError(400, "PARAM_ERROR", f"{name} 必须是 {low} 到 {high} 之间的数字")
    return value


def _mode_args(data):
    return {"mode": data.get("notify", "normal"), "delay_seconds": _number(data, "delay_seconds", 0, 600),
            "copies": _number(data, "copies", 2, 20)}


def _order_from(data):
    code_url = data.get("code_url")
    pr = parse_qs(urlparse(code_url).query).get("pr", [None])[0] if code_url else None
    order = pay_store.order_by(out_trade_no=data.get("out_trade_no"), prepay_id=data.get("prepay_id"), pr=pr)
    if order is None:
        raise PayError(404, "ORDER_NOT_EXIST", "订单不存在")
    return order


@bp.post("/_sandbox/pay/pay")
def pay():
    data = _json()
    trade_state = data.get("trade_state", "SUCCESS")
    if trade_state not in PAY_RESULTS:
        raise PayError(400, "PARAM_ERROR", f"trade_state 只能是 {'/'.join(PAY_RESULTS)}")
    order, notice = pay_and_notify(_order_from(data)["out_trade_no"], trade_state=trade_state,
                                   openid=data.get("openid"), **_mode_args(data))
    return jsonify(transaction=pay_store.transaction_view(order), notification_id=notice and notice["id"])


@bp.post("/_sandbox/pay/refunds/<out_refund_no>/complete")
def refund_complete(out_refund_no):
    data = request.get_json(silent=True) or {}
    status = data.get("status", "SUCCESS")
    if status not in pay_notify.REFUND_EVENTS:
        raise PayError(400, "PARAM_ERROR", "status 只能是 SUCCESS/ABNORMAL/CLOSED")
    refund, notice = complete_refund(out_refund_no, status, **_mode_args(data))
    return jsonify(refund=pay_refunds.refund_view(refund), notification_id=notice and notice["id"],
                   already_done=notice is None)


@bp.post("/_sandbox/pay/notify-again")
def notify_again():
    data = _json()
    notice = pay_notify.last_notice(data.get("out_trade_no"), data.get("out_refund_no"))
    args = _mode_args(data)
    pay_notify.dispatch(notice, args["mode"], args["delay_seconds"], args["copies"])
    return jsonify(notification_id=notice["id"], event_type=notice["event_type"])


@bp.post("/_sandbox/pay/expire")
def expire():
    order = pay_store.expire_now(_json().get("out_trade_no"))
    return jsonify(transaction=pay_store.transaction_view(order), time_expire=order["time_expire"])


@bp.post("/_sandbox/pay/bill-amount")
def bill_amount():
    data = _json()
    total = data.get("total")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise PayError(400, "PARAM_ERROR", "total 必须是非负整数（分）或 null")
    pay_bills.plant_amount(data.get("out_trade_no"), total)
    return jsonify(out_trade_no=data.get("out_trade_no"), bill_total=total)


@bp.post("/_sandbox/pay/check-paysign")
def check_pay_sign():
    data = _json()
    fields = [str(data.get(k, "")) for k in ("appId", "timeStamp", "nonceStr", "package", "paySign")]
    valid = verify_pay_sign(*fields)
    prepay_id = fields[3].removeprefix("prepay_id=")
    order = pay_store.order_by(prepay_id=prepay_id) if fields[3].startswith("prepay_id=") else None
    return jsonify(valid=valid, message="签名正确" if valid else "支付验证签名失败",
                   signed_message="\n".join(fields[:4]) + "\n", order_found=order is not None,
                   appid_matches=bool(order) and order["appid"] == fields[0])


@bp.get("/_sandbox/pay/transactions")
def transactions():
    wanted = request.args.get("out_trade_no")
    orders = [o for o in pay_store.all_orders() if wanted in (None, o["out_trade_no"])]
    return jsonify(transactions=orders)


@bp.get("/_sandbox/pay/refunds")
def refunds():
    wanted = request.args.get("out_trade_no")
    return jsonify(refunds=[x for x in pay_refunds.all_refunds() if wanted in (None, x["out_trade_no"])])


@bp.get("/_sandbox/pay/notifications")
def notifications():
    args = request.args
    return jsonify(notifications=pay_notify.log(args.get("out_trade_no"), args.get("event_type"),
                                                args.get("notification_id")))
