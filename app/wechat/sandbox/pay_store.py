"""WeChat Pay sandbox: orders kept in Redis, with the business rules of api.mch.weixin.qq.com.

An order record (Redis "wxsb:pay:order:<out_trade_no>") keeps the API fields plus what the sandbox
needs (prepay_id, code_url, notify_url, refunds...). `transaction_view` gives the
object the API answers with. Money is integer fen. Every change of an order (pay, close, refund)
happens under the order's Redis lock. Refunds are in pay_refunds.
"""
import re
import secrets
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

from flask import current_app

from app.wechat.sandbox import state
from app.wechat.sandbox.pay_crypto import PayError

CST = timezone(timedelta(hours=8))
TRADE_TYPES = {"jsapi": "JSAPI", "native": "NATIVE", "h5": "MWEB", "app": "APP"}
STATE_DESC = {"SUCCESS": "支付成功", "REFUND": "转入退款", "NOTPAY": "订单未支付", "CLOSED": "订单已关闭",
              "USERPAYING": "用户支付中（输入密码）", "PAYERROR": "支付失败（其他原因，如银行返回失败）"}
PAID_STATES = ("SUCCESS", "REFUND")
PREPAY_LIFETIME = 2 * 3600
OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-*]{6,32}")


def rfc3339(ts=None):
    return datetime.fromtimestamp(time.time() if ts is None else ts, CST).isoformat(timespec="seconds")


def digits(count):
    return "".join(secrets.choice("0123456789") for _ in range(count))


# ---- storage -------------------------------------------------------------------------------------

def load_order(out_trade_no):
    return state.get(("pay", "order", out_trade_no))


def save_order(order):
    state.put(("pay", "order", order["out_trade_no"]), order)


def order_lock(out_trade_no):
    return state.r().lock(state.key("pay", "lock", out_trade_no), timeout=10, blocking_timeout=10)


def _index(kind, value, out_trade_no):
    state.r().set(state.key("pay", kind, value), out_trade_no)


def _lookup(kind, value):
    return state.r().get(state.key("pay", kind, value)) if value else None


def order_by(prepay_id=None, pr=None, transaction_id=None, out_trade_no=None):
    """Find an order by any of its numbers (None when unknown)."""
    no = out_trade_no or _lookup("prepay", prepay_id) or _lookup("pr", pr) or _lookup("txid", transaction_id)
    return load_order(no) if no else None


def require_order(out_trade_no=None, transaction_id=None):
    order = order_by(out_trade_no=out_trade_no, transaction_id=transaction_id)
    if order is None:
        raise PayError(404, "ORDER_NOT_EXIST", "订单不存在")
    return order


def all_orders():
    return [o for o in (load_order(no) for no in state.r().lrange(state.key("pay", "orders"), 0, -1)) if o]


# ---- validation ----------------------------------------------------------------------------------

def param_error(field, message):
    return PayError(400, "PARAM_ERROR", message, {"location": "body", "field": field})


def text_field(body, field, max_len, required=True):
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise param_error(field, f"{field} 必填，且为不超过 {max_len} 个字符的字符串")
    return value


def notify_url_field(body):
    url = text_field(body, "notify_url", 256)
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise param_error("notify_url", "notify_url 必须是 http(s) 开头的完整 URL")
    if parts.query:
        raise param_error("notify_url", "notify_url 不能携带参数")
    return url


def positive_int(value, field):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise param_error(field, f"{field} 必须是正整数（单位：分）")
    return value


def _time_expire(body):
    value = body.get("time_expire")
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) and "T" in value else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise param_error("time_expire", "time_expire 必须是 RFC 3339 格式，如 2026-06-08T10:34:56+08:00")
    return value


def _check_merchant(body, appid=None):
    if body.get("mchid") != current_app.config["WECHATPAY_MCHID"]:
        raise PayError(400, "MCH_NOT_EXISTS", "商户号不存在", {"location": "body", "field": "mchid"})
    if appid is not None and appid not in state.apps():
        raise PayError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配", {"location": "body", "field": "appid"})


def _payer_openid(kind, body):
    payer = body.get("payer") if isinstance(body.get("payer"), dict) else {}
    if kind == "jsapi":
        return text_field(payer, "openid", 128)
    return None


def _check_h5_scene(body):
    scene = body.get("scene_info") if isinstance(body.get("scene_info"), dict) else {}
    h5_info = scene.get("h5_info") if isinstance(scene.get("h5_info"), dict) else {}
    if not scene.get("payer_client_ip"):
        raise param_error("scene_info.payer_client_ip", "H5 支付必须提供 scene_info.payer_client_ip")
    if h5_info.get("type") not in ("Wap", "iOS", "Android"):
        raise param_error("scene_info.h5_info.type", "H5 支付必须提供 scene_info.h5_info.type（Wap/iOS/Android）")


def validate_prepay(kind, body):
    """The normalised fields of a prepay request, or PayError."""
    appid = text_field(body, "appid", 32)
    _check_merchant(body, appid)
    description = text_field(body, "description", 127)
    out_trade_no = body.get("out_trade_no")
    if not isinstance(out_trade_no, str) or not OUT_TRADE_NO.fullmatch(out_trade_no):
        raise param_error("out_trade_no", "out_trade_no 应为 6-32 位数字、大小写字母或 _-*")
    amount = body.get("amount") if isinstance(body.get("amount"), dict) else {}
    total = positive_int(amount.get("total"), "amount.total")
    if amount.get("currency", "CNY") != "CNY":
        raise param_error("amount.currency", "amount.currency 只能是 CNY")
    if kind == "h5":
        _check_h5_scene(body)
    return {"appid": appid, "mchid": body["mchid"], "trade_type": TRADE_TYPES[kind], "description": description,
            "out_trade_no": out_trade_no, "notify_url": notify_url_field(body), "total": total,
            "openid": _payer_openid(kind, body), "attach": text_field(body, "attach", 128, required=False) or "",
            "time_expire": _time_expire(body)}


# ---- orders --------------------------------------------------------------------------------------

def _fingerprint(fields):
    return [fields[k] for k in ("appid", "trade_type", "description", "total", "openid", "attach")]


def _new_prepay(order, base_url):
    order["prepay_id"] = "wx" + datetime.now(CST).strftime("%d%H%M%S") + secrets.token_hex(13)
    order["prepay_at"] = time.time()
    _index("prepay", order["prepay_id"], order["out_trade_no"])
    if order["trade_type"] == "NATIVE":
        pr = secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")
        order["code_url"] = f"weixin://wxpay/bizpayurl?pr={pr}"
        _index("pr", pr, order["out_trade_no"])
    if order["trade_type"] == "MWEB":
        order["h5_url"] = f"{base_url.rstrip('/')}/_sandbox/pay/cashier?prepay_id={order['prepay_id']}"


def create_order(kind, body, base_url):
    """Store a new order, or answer the same prepay again for an identical repeat (idempotent)."""
    fields = validate_prepay(kind, body)
    with order_lock(fields["out_trade_no"]):
        order = load_order(fields["out_trade_no"])
        if order is not None:
            return _repeat_order(order, fields, base_url)
        order = {**fields, "trade_state": "NOTPAY", "transaction_id": None, "success_time": None,
                 "bank_type": None, "refunds": [], "created_at": time.time()}
        _new_prepay(order, base_url)
        save_order(order)
        state.r().rpush(state.key("pay", "orders"), order["out_trade_no"])
    return order


def _repeat_order(order, fields, base_url):
    if order["trade_state"] in PAID_STATES:
        raise PayError(400, "ORDERPAID", "该订单已支付")
    if order["trade_state"] == "CLOSED":
        raise PayError(400, "ORDER_CLOSED", "订单已关闭")
    if _fingerprint(order) != _fingerprint(fields):
        raise PayError(400, "INVALID_REQUEST", "订单号重复：同一商户订单号的下单参数与之前不一致")
    order.update(notify_url=fields["notify_url"], time_expire=fields["time_expire"])
    if time.time() - order["prepay_at"] > PREPAY_LIFETIME:
        _new_prepay(order, base_url)
    save_order(order)
    return order


def prepay_answer(order):
    if order["trade_type"] == "NATIVE":
        return {"code_url": order["code_url"]}
    if order["trade_type"] == "MWEB":
        return {"h5_url": order["h5_url"]}
    return {"prepay_id": order["prepay_id"]}


def transaction_view(order):
    """The Transaction object of query answers and TRANSACTION.SUCCESS notifications."""
    view = {"appid": order["appid"], "mchid": order["mchid"], "out_trade_no": order["out_trade_no"],
            "trade_type": order["trade_type"], "trade_state": order["trade_state"],
            "trade_state_desc": STATE_DESC[order["trade_state"]], "attach": order["attach"],
            "payer": {"openid": order["openid"]} if order["openid"] else {},
            "amount": {"total": order["total"], "currency": "CNY", "payer_currency": "CNY"}}
    if order["transaction_id"]:
        view.update(transaction_id=order["transaction_id"], bank_type=order["bank_type"],
                    success_time=order["success_time"])
        view["amount"]["payer_total"] = order["total"]
    return view


def expired(order):
    expire = order.get("time_expire")
    return bool(expire) and datetime.fromisoformat(expire).timestamp() <= time.time()


def payable_error(order):
    """Why this order cannot be paid now (a PayError), or None."""
    if order is None:
        return PayError(404, "ORDER_NOT_EXIST", "订单不存在")
    if order["trade_state"] in PAID_STATES:
        return PayError(400, "ORDERPAID", "该订单已支付")
    if order["trade_state"] == "CLOSED":
        return PayError(400, "ORDER_CLOSED", "订单已关闭，不能支付")
    if expired(order):
        return PayError(400, "ORDER_EXPIRED", "订单已超过支付截止时间（time_expire），不能支付")
    if time.time() - order["prepay_at"] > PREPAY_LIFETIME:
        return PayError(400, "PREPAY_EXPIRED", "prepay_id 已失效（有效期 2 小时），请重新下单")
    return None


def default_payer(appid):
    return state.openid_for(appid, "sandbox-payer")


def pay_order(out_trade_no, trade_state="SUCCESS", openid=None):
    """What the payer's phone does: SUCCESS (paid), USERPAYING or PAYERROR. Returns the order."""
    with order_lock(out_trade_no):
        order = load_order(out_trade_no)
        error = payable_error(order)
        if error:
            raise error
        order["trade_state"] = trade_state
        if trade_state == "SUCCESS":
            order["openid"] = order["openid"] or openid or default_payer(order["appid"])
            order.update(transaction_id="4200" + datetime.now(CST).strftime("%Y%m%d") + digits(16),
                         success_time=rfc3339(), bank_type="OTHERS")
            _index("txid", order["transaction_id"], out_trade_no)
        save_order(order)
    return order


def close_order(out_trade_no):
    """Close an unpaid order; closing again (or an unknown number) is a no-op, as the real API."""
    with order_lock(out_trade_no):
        order = load_order(out_trade_no)
        if order is None or order["trade_state"] == "CLOSED":
            return order
        if order["trade_state"] in PAID_STATES:
            raise PayError(400, "ORDERPAID", "订单已支付，不能关闭")
        order.update(trade_state="CLOSED", closed_at=time.time())
        save_order(order)
    return order


def expire_now(out_trade_no):
    """Control helper: move the order's time_expire to now (as if its payment deadline passed)."""
    with order_lock(out_trade_no):
        order = require_order(out_trade_no)
        order["time_expire"] = rfc3339(time.time() - 1)
        save_order(order)
    return order
