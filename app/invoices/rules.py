"""The invoice rules as plain functions: titles, the calendar year of payment, one change within 15 days.

Dates are China dates (UTC+8): an order paid at 23:59 on 31 December (China time) belongs to that year.
An issued invoice may be changed once, until the end of the 15th day counting the issue date as day 1,
and never into another calendar year. Each rule returns a refusal in Chinese, or None.

The five-invoice limit of a WeChat Pay application (WITH_WECHATPAY: one application per payment,
at most five invoices over its life, reversed ones included) is kept by budgeting: the first invoice
uses one, the one change another, and re-issues after partial refunds may use the rest; once only one
slot is left a title change is refused, and a partial refund that would need a sixth waits for staff
(the invoice is reversed, the remainder is issued by hand). See `slots_left`.
"""
import datetime

from app.accounts import rules as account_rules
from app.db import china_date  # noqa: F401  (rules.china_date: the one China-date helper, app/db.py)

CHANGE_DAYS = 15
MAX_PER_APPLICATION = 5
TAXPAYER_CHARS = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def clean_taxpayer_id(raw):
    """A buyer's taxpayer number: 15, 17, 18 or 20 letters and digits; an 18-character one is a unified
    social credit code whose GB 32100 check character must be right."""
    value = str(raw or "").strip().upper().replace(" ", "")
    if len(value) == 18:
        return account_rules.clean_tax_no(value)
    if not value:
        raise ValueError("请填写纳税人识别号")
    if len(value) not in (15, 17, 20) or any(c not in TAXPAYER_CHARS for c in value):
        raise ValueError("纳税人识别号应为 15、17、18 或 20 位数字和大写字母")
    return value


def apply_refusal(order, now):
    """Why an invoice cannot be applied for on this order now (None: it can)."""
    if order.status not in ("paid", "partially_refunded") or order.paid_at is None:
        return "订单未支付或已全额退款，不能申请发票"
    if china_date(order.paid_at).year != china_date(now).year:
        return f"发票须在付款当年申请：该订单于 {china_date(order.paid_at).year} 年付款，已不能申请"
    return None


def last_change_day(invoice):
    """The last China date on which this issued invoice may be changed (day 15, or 31 December)."""
    issued = china_date(invoice.issued_at)
    return min(issued + datetime.timedelta(days=CHANGE_DAYS - 1), datetime.date(issued.year, 12, 31))


def change_refusal(invoice, changes_used, slots_left, now):
    """Why this invoice's title cannot be changed now (None: it can)."""
    if invoice.status != "issued" or invoice.issued_at is None:
        return "只有已开具的发票可以修改抬头"
    if changes_used >= 1:
        return "每张发票只能修改一次抬头，本订单的发票已修改过"
    today, issued = china_date(now), china_date(invoice.issued_at)
    if today.year != issued.year:
        return f"发票不能跨年修改：该发票开具于 {issued.year} 年"
    if today > last_change_day(invoice):
        return f"发票开具 15 天内可修改一次（开具日 {issued:%Y-%m-%d} 为第 1 天），已超过期限"
    if slots_left < 2:
        return "该订单的发票数量已达微信支付上限，请联系客服修改"
    return None


def slots_left(invoices_in_application):
    return MAX_PER_APPLICATION - invoices_in_application
