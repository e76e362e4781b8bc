"""WeChat Pay's e-invoice (fapiao) API through `wechatpayv3`, every call recorded as an InvoiceEvent.

The SDK's own functions are used for configuration, issuing, querying and reversing. Two of its file
functions are wrong in wechatpayv3 2.0.4, so those endpoints go through the SDK's signed request core
(`WeChatPay._core.request`) instead:
- `fapiao_query_files` sends POST; WeChat serves `/fapiao-files` only as GET;
- `fapiao_download_file` prefixes the gateway to the already absolute download URL, requires an
  `invoice_code` that digital (全电) invoices do not have, and verifies a response signature that
  the file download does not carry (we fetch it with skip_verify, only from the gateway's own host).
"""
import json
import logging
from urllib.parse import urlsplit

import requests
from flask import current_app
from wechatpayv3.type import RequestType

from app.invoices.models import InvoiceEvent
from app.pay import gateway as pay_gateway

log = logging.getLogger(__name__)
BASE = "/v3/new-tax-control-fapiao"
CALLBACK_PATH = "/pay/wechat/fapiao-notify"
TAX_CODE = "3070201020000000000"  # 现代服务 · 教育辅助服务 (培训费)


class Unavailable(Exception):
    """WeChat could not be reached or answered 5xx: the job retries."""


class Refused(Exception):
    """WeChat answered 4xx: `code` and `message` are its reasons (shown to staff)."""

    def __init__(self, status, code, message):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


def record(kind, direction, invoice=None, status_code=None, verified=None, outcome="", **detail):
    try:
        return InvoiceEvent.create(invoice=getattr(invoice, "id", invoice), kind=kind, direction=direction,
                                   status_code=status_code, verified=verified, outcome=outcome[:40],
                                   detail=json.dumps(detail, ensure_ascii=False, default=str)[:2000])
    except Exception:  # noqa: BLE001  (the database may be what failed)
        log.exception("could not record fapiao %s (%s)", kind, outcome)
        return None


def _parse(text):
    if isinstance(text, bytes | bytearray):
        return {}
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {"raw": text[:200]}


def call(kind, invoice, func, *args, summary=None, **kwargs):
    """Run one SDK call; (status, body). 5xx / network / a bad signature → Unavailable; 4xx → Refused."""
    summary = summary or {}
    try:
        status, text = func(*args, **kwargs)
    except requests.RequestException as exc:
        record(kind, "out", invoice, None, None, "network_error", error=type(exc).__name__, **summary)
        raise Unavailable(type(exc).__name__) from None
    except Exception as exc:  # noqa: BLE001  (the SDK raises plain Exception when a signature fails)
        record(kind, "out", invoice, None, False, "bad_answer", error=str(exc)[:200], **summary)
        raise Unavailable("bad_answer") from None
    body = _parse(text)
    ok = 200 <= status < 300
    record(kind, "out", invoice, status, True if ok else None, "ok" if ok else body.get("code") or f"http_{status}",
           **summary, answer_code=body.get("code"), answer_message=body.get("message"))
    if status >= 500:
        raise Unavailable(f"http_{status}")
    if not ok and status != 404:
        raise Refused(status, body.get("code", ""), body.get("message", ""))
    return status, (text if isinstance(text, bytes | bytearray) else body)


def client():
    return pay_gateway.client()


def callback_url():
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + CALLBACK_PATH


def ensure_callback():
    """Tell WeChat where invoice callbacks go (once per process and URL)."""
    url = callback_url()
    if current_app.extensions.get("fapiao_callback") == url:
        return
    call("config", None, client().fapiao_set_merchant_config, callback_url=url, summary={"url": url})
    current_app.extensions["fapiao_callback"] = url


def buyer_information(invoice):
    info = {"type": "ORGANIZATION" if invoice.title_type == "unit" else "INDIVIDUAL", "name": invoice.name}
    if invoice.title_type == "unit":
        info["taxpayer_id"] = invoice.tax_no
    for field in ("address", "telephone", "bank_name", "bank_account", "email"):
        if getattr(invoice, field):
            info[field] = getattr(invoice, field)
    return info


def apply(invoice):
    """Ask WeChat to issue the invoice (202: accepted; the result comes by callback or query)."""
    ensure_callback()
    fapiao = {"fapiao_id": invoice.fapiao_id, "total_amount": invoice.amount_fen, "need_list": False,
              "items": [{"tax_code": TAX_CODE, "quantity": 100000000, "total_amount": invoice.amount_fen,
                         "discount": False}]}
    status, body = call("apply", invoice, client().fapiao_applications, invoice.fapiao_apply_id,
                        buyer_information(invoice), [fapiao],
                        summary={"fapiao_id": invoice.fapiao_id, "amount": invoice.amount_fen})
    return _accepted(status, body)


def _accepted(status, body):
    """202 (or 200): accepted. A 404 here is a refusal too (the application does not exist)."""
    if status == 404:
        raise Refused(status, body.get("code", ""), body.get("message", ""))
    return status, body


def query(invoice):
    """The invoice as WeChat knows it (a dict from fapiao_information), or None."""
    status, body = call("query", invoice, client().fapiao_query, invoice.fapiao_apply_id, invoice.fapiao_id,
                        summary={"fapiao_id": invoice.fapiao_id})
    if status == 404:
        return None
    return next((f for f in body.get("fapiao_information") or [] if f.get("fapiao_id") == invoice.fapiao_id), None)


def reverse(invoice, reason):
    ensure_callback()
    info = {"fapiao_id": invoice.fapiao_id, "fapiao_code": invoice.fapiao_code,
            "fapiao_number": invoice.fapiao_number}
    status, body = call("reverse", invoice, client().fapiao_reverse, invoice.fapiao_apply_id, reason, [info],
                        summary={"fapiao_id": invoice.fapiao_id, "reason": reason})
    return _accepted(status, body)


def download_pdf(invoice):
    """The invoice's PDF bytes from WeChat (query the file, then fetch it), through the signed core."""
    core = client()._core
    path = f"{BASE}/fapiao-applications/{invoice.fapiao_apply_id}/fapiao-files?fapiao_id={invoice.fapiao_id}"
    _status, body = call("files", invoice, core.request, path, method=RequestType.GET,
                         summary={"fapiao_id": invoice.fapiao_id})
    urls = [f.get("download_url") for f in body.get("fapiao_download_info_list") or []
            if f.get("fapiao_id") == invoice.fapiao_id]
    if not urls:
        raise Unavailable("file_not_ready")
    gateway = urlsplit(current_app.config["WECHATPAY_GATEWAY"])
    url = urlsplit(urls[0])
    if (url.scheme, url.netloc) != (gateway.scheme, gateway.netloc):
        record("download", "out", invoice, None, None, "foreign_host", host=url.netloc)
        raise Unavailable("foreign_host")
    _status, data = call("download", invoice, core.request, f"{url.path}?{url.query}", skip_verify=True,
                         summary={"fapiao_id": invoice.fapiao_id})
    if not isinstance(data, bytes | bytearray) or not bytes(data).startswith(b"%PDF"):
        raise Unavailable("not_a_pdf")
    return bytes(data)


def title_url(order):
    """WeChat's own title page for the payer of this order (inside WeChat: pick a saved title or fill one)."""
    ensure_callback()  # FAPIAO.USER_APPLIED comes there
    source = "MINIPROGRAM" if order.pay_channel == "mini" else "WEB"
    _status, body = call("title_url", None, client().fapiao_title_url, order.transaction_id, source,
                         order.amount_fen - order.refunded_fen, order.payer_openid, appid=order.payer_appid,
                         summary={"order_no": order.order_no, "source": source})
    return body.get("url")


def user_title(apply_id):
    """The title the WeChat user filled on that page, as our title fields (None when not filled)."""
    status, body = call("user_title", None, client().fapiao_title, apply_id, summary={"apply_id": apply_id})
    if status == 404:
        return None
    title = {"title_type": "unit" if body.get("type") == "ORGANIZATION" else "personal", "name": body.get("name"),
             "tax_no": body.get("taxpayer_id") or ""}
    for field in ("address", "telephone", "bank_name", "bank_account"):
        title[field] = body.get(field) or ""
    return title
