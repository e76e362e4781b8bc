"""An invoice issued by WeChat whose PDF the platform could not fetch at first is fetched by the sweep, and its
message goes out once (both engines, the real SDK against the sandbox)."""
import datetime

from app import storage
from app.db import utcnow
from app.invoices import service
from app.invoices.models import Invoice
from app.jobs import durable
from app.pay import refunds
from app.pay.models import Order
from app.wechat.models import WechatMessage
from tests.refund_helpers import buy, manual_refunds_fixture  # noqa: F401  (fixture)
from tests.test_invoices import PERSONAL, complete, manual_fapiao  # noqa: F401  (fixture)
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    buyer_fixture,
    fast_sandbox_fixture,
    project_fixture,
    staff_fixture,
)


def test_an_issued_invoice_without_its_pdf_is_fetched_by_the_sweep(app, drain, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    service.apply(order, PERSONAL)
    drain()
    complete(sandbox_api, order)
    invoice = service.current(order)
    # What a failed first download leaves: issued at WeChat and here, no PDF kept.
    Invoice.update(status="issued", updated_at=utcnow() - datetime.timedelta(minutes=service.STUCK_MINUTES + 1)
                   ).where(Invoice.id == invoice.id).execute()
    assert Invoice.get_by_id(invoice.id).pdf_key == ""
    assert service.sweep() == 1
    drain()
    kept = Invoice.get_by_id(invoice.id)
    assert kept.status == "issued" and kept.pdf_key == f"invoices/{kept.fapiao_id}.pdf"
    assert storage.storage().get(kept.pdf_key).startswith(b"%PDF")
    assert service.refresh(kept) == "issued"  # a later callback: nothing fetched or sent again
    drain()
    assert WechatMessage.select().where(WechatMessage.event_key == f"invoice-issued:{invoice.id}").count() == 1
    assert service.sweep() == 0 or Invoice.get_by_id(invoice.id).pdf_key == kept.pdf_key


def test_a_refund_records_the_invoice_reversal_so_a_lost_queue_cannot_skip_it(app, drain, sandbox_api,
                                                                              manual_refunds, project, buyer, staff):
    order = buy(sandbox_api, buyer, project)
    service.apply(order, PERSONAL)
    drain()
    complete(sandbox_api, order)
    assert service.refresh(service.current(order)) == "issued"
    made = refunds.refund_seats(Order.get_by_id(order.id), None, "退课", staff, override=True)
    sandbox_api.post(f"/pay/refunds/{made.out_refund_no}/complete", {"notify": "lost"})
    assert refunds.settle_refund(made.out_refund_no) == "refunded"
    row = durable.DurableJob.get(durable.DurableJob.key == f"invoice-refund-{made.out_refund_no}")
    assert row.status == "pending"
    app.extensions["queue"].empty()  # the queued job is lost (a Redis failover)
    later = utcnow() + datetime.timedelta(seconds=app.config["DURABLE_JOB_GRACE_SECONDS"] + 1)
    assert durable.sweep(now=later) == 1
    drain()
    assert service.current(Order.get_by_id(order.id)).status == "reversing"
    assert durable.DurableJob.get_by_id(row.id).status == "done"
