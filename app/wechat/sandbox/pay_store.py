"""WeChat Pay sandbox: orders and refunds kept in Redis, with the business rules of api.mch.weixin.qq.com.

An order record (Redis "wxsb:pay:order:<out_trade_no>") keeps the API fields plus what the sandbox
needs (prepay_id, code_url, notify_url, refunds...). `transaction_view` and `refund_view` give the
objects the API answers with. Money is integer fen. Every change of an order (pay, close, refund)
happens under the order's Redis lock.
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
MAX_PARTIAL_REFUNDS = 50
OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-*]{6,32}")
OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
REFUND_FIELDS = ("refund_id", "out_refund_no", "transaction_id", "out_trade_no", "channel", "user_received_account",
                 "success_time", "create_time", "status", "funds_account", "amount", "promotion_detail")


def rfc3339(ts=None):
    return datetime.fromtimestamp(time.time() if ts is None else ts, CST).isoformat(timespec="seconds")


def yuan(fen):
    return f"{fen // 100}.{fen % 100:02d}"


def _digits(count):
    return "".join(secrets.choice("0123456789") for _ in range(count))


# ---- storage -------------------------------------------------------------------------------------

def load_order(out_trade_no):
    return state.get(("pay", "order", out_trade_no))


def save_order(order):
    state.put(("pay", "order", order["out_trade_no"]), order)


def load_refund(out_refund_no):
    return state.get(("pay", "refund", out_refund_no))


def save_refund(refund):
    state.put(("pay", "refund", refund["out_refund_no"]), refund)


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


def all_refunds():
    return [x for x in (load_refund(no) for no in state.r().lrange(state.key("pay", "refunds"), 0, -1)) if x]


# ---- validation ----------------------------------------------------------------------------------

def _param_error(field, message):
    return PayError(400, "PARAM_ERROR", message, {"location": "body", "field": field})


def _text(body, field, max_len, required=True):
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise _param_error(field, f"{field} 必填，且为不超过 {max_len} 个字符的字符串")
    return value


def _notify_url(body):
    url = _text(body, "notify_url", 256)
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _param_error("notify_url", "notify_url 必须是 http(s) 开头的完整 URL")
    if parts.query:
        raise _param_error("notify_url", "notify_url 不能携带参数")
    return url


def _positive_int(value, field):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise _param_error(field, f"{field} 必须是正整数（单位：分）")
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
        raise _param_error("time_expire", "time_expire 必须是 RFC 3339 格式，如 2026-06-08T10:34:56+08:00")
    return value


def _check_merchant(body, appid=None):
    if body.get("mchid") != current_app.config["WECHATPAY_MCHID"]:
        raise PayError(400, "MCH_NOT_EXISTS", "商户号不存在", {"location": "body", "field": "mchid"})
    if appid is not None and appid not in state.apps():
        raise PayError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配", {"location": "body", "field": "appid"})


def _payer_openid(kind, body):
    payer = body.get("payer") if isinstance(body.get("payer"), dict) else {}
    if kind == "jsapi":
        return _text(payer, "openid", 128)
    return None


def _check_h5_scene(body):
    scene = body.get("scene_info") if isinstance(body.get("scene_info"), dict) else {}
    h5_info = scene.get("h5_info") if isinstance(scene.get("h5_info"), dict) else {}
    if not scene.get("payer_client_ip"):
        raise _param_error("scene_info.payer_client_ip", "H5 支付必须提供 scene_info.payer_client_ip")
    if h5_info.get("type") not in ("Wap", "iOS", "Android"):
        raise _param_error("scene_info.h5_info.type", "H5 支付必须提供 scene_info.h5_info.type（Wap/iOS/Android）")


def validate_prepay(kind, body):
    """The normalised fields of a prepay request, or PayError."""
    appid = _text(body, "appid", 32)
    _check_merchant(body, appid)
    description = _text(body, "description", 127)
    out_trade_no = body.get("out_trade_no")
    if not isinstance(out_trade_no, str) or not OUT_TRADE_NO.fullmatch(out_trade_no):
        raise _param_error("out_trade_no", "out_trade_no 应为 6-32 位数字、大小写字母或 _-*")
    amount = body.get("amount") if isinstance(body.get("amount"), dict) else {}
    total = _positive_int(amount.get("total"), "amount.total")
    if amount.get("currency", "CNY") != "CNY":
        raise _param_error("amount.currency", "amount.currency 只能是 CNY")
    if kind == "h5":
        _check_h5_scene(body)
    return {"appid": appid, "mchid": body["mchid"], "trade_type": TRADE_TYPES[kind], "description": description,
            "out_trade_no": out_trade_no, "notify_url": _notify_url(body), "total": total,
            "openid": _payer_openid(kind, body), "attach": _text(body, "attach", 128, required=False) or "",
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
            order.update(transaction_id="4200" + datetime.now(CST).strftime("%Y%m%d") + _digits(16),
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


# ---- refunds -------------------------------------------------------------------------------------

def _refunds_of(order):
    return [load_refund(no) for no in order["refunds"]]


def _refundable(order):
    taken = sum(x["amount"]["refund"] for x in _refunds_of(order) if x["status"] in ("PROCESSING", "SUCCESS"))
    return order["total"] - taken


def validate_refund(body):
    out_refund_no = body.get("out_refund_no")
    if not isinstance(out_refund_no, str) or not OUT_REFUND_NO.fullmatch(out_refund_no):
        raise _param_error("out_refund_no", "out_refund_no 应为 1-64 位数字、大小写字母或 _-|*@")
    if not (body.get("transaction_id") or body.get("out_trade_no")):
        raise _param_error("transaction_id", "transaction_id 与 out_trade_no 必须二选一")
    amount = body.get("amount") if isinstance(body.get("amount"), dict) else {}
    refund = _positive_int(amount.get("refund"), "amount.refund")
    total = _positive_int(amount.get("total"), "amount.total")
    if amount.get("currency") != "CNY":
        raise _param_error("amount.currency", "amount.currency 必填，只能是 CNY")
    notify_url = _notify_url(body) if body.get("notify_url") is not None else None
    return {"out_refund_no": out_refund_no, "refund": refund, "total": total, "notify_url": notify_url,
            "reason": _text(body, "reason", 80, required=False) or ""}


def _refund_order(body):
    order = order_by(transaction_id=body.get("transaction_id")) if body.get("transaction_id") else \
        order_by(out_trade_no=body.get("out_trade_no"))
    if order is None:
        raise PayError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
    return order


def _refund_refusal(order, fields):
    """Why this new refund is refused (a PayError), or None."""
    if order["trade_state"] not in PAID_STATES:
        return PayError(400, "INVALID_REQUEST", "订单未支付，不能退款")
    if fields["total"] != order["total"]:
        return PayError(400, "PARAM_ERROR", "amount.total 与原订单金额不一致", {"location": "body", "field": "amount.total"})
    if len([x for x in _refunds_of(order) if x["status"] != "CLOSED"]) >= MAX_PARTIAL_REFUNDS:
        return PayError(400, "INVALID_REQUEST", f"退款次数已达上限：同一笔支付最多发起 {MAX_PARTIAL_REFUNDS} 次部分退款")
    if fields["refund"] > _refundable(order):
        return PayError(400, "NOT_ENOUGH", f"申请退款金额超过订单可退金额（剩余可退 {_refundable(order)} 分）")
    return None


def create_refund(body):
    """Accept a refund (status PROCESSING). Returns (refund, created): same out_refund_no = same refund."""
    fields = validate_refund(body)
    order = _refund_order(body)
    with order_lock(order["out_trade_no"]):
        existing = load_refund(fields["out_refund_no"])
        if existing is not None:
            return _repeat_refund(existing, order, fields), False
        order = load_order(order["out_trade_no"])
        refusal = _refund_refusal(order, fields)
        if refusal:
            raise refusal
        refund = _new_refund(order, fields)
        order["refunds"].append(refund["out_refund_no"])
        save_refund(refund)
        save_order(order)
        state.r().rpush(state.key("pay", "refunds"), refund["out_refund_no"])
    return refund, True


def _repeat_refund(refund, order, fields):
    if refund["out_trade_no"] != order["out_trade_no"] or refund["amount"]["refund"] != fields["refund"]:
        raise PayError(400, "INVALID_REQUEST", "退款单号重复：同一 out_refund_no 的退款参数与之前不一致")
    return refund


def _new_refund(order, fields):
    total, refund = order["total"], fields["refund"]
    return {"refund_id": "50" + datetime.now(CST).strftime("%Y%m%d") + _digits(19),
            "out_refund_no": fields["out_refund_no"], "transaction_id": order["transaction_id"],
            "out_trade_no": order["out_trade_no"], "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
            "success_time": None, "create_time": rfc3339(), "status": "PROCESSING", "funds_account": "AVAILABLE",
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
    with order_lock(refund["out_trade_no"]):
        refund = load_refund(out_refund_no)
        if refund is None or refund["status"] != "PROCESSING":
            return refund, False
        refund.update(status=status, success_time=rfc3339() if status == "SUCCESS" else None)
        save_refund(refund)
        order = load_order(refund["out_trade_no"])
        refunded = sum(x["amount"]["refund"] for x in _refunds_of(order) if x["status"] == "SUCCESS")
        if order and refunded >= order["total"]:
            order["trade_state"] = "REFUND"
            save_order(order)
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
