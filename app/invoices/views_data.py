"""What pages and the API show of an order's invoices."""
from app.db import utcnow
from app.invoices import rules, service
from app.invoices.models import Invoice
from app.learning.models import Project
from app.pay.models import Order

STATUS_TEXT = {"pending": "申请中", "applying": "申请中", "held": "等待冲红后开具", "issued": "已开具",
               "failed": "开具失败，自动重试中", "confirm_reversal": "待单位确认冲红", "reversing": "冲红中",
               "reversed": "已冲红"}
STATE = {"pending": "applying", "applying": "applying", "held": "applying", "issued": "issued", "failed": "failed",
         "confirm_reversal": "confirm_reversal", "reversing": "applying", "reversed": "reversed"}
STATE_TEXT = {"not_applied": "未申请", "applying": "申请中", "issued": "已开具", "reversed": "已冲红",
              "failed": "开具失败，重试中", "confirm_reversal": "待确认冲红"}


def invoice_view(invoice):
    issued = rules.china_date(invoice.issued_at).isoformat() if invoice.issued_at else None
    return {"fapiao_id": invoice.fapiao_id, "version": invoice.version, "reason": invoice.reason,
            "status": invoice.status, "status_text": STATUS_TEXT[invoice.status], "title_type": invoice.title_type,
            "name": invoice.name, "tax_no": invoice.tax_no or None, "amount_fen": invoice.amount_fen,
            "fapiao_number": invoice.fapiao_number or None, "issued_on": issued,
            "pdf_url": f"/api/v1/invoices/{invoice.fapiao_id}/pdf" if invoice.pdf_key else None,
            "last_error": invoice.last_error or None, "booked": invoice.booked_at is not None,
            "in_card_package": invoice.card_status == "INSERTED"}


def _state(invoices):
    live = [i for i in invoices if i.status != "held"]
    if not live:
        return "not_applied"
    return STATE[live[-1].status]


def order_view(order, now=None, invoices=None):
    """One order's invoice card; `invoices` (by version) when the caller fetched them with other orders'."""
    now = now or utcnow()
    invoices = service.invoices_of(order) if invoices is None else invoices
    apply_refusal = rules.apply_refusal(order, now) if not invoices else "已申请发票"
    latest = invoices[-1] if invoices else None
    change_refusal = "该订单还没有已开具的发票"
    if latest is not None:
        used = sum(1 for i in invoices if i.reason == "change")
        change_refusal = rules.change_refusal(latest, used, rules.slots_left(len(invoices)), now)
    state = _state(invoices)
    return {"order_no": order.order_no, "kind": order.kind, "project": order.project.name,
            "amount_fen": order.amount_fen,
            "paid_on": rules.china_date(order.paid_at).isoformat() if order.paid_at else None,
            "state": state, "state_text": STATE_TEXT[state], "can_apply": apply_refusal is None,
            "apply_refusal": apply_refusal, "can_change": change_refusal is None, "change_refusal": change_refusal,
            "wechat_title": apply_refusal is None and bool(order.payer_openid and order.transaction_id),
            "invoices": [invoice_view(i) for i in invoices]}


def invoices_by_order(order_ids):
    """{order id: its invoices by version} for many orders in one query (orders without any are absent)."""
    found = {}
    ids = list(order_ids)
    if ids:
        for invoice in Invoice.select().where(Invoice.order.in_(ids)).order_by(Invoice.order, Invoice.version):
            found.setdefault(invoice.order_id, []).append(invoice)
    return found


def my_orders(user):
    """我的发票: the buyer's paid orders with their project and invoices (two queries however many)."""
    orders = list(Order.select(Order, Project.id, Project.name).join(Project)
                  .where(Order.buyer == user.id, Order.paid_at.is_null(False)).order_by(Order.id.desc()))
    invoices = invoices_by_order(o.id for o in orders)
    now = utcnow()
    return [order_view(o, now, invoices.get(o.id, [])) for o in orders]


def find_invoice(fapiao_id):
    return Invoice.get_or_none(Invoice.fapiao_id == fapiao_id)


def state_texts(order_nos):
    """{order_no: what 我的发票 says of its invoice} for lists such as 团购订单."""
    orders = list(Order.select(Order.id, Order.order_no).where(Order.order_no.in_(list(order_nos))))
    invoices = invoices_by_order(o.id for o in orders)
    return {o.order_no: STATE_TEXT[_state(invoices.get(o.id, []))] for o in orders}
