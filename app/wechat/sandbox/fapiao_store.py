"""WeChat Pay sandbox: e-invoice (电子发票) applications kept in Redis, with WeChat's rules.

An application ("wxsb:fapiao:app:<fapiao_apply_id>") belongs to one paid payment (scene WITH_WECHATPAY:
the application number is the payment's transaction id) and holds at most five invoices over its whole
life, reversed ones included. An invoice goes ISSUE_ACCEPTED → ISSUED (a 全电 number, date, check code,
the buyer's WeChat card package) → REVERSE_ACCEPTED → REVERSED (a red-letter number). Issued amounts
that are not reversed never exceed the payment. Changes happen under the application's lock.
"""
import base64
import secrets
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import current_app

from app.wechat.sandbox import pay_store, state
from app.wechat.sandbox.pay_crypto import PayError

MAX_PER_APPLICATION = 5
TAX_CODE = "3070201020000000000"  # 现代服务 · 教育辅助服务 (培训费)
TAX_RATE = 600  # 万分之一: 6 %
REVERSE_REASONS = ("开票有误", "销货退回", "服务中止", "销售折让")  # the red-letter reasons WeChat accepts
BUYER_TYPES = ("INDIVIDUAL", "ORGANIZATION")
TAXPAYER_LENGTHS = (15, 17, 18, 20)


def seller():
    cfg = current_app.config
    return {"name": cfg.get("WECHAT_SANDBOX_SELLER_NAME", "重庆市专业技术人员继续教育服务中心（沙箱）"),
            "taxpayer_id": cfg.get("WECHAT_SANDBOX_SELLER_TAX_ID", "91500103MA5U8XK27G"),
            "address": "重庆市渝中区示例路 1 号", "telephone": "023-60000000",
            "bank_name": "示例银行重庆分行", "bank_account": "5000000000000000000"}


def tax_codes():
    return [{"goods_name": "培训费", "tax_code": TAX_CODE, "goods_category": "现代服务", "tax_rate": TAX_RATE}]


# ---- storage -------------------------------------------------------------------------------------

def load(apply_id):
    return state.get(("fapiao", "app", apply_id))


def save(application):
    state.put(("fapiao", "app", application["fapiao_apply_id"]), application)


def lock(apply_id):
    return state.r().lock(state.key("fapiao", "lock", apply_id), timeout=10, blocking_timeout=10)


def all_applications():
    names = state.r().lrange(state.key("fapiao", "apps"), 0, -1)
    return [a for a in (load(n) for n in names) if a]


def require(apply_id):
    application = load(apply_id)
    if application is None:
        raise PayError(404, "RESOURCE_NOT_EXISTS", "发票申请单不存在")
    return application


def find(application, fapiao_id):
    return next((f for f in application["fapiao"] if f["fapiao_id"] == fapiao_id), None)


def callback_url():
    return state.r().get(state.key("fapiao", "callback_url"))


def set_callback_url(url):
    state.r().set(state.key("fapiao", "callback_url"), url)


# ---- validation ----------------------------------------------------------------------------------

def _param(field, message):
    return pay_store.param_error(field, message)


def _decrypt(value, field):
    """phone / email arrive RSA-OAEP encrypted with the platform public key (Wechatpay-Serial names it)."""
    try:
        key = current_app.extensions["sandbox_platform_key"]
        return key.decrypt(base64.b64decode(value), padding.OAEP(mgf=padding.MGF1(hashes.SHA1()),
                                                                   algorithm=hashes.SHA1(), label=None)).decode()
    except Exception:  # noqa: BLE001  (anything else than a ciphertext for our key)
        raise _param(f"buyer_information.{field}", f"{field} 必须用微信支付平台公钥加密") from None


def buyer(body):
    data = body.get("buyer_information") if isinstance(body.get("buyer_information"), dict) else None
    if data is None:
        raise _param("buyer_information", "缺少 buyer_information")
    if data.get("type") not in BUYER_TYPES:
        raise _param("buyer_information.type", "type 只能是 INDIVIDUAL 或 ORGANIZATION")
    name = pay_store.text_field(data, "name", 100)
    out = {"type": data["type"], "name": name}
    tax_id = data.get("taxpayer_id")
    if data["type"] == "ORGANIZATION":
        if not isinstance(tax_id, str) or len(tax_id) not in TAXPAYER_LENGTHS or not tax_id.isalnum():
            raise _param("buyer_information.taxpayer_id", "单位抬头必须填写 15、17、18 或 20 位纳税人识别号")
        out["taxpayer_id"] = tax_id
    for field in ("address", "telephone", "bank_name", "bank_account"):
        if data.get(field):
            out[field] = pay_store.text_field(data, field, 100)
    for field in ("phone", "email"):
        if data.get(field):
            out[field] = _decrypt(data[field], field)
    return out


def _item(raw, index):
    if not isinstance(raw, dict):
        raise _param(f"fapiao_information.items[{index}]", "items 必须是对象")
    if raw.get("tax_code") not in {c["tax_code"] for c in tax_codes()}:
        raise _param("items.tax_code", "tax_code 不在商户可用的税收分类编码中")
    quantity = raw.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise _param("items.quantity", "quantity 必须是正整数（单位：10^-8）")
    total = pay_store.positive_int(raw.get("total_amount"), "items.total_amount")
    return {"tax_code": raw["tax_code"], "goods_name": "培训费", "quantity": quantity, "total_amount": total,
            "discount": bool(raw.get("discount")), "tax_rate": TAX_RATE}


def fapiao_list(body):
    entries = body.get("fapiao_information")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_PER_APPLICATION:
        raise _param("fapiao_information", f"fapiao_information 应为 1 到 {MAX_PER_APPLICATION} 张发票")
    out = []
    for entry in entries:
        fapiao_id = entry.get("fapiao_id") if isinstance(entry, dict) else None
        if not isinstance(fapiao_id, str) or not 1 <= len(fapiao_id) <= 32:
            raise _param("fapiao_information.fapiao_id", "fapiao_id 必填，不超过 32 个字符")
        items = entry.get("items")
        if not isinstance(items, list) or not items:
            raise _param("fapiao_information.items", "items 必填")
        items = [_item(x, i) for i, x in enumerate(items)]
        total = pay_store.positive_int(entry.get("total_amount"), "fapiao_information.total_amount")
        if total != sum(x["total_amount"] for x in items):
            raise _param("fapiao_information.total_amount", "total_amount 与 items 的金额之和不一致")
        out.append({"fapiao_id": fapiao_id, "total_amount": total, "items": items,
                    "remark": str(entry.get("remark") or "")[:200]})
    return out


# ---- rules ---------------------------------------------------------------------------------------

def outstanding(application):
    """Money covered by invoices that are not reversed (fen)."""
    return sum(f["total_amount"] for f in application["fapiao"] if not f["status"].startswith("REVERSE"))


def _payment(apply_id, scene):
    if scene != "WITH_WECHATPAY":
        raise _param("scene", "scene 目前只支持 WITH_WECHATPAY")
    order = pay_store.order_by(transaction_id=apply_id)
    if order is None or order["trade_state"] not in pay_store.PAID_STATES:
        raise PayError(400, "INVALID_REQUEST", "fapiao_apply_id 不是本商户已支付的微信支付订单号")
    return order


def _new_fapiao(entry, buyer_info, order):
    return {**entry, "status": "ISSUE_ACCEPTED", "buyer_information": buyer_info, "blue_fapiao": None,
            "red_fapiao": None, "card_status": None, "openid": order.get("openid"), "appid": order.get("appid"),
            "accepted_at": time.time(), "reverse_reason": None}


def apply(body):
    """Accept invoices for issuing. Returns the newly accepted ones (a repeat of the same request: none)."""
    apply_id = pay_store.text_field(body, "fapiao_apply_id", 32)
    order = _payment(apply_id, body.get("scene"))
    buyer_info, entries = buyer(body), fapiao_list(body)
    with lock(apply_id):
        application = load(apply_id) or {"fapiao_apply_id": apply_id, "fapiao": [], "total": order["total"]}
        fresh = []
        for entry in entries:
            existing = find(application, entry["fapiao_id"])
            if existing is None:
                fresh.append(_new_fapiao(entry, buyer_info, order))
            elif existing["total_amount"] != entry["total_amount"] or existing["buyer_information"] != buyer_info:
                raise PayError(400, "INVALID_REQUEST", "商户发票单号重复：同一 fapiao_id 的开票参数与之前不一致")
        if len(application["fapiao"]) + len(fresh) > MAX_PER_APPLICATION:
            raise PayError(400, "INVALID_REQUEST",
                           f"同一发票申请单最多开具 {MAX_PER_APPLICATION} 张发票（含已冲红的）")
        if outstanding(application) + sum(f["total_amount"] for f in fresh) > order["total"]:
            raise PayError(400, "INVALID_REQUEST", "开票金额超过订单实付金额")
        if fresh:
            known = bool(application["fapiao"])
            application["fapiao"].extend(fresh)
            save(application)
            if not known:
                state.r().rpush(state.key("fapiao", "apps"), apply_id)
    return fresh


def _fapiao_number(at=None):
    return pay_store.rfc3339(at)[2:4] + "50" + pay_store.digits(16)  # 20 digits, as a 全电 invoice number


def issue(apply_id, fapiao_id, at=None):
    """ISSUE_ACCEPTED → ISSUED (in the buyer's card package); returns the invoice when it changed."""
    with lock(apply_id):
        application = require(apply_id)
        fapiao = find(application, fapiao_id)
        if fapiao is None or fapiao["status"] != "ISSUE_ACCEPTED":
            return None
        fapiao.update(status="ISSUED", card_status="INSERTED" if fapiao["openid"] else None,
                      blue_fapiao={"fapiao_code": "", "fapiao_number": _fapiao_number(at),
                                   "check_code": pay_store.digits(20), "password": "",
                                   "fapiao_time": pay_store.rfc3339(at)},
                      download_token=secrets.token_urlsafe(24))
        save(application)
    return fapiao


def reverse(apply_id, body):
    """Accept red-letter reversals; returns the invoices that changed."""
    reason = body.get("reverse_reason")
    if reason not in REVERSE_REASONS:
        raise _param("reverse_reason", "reverse_reason 只能是：" + "、".join(REVERSE_REASONS))
    entries = body.get("fapiao_information")
    entries = entries if isinstance(entries, list) else [entries] if isinstance(entries, dict) else None
    if not entries:
        raise _param("fapiao_information", "fapiao_information 必填")
    changed = []
    with lock(apply_id):
        application = require(apply_id)
        for entry in entries:
            fapiao = find(application, str(entry.get("fapiao_id")))
            if fapiao is None:
                raise PayError(404, "RESOURCE_NOT_EXISTS", "发票不存在")
            if fapiao["status"] in ("REVERSE_ACCEPTED", "REVERSED"):
                continue
            if fapiao["status"] != "ISSUED":
                raise PayError(400, "INVALID_REQUEST", "发票尚未开具成功，不能冲红")
            if entry.get("fapiao_number") != fapiao["blue_fapiao"]["fapiao_number"]:
                raise _param("fapiao_information.fapiao_number", "fapiao_number 与原发票不一致")
            fapiao.update(status="REVERSE_ACCEPTED", reverse_reason=reason)
            changed.append(fapiao)
        save(application)
    return changed


def finish_reverse(apply_id, fapiao_id, at=None):
    with lock(apply_id):
        application = require(apply_id)
        fapiao = find(application, fapiao_id)
        if fapiao is None or fapiao["status"] != "REVERSE_ACCEPTED":
            return None
        fapiao.update(status="REVERSED", red_fapiao={"fapiao_code": "", "fapiao_number": _fapiao_number(at),
                                                     "check_code": pay_store.digits(20), "password": "",
                                                     "fapiao_time": pay_store.rfc3339(at)})
        save(application)
    return fapiao


def view(fapiao):
    """One entry of the query answer."""
    total = fapiao["total_amount"]
    amount = round(total * 10000 / (10000 + TAX_RATE))
    out = {"fapiao_id": fapiao["fapiao_id"], "status": fapiao["status"], "total_amount": total,
           "amount": amount, "tax_amount": total - amount, "buyer_information": {
               k: v for k, v in fapiao["buyer_information"].items() if k not in ("phone", "email")},
           "seller_information": seller(), "items": fapiao["items"], "remark": fapiao["remark"],
           "extra_information": {"payee": "", "reviewer": "", "drawer": "系统"}}
    for name in ("blue_fapiao", "red_fapiao"):
        if fapiao[name]:
            out[name] = fapiao[name]
    if fapiao["card_status"]:
        out["card_information"] = {"card_appid": fapiao["appid"], "card_openid": fapiao["openid"],
                                   "card_status": fapiao["card_status"]}
    return out
