"""Migration 0014 carries the invoice data orders held before it into titles and invoices (both engines)."""
import importlib

from app.db import db, utcnow
from app.invoices.models import Invoice, InvoiceEvent, InvoiceTitle
from app.pay import orders
from app.pay.models import Order
from app.pay.schemas import InvoiceIn
from tests.test_invoices import UNIT_TAX_NO
from tests.test_pay_gateway import buyer_fixture, make_user, project_fixture  # noqa: F401  (fixtures)


def test_orders_invoice_fields_become_titles_and_pending_invoices(app, project, buyer):
    title = InvoiceIn(choice="now", title_type="unit", title="重庆市示例科技有限公司", tax_no=UNIT_TAX_NO)
    paid = orders.create_individual_order(buyer, project.id, title)
    Order.update(status="paid", paid_at=utcnow(), transaction_id="4200000000202611290000000001").where(
        Order.id == paid.id).execute()
    other = make_user(2, name="李四")
    unpaid = orders.create_individual_order(other, project.id, InvoiceIn(choice="now", title_type="personal",
                                                                         title="李四"))
    db.drop_tables([InvoiceEvent, Invoice, InvoiceTitle])  # the database as it was before 0014
    importlib.import_module("app.migrations.0014_invoices").up(None, db)
    titles = sorted((t.user_id, t.title_type, t.name, t.tax_no) for t in InvoiceTitle.select())
    assert titles == [(buyer.id, "unit", "重庆市示例科技有限公司", UNIT_TAX_NO), (other.id, "personal", "李四", "")]
    [invoice] = Invoice.select()
    assert (invoice.order_id, invoice.status, invoice.fapiao_id, invoice.fapiao_apply_id, invoice.amount_fen) == (
        paid.id, "pending", f"{paid.order_no}F1", "4200000000202611290000000001", paid.amount_fen)
    assert Invoice.select().where(Invoice.order == unpaid.id).count() == 0  # unpaid: applied for once paid
