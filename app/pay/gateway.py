"""WeChat Pay v3 behind a small contract: prepay, query, close, refund, query a refund, verify a notification.

One `WeChatPay` (wechatpayv3, public-key mode) per app, pointed at WECHATPAY_GATEWAY. Every call to WeChat
Pay is recorded as a PaymentTransaction row (direction "out"), failed ones included; the notify endpoint
records what WeChat sends us (direction "in"). Network errors and 5xx answers become `Unavailable` (an
ApiError 502 for users); jobs let the queue retry them.
"""
import base64
import datetime
import json
import logging
import secrets
import time
from pathlib import Path

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import current_app
from wechatpayv3 import WeChatPay, WeChatPayType

from app.db import utcnow
from app.errors import ApiError
from app.pay.models import Order, PaymentTransaction
from app.wechat import keys

log = logging.getLogger(__name__)

CHANNELS = ("jsapi", "mini", "native")
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


def _call(kind, order_id, func, summary, **kwargs):
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


def _refused(kind, status, body, message=None, user_status=502):
    return Refused(kind, status, body.get("code", ""), body.get("message", ""), message, user_status)


# ---- prepay --------------------------------------------------------------------------------------

def rfc3339(naive_utc):
    """A stored naive-UTC time as WeChat wants it: RFC 3339 in +08:00."""
    return naive_utc.replace(tzinfo=datetime.UTC).astimezone(CST).isoformat(timespec="seconds")


def payable_problem(order, now=None):
    """Why this order cannot be paid now (a user message), or None."""
    if order.status == "paid" or order.status.endswith("refunded"):
        return "该订单已支付，无需重复付款"
    if order.status != "pending":
        return "该订单已关闭，请重新下单"
    if order.expires_at <= (now or utcnow()):
        return "该订单已超过支付时限，请重新下单"
    return None


def _payer(channel, openid):
    """(appid, pay type) of a channel; jsapi and mini need the payer's openid."""
    cfg = current_app.config
    if channel not in CHANNELS:
        raise ApiError("不支持的支付方式", status=422)
    if channel != "native" and not openid:
        raise ApiError("请在微信中打开后再支付", status=422)
    if channel == "mini":
        return cfg["WECHAT_MINI_APPID"], WeChatPayType.MINIPROG
    return cfg["WECHAT_MP_APPID"], WeChatPayType.JSAPI if channel == "jsapi" else WeChatPayType.NATIVE


def _same_payer(order, channel, appid, openid):
    """A repeat prepay must carry the same content as the first (same out_trade_no)."""
    if not order.prepaid_at:
        return True
    return (order.pay_channel, order.payer_appid, order.payer_openid) == (channel, appid, openid or "")


def prepay(order, channel, openid=None, client_ip=None):
    """Open (or reopen) the order at WeChat Pay; returns the front end's payment parameters.

    `client_ip` is accepted for H5 later; it is not sent, so a repeat prepay carries identical content.
    """
    order = Order.get_by_id(order.id)
    problem = payable_problem(order)
    if problem:
        raise ApiError(problem, code="conflict", status=409)
    appid, pay_type = _payer(channel, openid)
    if not _same_payer(order, channel, appid, openid):
        raise _abandoned(order, "该订单已在其他设备或方式发起支付，已为您关闭，请重新下单")
    status, body = _prepay_call(order, channel, appid, pay_type, openid)
    if status != 200:
        raise _prepay_refusal(order, status, body)
    Order.update(pay_channel=channel, payer_appid=appid, payer_openid=openid or "", prepay_id=body.get("prepay_id", ""),
                 code_url=body.get("code_url", ""), prepaid_at=utcnow(), updated_at=utcnow()).where(
        Order.id == order.id).execute()
    if channel == "native":
        return {"code_url": body["code_url"]}
    return pay_params(appid, body["prepay_id"])


def _prepay_call(order, channel, appid, pay_type, openid):
    from app.learning.models import Project

    project = Project.get_by_id(order.project_id)
    kwargs = {"description": project.name[:127], "out_trade_no": order.order_no,
              "amount": {"total": order.amount_fen, "currency": "CNY"}, "time_expire": rfc3339(order.expires_at),
              "notify_url": notify_url(), "appid": appid, "pay_type": pay_type}
    if openid:
        kwargs["payer"] = {"openid": openid}
    summary = {"out_trade_no": order.order_no, "channel": channel, "appid": appid, "amount": order.amount_fen}
    return _call("prepay", order.id, client().pay, summary, **kwargs)


def _abandoned(order, message):
    """Close an order that cannot be paid as asked (at WeChat Pay first): the learner orders again.

    The same out_trade_no cannot be prepaid with other content (channel, payer), so the order is closed
    and a new order gets a new number; if it was paid meanwhile it is settled paid instead.
    """
    from app.pay import settle

    outcome = settle.abandon_order(order)
    if outcome == "paid":
        return ApiError("该订单已支付，无需重复付款", code="conflict", status=409)
    return ApiError(message, code="order_closed", status=409)


def _prepay_refusal(order, status, body):
    code = body.get("code")
    log.warning("WeChat Pay refused prepay of %s: %s %s", order.order_no, code, body.get("message"))
    if code == "ORDERPAID":
        from app.pay import settle

        settle.queue_settle([order.order_no])
        return _refused("prepay", status, body, "该订单已支付，正在确认支付结果，请稍后刷新", 409)
    if code in ("ORDER_CLOSED", "INVALID_REQUEST"):
        return _abandoned(order, "该订单已无法支付，已为您关闭，请重新下单")
    return _refused("prepay", status, body)


def pay_params(appid, prepay_id):
    """What WeixinJSBridge / wx.requestPayment need, with paySign by the merchant key."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    package = f"prepay_id={prepay_id}"
    return {"appId": appid, "timeStamp": timestamp, "nonceStr": nonce, "package": package, "signType": "RSA",
            "paySign": client().sign([appid, timestamp, nonce, package])}


# ---- query, close, refund ------------------------------------------------------------------------

def query(order_no):
    """The transaction as WeChat Pay knows it, or None when WeChat has no such order."""
    status, body = _call("query", _order_id(order_no), client().query, {"out_trade_no": order_no},
                         out_trade_no=order_no)
    if status == 404:
        return None
    if status != 200:
        raise _refused("query", status, body)
    return body


def close(order_no):
    """Close an unpaid order at WeChat Pay (closing again is fine). Refused(ORDERPAID) if it was paid."""
    status, body = _call("close", _order_id(order_no), client().close, {"out_trade_no": order_no},
                         out_trade_no=order_no)
    if status not in (200, 204):
        raise _refused("close", status, body)


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
    status, body = _call("refund", order.id, client().refund, summary, **kwargs)
    if status != 200:
        raise _refused("refund", status, body, f"微信支付未受理退款：{body.get('message') or body.get('code')}", 409)
    return body


def query_refund(out_refund_no):
    """The refund as WeChat Pay knows it, or None when it has no such refund."""
    from app.pay.models import Refund

    row = Refund.select(Refund.order).where(Refund.out_refund_no == out_refund_no).first()
    status, body = _call("refund_query", row.order_id if row else None, client().query_refund,
                         {"out_refund_no": out_refund_no}, out_refund_no=out_refund_no)
    if status == 404:
        return None
    if status != 200:
        raise _refused("refund_query", status, body)
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
