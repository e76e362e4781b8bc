"""WeChat Pay sandbox: the trade bill (交易账单), applied for and downloaded as WeChat Pay serves it.

    GET /v3/bill/tradebill?bill_date=YYYY-MM-DD&bill_type=ALL|SUCCESS|REFUND&tar_type=GZIP
        → {download_url, hash_type: "SHA1", hash_value}; hash_value is the SHA-1 of the plain (unzipped) file
    GET /v3/billdownload/file?token=…   the file: gzip with tar_type=GZIP, else plain text; valid 30 s;
        not signed (the SDK's download_bill skips verification), the request itself must be signed

A day's bill (China time) exists from 09:00 the next day (before: 400 STATEMENT_CREATING); a day without
a transaction has none (400 NO_STATEMENT_EXIST). WECHAT_SANDBOX_BILL_SAME_DAY=1 lets tests fetch today's.
The file is WeChat's CSV: a header line, one line per payment (交易状态 SUCCESS) and per successful
refund (REFUND), every field prefixed with a backtick, then the summary header and summary line. Amounts
are in yuan with two decimals; the fee is 0.6 %. A planted difference (control endpoint bill-amount)
makes the bill report another amount for one payment, as a faulty or tampered bill would.
"""
import gzip
import hashlib
import re
import secrets
from datetime import date, datetime, timedelta

from flask import current_app

from app.money import yuan
from app.wechat.sandbox import pay_refunds, pay_store, state
from app.wechat.sandbox.pay_crypto import PayError

BILL_TYPES = ("ALL", "SUCCESS", "REFUND")
READY_HOUR = 9  # China time, the day after
LINK_TTL = 30  # seconds a download_url stays valid
MAX_AGE_DAYS = 90
FEE_RATE = 0.006
HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
          "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
          "手续费,费率,订单金额,申请退款金额,费率备注")
SUMMARY_HEADER = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _param(field, message):
    return PayError(400, "PARAM_ERROR", message, {"location": "query", "field": field})


def _bill_date(text, now=None):
    if not isinstance(text, str) or not DATE.fullmatch(text):
        raise _param("bill_date", "bill_date 格式应为 YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _param("bill_date", "bill_date 不是有效日期") from None
    now = now or datetime.now(pay_store.CST)
    if day > now.date():
        raise _param("bill_date", "bill_date 不能晚于今天")
    if day < now.date() - timedelta(days=MAX_AGE_DAYS):
        raise PayError(400, "INVALID_REQUEST", f"只能下载 {MAX_AGE_DAYS} 天以内的账单")
    same_day = str(current_app.config.get("WECHAT_SANDBOX_BILL_SAME_DAY", "")).lower() in ("1", "true", "yes")
    ready = datetime.combine(day + timedelta(days=1), datetime.min.time(), pay_store.CST) + timedelta(hours=READY_HOUR)
    if now < ready and not (same_day and day == now.date()):
        raise PayError(400, "STATEMENT_CREATING", "账单生成中，请于次日 9 点后再获取")
    return day


def _on(moment, day):
    return bool(moment) and datetime.fromisoformat(moment).astimezone(pay_store.CST).date() == day


def _when(moment):
    return datetime.fromisoformat(moment).astimezone(pay_store.CST).strftime("%Y-%m-%d %H:%M:%S")


def _fee(fen):
    return f"{fen * FEE_RATE / 100:.5f}"


def planted_total(out_trade_no):
    value = state.get(("pay", "bill_amount", out_trade_no))
    return None if value is None else int(value)


def plant_amount(out_trade_no, total):
    """Control: the bill reports `total` fen for this payment (None: the true amount again)."""
    pay_store.require_order(out_trade_no)
    if total is None:
        state.r().delete(state.key("pay", "bill_amount", out_trade_no))
    else:
        state.put(("pay", "bill_amount", out_trade_no), int(total))


def _line(fields):
    return ",".join("`" + str(f) for f in fields)


def _payment_line(order):
    total = planted_total(order["out_trade_no"])
    total = order["total"] if total is None else total
    amount = yuan(total)
    return total, _line([_when(order["success_time"]), order["appid"], order["mchid"], "0", "",
                         order["transaction_id"], order["out_trade_no"], order["openid"], order["trade_type"],
                         "SUCCESS", order["bank_type"], "CNY", amount, "0.00", "0", "0", "0.00", "0.00", "", "",
                         order.get("description", ""), order.get("attach", ""), _fee(total), "0.60%", amount, "0.00",
                         ""])


def _refund_line(refund, order):
    fen = refund["amount"]["refund"]
    amount = yuan(fen)
    return fen, _line([_when(refund["success_time"]), order["appid"], order["mchid"], "0", "",
                       refund["transaction_id"], refund["out_trade_no"], order["openid"], order["trade_type"],
                       "REFUND", order["bank_type"], "CNY", "0.00", "0.00", refund["refund_id"],
                       refund["out_refund_no"], amount, "0.00", "ORIGINAL", "SUCCESS", order.get("description", ""),
                       order.get("attach", ""), "-" + _fee(fen), "0.60%", "0.00", amount, ""])


def bill_text(day, bill_type="ALL"):
    """The day's bill as WeChat writes it, or None when the day had no transaction of that type."""
    paid, refunded, lines = 0, 0, []
    if bill_type in ("ALL", "SUCCESS"):
        for order in sorted(pay_store.all_orders(), key=lambda o: o.get("success_time") or ""):
            if order.get("transaction_id") and _on(order.get("success_time"), day):
                fen, line = _payment_line(order)
                paid += fen
                lines.append(line)
    if bill_type in ("ALL", "REFUND"):
        for refund in pay_refunds.all_refunds():
            if refund["status"] == "SUCCESS" and _on(refund.get("success_time"), day):
                fen, line = _refund_line(refund, pay_store.load_order(refund["out_trade_no"]) or {})
                refunded += fen
                lines.append(line)
    if not lines:
        return None
    fee = (paid - refunded) * FEE_RATE / 100
    summary = _line([len(lines), yuan(paid), yuan(refunded), "0.00", f"{fee:.5f}",
                     yuan(paid), yuan(refunded)])
    return "\r\n".join([HEADER, *lines, SUMMARY_HEADER, summary]) + "\r\n"


def apply(args, base_url, now=None):
    """The tradebill answer: a one-time download link and the plain file's SHA-1."""
    day = _bill_date(args.get("bill_date"), now)
    bill_type = args.get("bill_type") or "ALL"
    if bill_type not in BILL_TYPES:
        raise _param("bill_type", "bill_type 只能是 ALL、SUCCESS 或 REFUND")
    tar_type = args.get("tar_type") or None
    if tar_type not in (None, "GZIP"):
        raise _param("tar_type", "tar_type 只能是 GZIP")
    text = bill_text(day, bill_type)
    if text is None:
        raise PayError(400, "NO_STATEMENT_EXIST", "账单文件不存在：该日期没有成功的交易")
    token = secrets.token_urlsafe(24)
    state.put(("pay", "bill", token), {"text": text, "gzip": tar_type == "GZIP"}, ttl=LINK_TTL)
    return {"download_url": base_url.rstrip("/") + f"/v3/billdownload/file?token={token}", "hash_type": "SHA1",
            "hash_value": hashlib.sha1(text.encode("utf-8")).hexdigest()}


def download(token):
    """(bytes, content type) of a download link, or 400 when unknown or expired."""
    bill = state.get(("pay", "bill", token or ""))
    if bill is None:
        raise PayError(400, "INVALID_REQUEST", "下载链接已失效（30 秒内有效），请重新申请账单")
    data = bill["text"].encode("utf-8")
    if bill["gzip"]:
        return gzip.compress(data, mtime=0), "application/octet-stream"
    return data, "text/plain; charset=utf-8"
