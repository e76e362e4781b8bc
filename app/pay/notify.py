"""POST /pay/wechat/notify: WeChat Pay's payment and refund notifications (no login, no CSRF: signed).

Answers WeChat's way: 204 without a body once handled (duplicates included); otherwise
`{"code": "FAIL", "message": ...}` with 401 (signature, timestamp or headers), 400 (unknown order or
refund, content that does not match ours, an unreadable body) or 500 (our side failed: WeChat sends
it again). Every notification received is recorded as a PaymentTransaction (direction "in").
Slow work (messages) goes through the queue.
"""
import logging

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from app.pay import gateway, refunds, settle
from app.security import csrf_exempt

log = logging.getLogger(__name__)
bp = Blueprint("pay_notify", __name__)

REFUSALS = {
    "unknown_order": "订单不存在",
    "unknown_refund": "退款单不存在",
    "amount_mismatch": "金额与订单不符",
    "appid_mismatch": "appid 与订单不符",
    "mchid_mismatch": "商户号不符",
    "out_trade_no_mismatch": "订单号不符",
    "not_success": "交易状态不是支付成功",
}


def fail(status, message):
    """WeChat Pay's failure answer."""
    return jsonify({"code": "FAIL", "message": message}), status


def _kind(event_type):
    return "refund_notify" if str(event_type).startswith("REFUND.") else "notify"


def _facts(notice):
    """What of a verified notification we keep (no payer data)."""
    resource = notice.get("resource") or {}
    amount = resource.get("amount") or {}
    return {"event_type": notice.get("event_type"), "notification_id": notice.get("id"),
            "out_trade_no": resource.get("out_trade_no"), "out_refund_no": resource.get("out_refund_no"),
            "state": resource.get("trade_state") or resource.get("refund_status"),
            "total": amount.get("total"), "refund": amount.get("refund")}


def _unverified_facts():
    headers = request.headers
    return {"serial": (headers.get("Wechatpay-Serial") or "")[:64],
            "timestamp": (headers.get("Wechatpay-Timestamp") or "")[:20],
            "sign_test": (headers.get("Wechatpay-Signature") or "").startswith("WECHATPAY/SIGNTEST/"),
            "remote_addr": request.remote_addr}


def dispatch(notice):
    """Apply a verified notification; returns the outcome (settle.PaymentRefused on a mismatch)."""
    event_type, resource = notice.get("event_type", ""), notice["resource"]
    if event_type == "TRANSACTION.SUCCESS":
        return settle.apply_paid(resource.get("out_trade_no"), resource, "notify")
    if event_type.startswith("REFUND."):
        return refunds.apply_refund(resource, "notify")
    log.info("WeChat Pay notification %s ignored", event_type)
    return "ignored"


@bp.post(gateway.NOTIFY_PATH)
@csrf_exempt
def wechat_notify():
    try:
        return _handle()
    except Exception:  # noqa: BLE001  (never a 500 page: WeChat needs its JSON, and will send again)
        log.exception("WeChat Pay notification failed on our side")
        return fail(500, "系统繁忙，请稍后重试")


def _handle():
    try:
        body = request.get_data()
    except HTTPException as exc:
        return fail(exc.code or 400, "请求无效")
    try:
        notice = gateway.verify_notification(request.headers, body)
    except gateway.NotificationRefused as exc:
        gateway.record("notify", "in", None, exc.status, False, f"refused:{exc.reason}", **_unverified_facts())
        log.warning("WeChat Pay notification refused: %s", exc.reason)
        return fail(exc.status, "验签失败" if exc.status == 401 else "通知无法解析")
    kind, facts = _kind(notice.get("event_type")), _facts(notice)
    try:
        outcome = dispatch(notice)
    except settle.PaymentRefused as exc:
        gateway.record(kind, "in", None, exc.status, True, f"refused:{exc.reason}",
                       order_no=facts["out_trade_no"], **facts)
        return fail(exc.status, REFUSALS.get(exc.reason, "通知内容与订单不符"))
    except Exception:  # noqa: BLE001  (database down, ...: answer 500 so WeChat sends it again)
        log.exception("WeChat Pay notification %s could not be applied", facts["notification_id"])
        gateway.record(kind, "in", None, 500, True, "error", order_no=facts["out_trade_no"], **facts)
        return fail(500, "系统繁忙，请稍后重试")
    gateway.record(kind, "in", None, 204, True, outcome, order_no=facts["out_trade_no"], **facts)
    return Response(status=204)
