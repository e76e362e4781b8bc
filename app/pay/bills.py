"""WeChat Pay's trade bill (交易账单) of one day: applied for, downloaded, checked and read.

`trade_bill(day)` asks for the day's ALL bill (gzip), downloads it through the SDK's download_bill, checks
the SHA-1 WeChat gave against the unzipped file, and returns a `Bill`. Both calls are recorded as
PaymentTransaction rows (kinds "bill" and "bill_download"). A day without transactions has no bill at
WeChat (NO_STATEMENT_EXIST): an empty Bill. A bill not made yet (STATEMENT_CREATING) is `NotReady`.
"""
import dataclasses
import datetime
import gzip
import hashlib
import logging
from decimal import Decimal, InvalidOperation

import requests

from app.pay import gateway

log = logging.getLogger(__name__)


class NotReady(Exception):
    """WeChat has not produced this day's bill yet (it does after 09:00 China time the next day)."""


class BadBill(Exception):
    """The downloaded file does not match its hash or cannot be read."""


@dataclasses.dataclass
class Bill:
    day: datetime.date
    payments: dict  # out_trade_no -> {"transaction_id", "total_fen", "time", "appid"}
    refunds: dict  # out_refund_no -> {"out_trade_no", "refund_id", "refund_fen", "time"}
    summary: dict  # the summary line, by its header names
    exists: bool = True  # False: WeChat has no bill for the day (no transaction)


def fen(text):
    """"12.34" (yuan, as in bills) → 1234 fen; BadBill when unreadable."""
    try:
        value = Decimal(text) * 100
    except InvalidOperation:
        raise BadBill(f"amount {text!r} unreadable") from None
    if value != value.to_integral_value():
        raise BadBill(f"amount {text!r} has more than two decimals")
    return int(value)


def _fields(line):
    line = line.strip()
    if not line.startswith("`"):
        return [f.strip() for f in line.split(",")]
    return [f.strip() for f in line[1:].split(",`")]


def parse(text, day):
    """A bill file's text → Bill (payments: 交易状态 SUCCESS rows; refunds: REFUND rows with 退款状态 SUCCESS)."""
    lines = [x for x in text.replace("\r\n", "\n").split("\n") if x.strip()]
    if not lines:
        raise BadBill("empty file")
    header = _fields(lines[0])
    payments, refunds, summary = {}, {}, {}
    body = lines[1:]
    for index, line in enumerate(body):
        fields = _fields(line)
        if fields[0].startswith("总交易单数"):
            if index + 1 < len(body):
                summary = dict(zip(fields, _fields(body[index + 1]), strict=False))
            break
        row = dict(zip(header, fields, strict=False))
        state = row.get("交易状态")
        if state == "SUCCESS":
            payments[row["商户订单号"]] = {"transaction_id": row.get("微信订单号", ""),
                                          "appid": row.get("公众账号ID", ""),
                                          "total_fen": fen(row.get("应结订单金额") or "0"), "time": row.get("交易时间")}
        elif state == "REFUND" and row.get("退款状态") == "SUCCESS":
            refunds[row["商户退款单号"]] = {"out_trade_no": row.get("商户订单号"),
                                          "refund_id": row.get("微信退款单号", ""),
                                          "refund_fen": fen(row.get("退款金额") or "0"), "time": row.get("交易时间")}
    return Bill(day, payments, refunds, summary)


def _download(url):
    try:
        status, content = gateway.client().download_bill(url)
    except requests.RequestException as exc:
        gateway.record("bill_download", "out", None, None, None, "network_error", error=type(exc).__name__)
        raise gateway.Unavailable("bill_download", type(exc).__name__) from None
    gateway.record("bill_download", "out", None, status, None, "ok" if status == 200 else f"http_{status}",
                   size=len(content or b""))
    if status != 200:
        raise gateway.Unavailable("bill_download", f"http_{status}")
    return content if isinstance(content, bytes) else content.encode("utf-8")


def trade_bill(day):
    """The day's ALL bill from WeChat Pay (a date in China time)."""
    status, body = gateway.call("bill", None, gateway.client().trade_bill, {"bill_date": day.isoformat()},
                                bill_date=day.isoformat(), bill_type="ALL", tar_type="GZIP")
    if status == 400 and body.get("code") == "NO_STATEMENT_EXIST":
        return Bill(day, {}, {}, {}, exists=False)
    if status == 400 and body.get("code") == "STATEMENT_CREATING":
        raise NotReady(day.isoformat())
    if status != 200:
        raise gateway.refused("bill", status, body)
    data = _download(body["download_url"])
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            raise BadBill("gzip unreadable") from None
    if (body.get("hash_type") or "SHA1").upper() != "SHA1" or hashlib.sha1(data).hexdigest() != body.get("hash_value"):
        raise BadBill("hash mismatch")
    try:
        return parse(data.decode("utf-8"), day)
    except UnicodeDecodeError:
        raise BadBill("not UTF-8") from None
