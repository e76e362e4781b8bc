"""The invoice desk's rules for the console: filters, rows, staff reversal, the month's xlsx for finance."""
import datetime
import io

from openpyxl import Workbook

from app.invoices import rules, service
from app.invoices.models import Invoice
from app.invoices.views_data import STATUS_TEXT
from app.learning.models import Project
from app.money import yuan
from app.pay.models import Order
from app.staff.tables import local_time

SORTS = {"created": Invoice.created_at, "issued": Invoice.issued_at, "amount": Invoice.amount_fen,
         "state": Invoice.status}
COLUMNS = [("fapiao", "发票单号", False), ("order", "订单号", False), ("title", "抬头", False),
           ("amount", "金额（元）", True), ("state", "状态", True), ("number", "发票号码", False),
           ("issued", "开票时间", True), ("error", "失败原因", False)]
EXPORT_HEAD = ["发票号码", "开票日期", "订单号", "抬头类型", "购买方名称", "纳税人识别号", "项目", "金额（元）",
               "税率", "不含税金额（元）", "税额（元）", "状态", "红字发票号码"]
TAX_RATE = 600  # 万分之一, as issued


def read_filters(args):
    """(values, errors, where) from the query string; a bad month gets an inline error and is ignored."""
    values = {k: (args.get(k) or "").strip()[:40] for k in ("state", "q")}
    errors, where = {}, []
    if values["state"]:
        if values["state"] in STATUS_TEXT:
            where.append(Invoice.status == values["state"])
        else:
            errors["state"] = "没有这个状态"
    if values["q"]:
        where.append(Invoice.fapiao_id.contains(values["q"]) | Invoice.fapiao_number.contains(values["q"]))
    return values, errors, where


def query(where):
    """The desk's invoices with their order number (one query, joined: `row` reads `invoice.order`)."""
    q = Invoice.select(Invoice, Order.id, Order.order_no).join(Order)
    for clause in where:
        q = q.where(clause)
    return q


def row(invoice):
    return {"fapiao_id": invoice.fapiao_id, "order_no": invoice.order.order_no,
            "title": invoice.name + (f"（{invoice.tax_no}）" if invoice.tax_no else ""),
            "amount": yuan(invoice.amount_fen), "state": STATUS_TEXT[invoice.status], "status": invoice.status,
            "number": invoice.fapiao_number, "issued": local_time(invoice.issued_at),
            "error": invoice.last_error}


def month_bounds(text):
    """The UTC bounds of a China calendar month "YYYY-MM" (None when malformed)."""
    try:
        first = datetime.datetime.strptime(text, "%Y-%m")
    except ValueError:
        return None
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    shift = datetime.timedelta(hours=8)
    return first - shift, following - shift


def export_month(month):
    """Issued (and later reversed) invoices of a China month as xlsx bytes: one line per blue invoice."""
    start, end = month_bounds(month)
    book = Workbook()
    sheet = book.active
    sheet.title = f"发票{month}"
    sheet.append(EXPORT_HEAD)
    rows = (Invoice.select(Invoice, Order.id, Order.order_no, Project.id, Project.name).join(Order).join(Project)
            .where(Invoice.issued_at >= start, Invoice.issued_at < end).order_by(Invoice.issued_at, Invoice.id))
    for invoice in rows:  # one query for the month, however many invoices
        order = invoice.order
        amount = round(invoice.amount_fen * 10000 / (10000 + TAX_RATE))
        sheet.append([invoice.fapiao_number, rules.china_date(invoice.issued_at).isoformat(), order.order_no,
                      "单位" if invoice.title_type == "unit" else "个人", invoice.name, invoice.tax_no,
                      order.project.name, yuan(invoice.amount_fen), "6%", yuan(amount),
                      yuan(invoice.amount_fen - amount), STATUS_TEXT[invoice.status], invoice.red_number])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def staff_reverse(invoice):
    """Finance reverses an issued invoice on request (the buyer asked; 开票有误)."""
    if invoice.status != "issued":
        raise service.InvoiceError("只有已开具的发票可以冲红")
    return service.start_reversal(invoice, service.CHANGE_REASON, "staff")
