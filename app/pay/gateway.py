"""WeChat Pay v3 behind a small contract: the recorded call, query, close, refund, query a refund, verify a
notification. Prepay is in checkout.py (it needs settle.py, which needs this module), bills in bills.py.

One `WeChatPay` (wechatpayv3, public-key mode) per app, pointed at WECHATPAY_GATEWAY. Every call to WeChat
Pay is recorded as a PaymentTransaction row (direction "out"), failed ones included; the notify endpoint
records what WeChat sends us (direction "in"). Network errors and 5xx answers become `Unavailable` (an
ApiError 502 for users); jobs let the queue retry them.
"""
import base64
import datetime
import json
import logging
import time
from pathlib import Path

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import current_app
from wechatpayv3 import WeChatPay, WeChatPayType

from app.errors import ApiError
from app.pay.models import Order, PaymentTransaction
from app.wechat import keys

log = logging.getLogger(__name__)

NOTIFY_PATH = "/pay/wechat/notify"
MAX_CLOCK_SKEW = 300  # seconds: WeChat Pay's five minutes
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
CST = datetime.timezone(datetime.timedelta(hours=8))
TIMEOUT = (5, 10)  # connect, read (seconds)
UNAVAILABLE_MESSAGE = "支付服务暂时不可用，请稍后重试"


class Unavailable(ApiError):
    """WeChat Pay could not be reached, answered 5xx, or sent an answer we could not verify."""

    def __init__(self, kind, reason):
        super().__init__(UNAVAILABLE_MESSAGE, code="pay_unavailable", status=502)
        self.kind, self.reason = kind, reason


class Refused(ApiError):
    """WeChat Pay answered 4xx: `wechat_code` is its error code (ORDERPAID, ORDER_CLOSED, ...)."""

    def __init__(self, kind, http_status, wechat_code, wechat_message, message=None, status=502):
        super().__init__(message or "微信支付未受理本次请求，请稍后重试或联系客服", code="pay_refused", status=status,
                         data={"wechat_code": wechat_code})
        self.kind, self.http_status = kind, http_status
        self.wechat_code, self.wechat_message = wechat_code, wechat_message


class NotificationRefused(Exception):
    """A notification we must not act on: `status` is our answer (401 signature/timestamp, 400 malformed)."""

    def __init__(self, reason, status=401):
        super().__init__(reason)
        self.reason, self.status = reason, status


# ---- the client ----------------------------------------------------------------------------------

def _load_merchant_key():
    """The merchant API key; outside production a development key is made when missing."""
    path = current_app.config["WECHATPAY_PRIVATE_KEY_PATH"]
    if current_app.config.get("APP_ENV") == "production" and not Path(path).exists():
        raise RuntimeError(f"WeChat Pay merchant key not found at {path}")
    return keys.load_or_create_private_key(path)


def _build():
    cfg = current_app.config
    merchant_key = _load_merchant_key()
    public_pem = Path(cfg["WECHATPAY_PUBLIC_KEY_PATH"]).read_text()
    wxpay = WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=cfg["WECHATPAY_MCHID"],
                      private_key=keys.private_pem(merchant_key),
                      cert_serial_no=cfg["WECHATPAY_CERT_SERIAL"] or keys.key_serial(merchant_key),
                      appid=cfg["WECHAT_MP_APPID"], apiv3_key=cfg["WECHATPAY_APIV3_KEY"], timeout=TIMEOUT,
                      public_key=public_pem, public_key_id=cfg["WECHATPAY_PUBLIC_KEY_ID"])
    wxpay._core._gate_way = cfg["WECHATPAY_GATEWAY"].rstrip("/")
    return {"wxpay": wxpay, "platform_key": keys.load_public_key(public_pem)}


def _state():
    ext = current_app.extensions
    if "wechatpay" not in ext:
        ext["wechatpay"] = _build()
    return ext["wechatpay"]


def client():
    """The app's WeChatPay, built once and cached in current_app.extensions."""
    return _state()["wxpay"]


def our_appids():
    cfg = current_app.config
    return {a for a in (cfg["WECHAT_MP_APPID"], cfg["WECHAT_MINI_APPID"]) if a}


def notify_url():
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + NOTIFY_PATH


# ---- recording -----------------------------------------------------------------------------------

def record(kind, direction, order=None, status_code=None, verified=None, outcome="", order_no=None, **detail):
    """One PaymentTransaction row (order: a row, an id, or found by order_no); failures are logged, never raised."""
    try:
        order_id = getattr(order, "id", order) if order is not None else _order_id(order_no) if order_no else None
        return PaymentTransaction.create(order=order_id, kind=kind, direction=direction, status_code=status_code,
                                         verified=verified, outcome=outcome[:40],
                                         detail=json.dumps(detail, ensure_ascii=False, default=str)[:2000])
    except Exception:  # noqa: BLE001  (the database may be what failed)
        log.exception("could not record WeChat Pay %s (%s)", kind, outcome)
        return None


def _order_id(order_no):
    row = Order.select(Order.id).where(Order.order_no == order_no).first()
    return row.id if row else None


def _parse(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {"raw": text[:200]}


def call(kind, order_id, func, summary, **kwargs):
    """Call the SDK, record the call, return (http status, parsed body); 5xx/network → Unavailable."""
    try:
        status, text = func(**kwargs)
    except requests.RequestException as exc:
        record(kind, "out", order_id, None, None, "network_error", error=type(exc).__name__, **summary)
        log.warning("WeChat Pay %s: network error %s", kind, type(exc).__name__)
        raise Unavailable(kind, type(exc).__name__) from None
    except Exception as exc:  # noqa: BLE001  (the SDK raises plain Exception when an answer's signature fails)
        record(kind, "out", order_id, None, False, "bad_answer", error=str(exc)[:200], **summary)
        log.error("WeChat Pay %s: answer refused: %s", kind, exc)
        raise Unavailable(kind, "bad_answer") from None
    body = _parse(text)
    ok = 200 <= status < 300
    outcome = "ok" if ok else (body.get("code") or f"http_{status}")
    record(kind, "out", order_id, status, True if ok else None, outcome, **summary, **_answer_summary(body))
    if status >= 500:
        log.warning("WeChat Pay %s: %s %s", kind, status, body.get("code"))
        raise Unavailable(kind, f"http_{status}")
    return status, body


def _answer_summary(body):
    """What of WeChat's answer is worth keeping (no payer data)."""
    keep = ("code", "message", "trade_state", "transaction_id", "status", "refund_id")
    summary = {f"answer_{k}": body[k] for k in keep if body.get(k)}
    if isinstance(body.get("amount"), dict):
        summary["answer_amount"] = {k: v for k, v in body["amount"].items() if k in ("total", "refund")}
    return summary


def refused(kind, status, body, message=None, user_status=502):
    return Refused(kind, status, body.get("code", ""), body.get("message", ""), message, user_status)


# ---- query, close, refund ------------------------------------------------------------------------

def query(order_no):
    """The transaction as WeChat Pay knows it, or None when WeChat has no such order."""
    status, body = call("query", _order_id(order_no), client().query, {"out_trade_no": order_no},
                         out_trade_no=order_no)
    if status == 404:
        return None
    if status != 200:
        raise refused("query", status, body)
    return body


def close(order_no):
    """Close an unpaid order at WeChat Pay (closing again is fine). Refused(ORDERPAID) if it was paid."""
    status, body = call("close", _order_id(order_no), client().close, {"out_trade_no": order_no},
                         out_trade_no=order_no)
    if status not in (200, 204):
        raise refused("close", status, body)


def refund(order, out_refund_no, amount_fen, reason):
    """Ask WeChat Pay to refund; the answer only means "accepted" (status PROCESSING, usually)."""
    kwargs = {"out_refund_no": out_refund_no, "amount": {"refund": amount_fen, "total": order.amount_fen,
                                                         "currency": "CNY"},
              "reason": (reason or "")[:80] or None, "notify_url": notify_url()}
    if order.transaction_id:
        kwargs["transaction_id"] = order.transaction_id
    else:
        kwargs["out_trade_no"] = order.order_no
    summary = {"out_trade_no": order.order_no, "out_refund_no": out_refund_no, "refund": amount_fen}
    status, body = call("refund", order.id, client().refund, summary, **kwargs)
    if status != 200:
        raise refused("refund", status, body, f"微信支付未受理退款：{body.get('message') or body.get('code')}", 409)
    return body


def query_refund(out_refund_no):
    """The refund as WeChat Pay knows it, or None when it has no such refund."""
    from app.pay.models import Refund

    row = Refund.select(Refund.order).where(Refund.out_refund_no == out_refund_no).first()
    status, body = call("refund_query", row.order_id if row else None, client().query_refund,
                         {"out_refund_no": out_refund_no}, out_refund_no=out_refund_no)
    if status == 404:
        return None
    if status != 200:
        raise refused("refund_query", status, body)
    return body


# ---- notifications -------------------------------------------------------------------------------

def _header(headers, name):
    return (headers.get(name) or "").strip()


def check_headers(headers, now=None):
    """The Wechatpay-* headers of a notification, or NotificationRefused (before any crypto)."""
    fields = {name: _header(headers, f"Wechatpay-{name}") for name in ("Serial", "Signature", "Timestamp", "Nonce")}
    missing = [name for name, value in fields.items() if not value]
    if missing:
        raise NotificationRefused("missing header: " + ",".join(missing))
    if not fields["Timestamp"].isdigit():
        raise NotificationRefused("bad timestamp")
    if abs((now or time.time()) - int(fields["Timestamp"])) > MAX_CLOCK_SKEW:
        raise NotificationRefused("timestamp out of range")
    if fields["Serial"] != current_app.config["WECHATPAY_PUBLIC_KEY_ID"]:
        raise NotificationRefused("unknown serial")
    if _header(headers, "Wechatpay-Signature-Type") not in ("", SIGNATURE_TYPE):
        raise NotificationRefused("unsupported signature type")
    return fields


def signature_valid(fields, body):
    """RSA-SHA256 over `timestamp\\nnonce\\nbody\\n` on the raw body bytes, with the platform public key."""
    message = f"{fields['Timestamp']}\n{fields['Nonce']}\n".encode() + body + b"\n"
    try:
        _state()["platform_key"].verify(base64.b64decode(fields["Signature"], validate=True), message,
                                        padding.PKCS1v15(), hashes.SHA256())
        return True
    except Exception:  # noqa: BLE001  (bad base64 or a wrong signature: not verified)
        return False


def verify_notification(headers, body):
    """The verified, decrypted notification (`resource` replaced by the decrypted object)."""
    fields = check_headers(headers)
    if not signature_valid(fields, body):
        raise NotificationRefused("signature invalid")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NotificationRefused("body not UTF-8", 400) from None
    sdk_headers = {f"Wechatpay-{k}": v for k, v in fields.items()}
    sdk_headers["Wechatpay-Signature-Type"] = SIGNATURE_TYPE
    try:
        notice = client().callback(sdk_headers, text)  # verifies again, then decrypts with the APIv3 key
    except Exception:  # noqa: BLE001  (malformed JSON or an unknown algorithm)
        notice = None
    if not notice or not isinstance(notice.get("resource"), dict):
        log.error("WeChat Pay notification verified but not decryptable: check WECHATPAY_APIV3_KEY")
        raise NotificationRefused("resource not decryptable", 400)
    return notice
