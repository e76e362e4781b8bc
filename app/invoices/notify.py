"""POST /pay/wechat/fapiao-notify: WeChat Pay's e-invoice callbacks (FAPIAO.ISSUED, FAPIAO.REVERSED,
FAPIAO.USER_APPLIED, FAPIAO.CARD_INSERTED, FAPIAO.CARD_DISCARDED).

Verified exactly like payment notifications (app.pay.gateway.verify_notification: headers, timestamp,
RSA signature on the raw body, then AES-GCM decryption). The callback only says that something
changed: each invoice it names is brought up to date by querying WeChat (service.refresh), so a
forged or replayed payload cannot set a state. Every callback is recorded as an InvoiceEvent. Answers
204 when handled, `{"code": "FAIL"}` with 401/400/500 otherwise (WeChat sends it again).
"""
import logging

from flask import Blueprint, Response, jsonify, request

from app.invoices import gateway, service
from app.invoices.models import Invoice
from app.pay import gateway as pay_gateway
from app.security import csrf_exempt

log = logging.getLogger(__name__)
bp = Blueprint("invoice_notify", __name__)


def _fail(status, message):
    return jsonify({"code": "FAIL", "message": message}), status


@bp.post(gateway.CALLBACK_PATH)
@csrf_exempt
def fapiao_notify():
    try:
        notice = pay_gateway.verify_notification(request.headers, request.get_data())
    except pay_gateway.NotificationRefused as exc:
        gateway.record("callback", "in", None, exc.status, False, f"refused:{exc.reason}")
        return _fail(exc.status, "验签失败" if exc.status == 401 else "通知无法解析")
    resource, event_type = notice["resource"], notice.get("event_type", "")
    apply_id = str(resource.get("fapiao_apply_id") or "")
    ids = [str(f.get("fapiao_id")) for f in resource.get("fapiao_information") or []]
    try:
        if event_type == "FAPIAO.USER_APPLIED":
            service.apply_from_wechat_title(apply_id)
        invoices = list(Invoice.select().where(Invoice.fapiao_apply_id == apply_id, Invoice.fapiao_id.in_(ids)))
        for invoice in invoices:
            service.refresh(invoice)
    except Exception:  # noqa: BLE001  (database or WeChat down: answer 500, WeChat sends it again)
        log.exception("fapiao callback %s could not be applied", notice.get("id"))
        gateway.record("callback", "in", None, 500, True, "error", event_type=event_type, apply_id=apply_id)
        return _fail(500, "系统繁忙，请稍后重试")
    first = invoices[0] if invoices else None
    gateway.record("callback", "in", first, 204, True, event_type, apply_id=apply_id, fapiao_ids=ids,
                   notification_id=notice.get("id"))
    return Response(status=204)
