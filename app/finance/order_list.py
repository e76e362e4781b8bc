"""The staff order list: filters read from the query string, the query, and its xlsx export.

Filters: state, paid/created date range (China dates), project, amount range (yuan), order number.
Orders carry no unit yet, so there is no unit filter. Amounts are integer fen; times are shown in
China time. The export masks nothing it does not hold: it lists buyers by name only.
"""
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from openpyxl import Workbook

from app.accounts.models import User
from app.finance.reconcile import day_bounds
from app.learning.models import Project
from app.money import yuan
from app.pay.models import Order
from app.staff.tables import local_time

STATES = {"pending": "待支付", "paid": "已支付", "partially_refunded": "部分退款", "refunded": "已全额退款",
          "closed": "已关闭"}
KINDS = {"individual": "个人", "group": "集体"}
REFUND_STATES = {"processing": "退款中", "abnormal": "退款异常", "success": "退款成功", "failed": "退款失败"}
CHANNELS = {"jsapi": "公众号支付", "mini": "小程序支付", "native": "扫码支付"}
SORTS = {"created": Order.created_at, "paid": Order.paid_at, "amount": Order.amount_fen, "no": Order.order_no,
         "state": Order.status}
EXPORT_LIMIT = 50000


@dataclass
class Filters:
    values: dict = field(default_factory=dict)  # what the form shows again
    errors: dict = field(default_factory=dict)  # field → message (the filter is then ignored)
    where: list = field(default_factory=list)


def _date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _fen(text):
    try:
        value = Decimal(text) * 100
    except InvalidOperation:
        return None
    return int(value) if value == value.to_integral_value() and value >= 0 else None


def read_filters(args):
    """Filters from request args; a bad value gets an inline error (in Chinese) and is ignored."""
    f = Filters()
    for name in ("state", "kind", "project", "since", "until", "min", "max", "q"):
        f.values[name] = (args.get(name) or "").strip()[:40]
    v = f.values
    if v["state"]:
        if v["state"] in STATES:
            f.where.append(Order.status == v["state"])
        else:
            f.errors["state"] = "没有这个订单状态"
    if v["kind"] in KINDS:
        f.where.append(Order.kind == v["kind"])
    if v["project"]:
        if v["project"].isdigit():
            f.where.append(Order.project == int(v["project"]))
        else:
            f.errors["project"] = "请选择项目"
    for name, op in (("since", "ge"), ("until", "lt")):
        if v[name]:
            day = _date(v[name])
            if day is None:
                f.errors[name] = "日期格式应为 年-月-日"
                continue
            start, end = day_bounds(day)
            f.where.append(Order.created_at >= start if op == "ge" else Order.created_at < end)
    for name, op in (("min", "ge"), ("max", "le")):
        if v[name]:
            fen = _fen(v[name])
            if fen is None:
                f.errors[name] = "金额应为不小于 0 的数字，最多两位小数"
                continue
            f.where.append(Order.amount_fen >= fen if op == "ge" else Order.amount_fen <= fen)
    if v["q"]:
        f.where.append(Order.order_no.contains(v["q"]))
    return f


def query(filters):
    q = Order.select(Order, Project, User).join(Project).switch(Order).join(User)
    for condition in filters.where:
        q = q.where(condition)
    return q


def project_options():
    return [("", "全部项目")] + [(str(p.id), p.name) for p in Project.select().order_by(Project.year.desc())]


def row(order):
    """One order as the list and the export show it."""
    return {"order_no": order.order_no, "kind": KINDS.get(order.kind, order.kind), "project": order.project.name,
            "buyer": order.buyer.name, "seats": order.seat_count, "amount": yuan(order.amount_fen),
            "refunded": yuan(order.refunded_fen), "state": STATES.get(order.status, order.status),
            "created": local_time(order.created_at), "paid": local_time(order.paid_at),
            "transaction_id": order.transaction_id}


EXPORT_COLUMNS = (("order_no", "订单号"), ("kind", "类型"), ("project", "项目"), ("buyer", "购买人"), ("seats", "名额"),
                  ("amount", "金额（元）"), ("refunded", "已退（元）"), ("state", "状态"), ("created", "下单时间"),
                  ("paid", "支付时间"), ("transaction_id", "微信支付单号"))


def export_xlsx(filters):
    """The filtered orders (newest first, at most EXPORT_LIMIT) as xlsx bytes; amounts are numbers in yuan."""
    book = Workbook()
    sheet = book.active
    sheet.title = "订单"
    sheet.append([title for _, title in EXPORT_COLUMNS])
    for order in query(filters).order_by(Order.created_at.desc(), Order.id.desc()).limit(EXPORT_LIMIT):
        values = row(order)
        values["amount"], values["refunded"] = order.amount_fen / 100, order.refunded_fen / 100
        sheet.append([values[key] for key, _ in EXPORT_COLUMNS])
    for column, width in zip("ABCDEFGHIJK", (22, 6, 28, 10, 6, 10, 10, 10, 17, 17, 30), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
