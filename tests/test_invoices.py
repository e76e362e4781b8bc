"""E-invoices through the real wechatpayv3 SDK against the sandbox's fapiao API (both engines, real Redis):
issuing, the PDF, the year rule, one change within 15 days, refunds, idempotency, bad taxpayer numbers."""
import datetime
import io
import json

import pytest
from pypdf import PdfReader

from app import storage
from app.invoices import gateway, service
from app.invoices.models import Invoice, InvoiceEvent
from app.pay import orders
from app.pay.models import Order
from app.pay.schemas import InvoiceIn
from tests.refund_helpers import buy, manual_refunds_fixture, pay, refund  # noqa: F401  (fixture)
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    buyer_fixture,
    fast_sandbox_fixture,
    make_user,
    project_fixture,
    staff_fixture,
)

UNIT_TAX_NO = "91500103MA5U8XK27G"  # a unified social credit code with a right check character
PERSONAL = {"title_type": "personal", "name": "王小明"}


@pytest.fixture(autouse=True)
def manual_fapiao(sandbox, monkeypatch):
    """The sandbox issues and reverses only when a test says so."""
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_FAPIAO_DELAY", -1)


def sandbox_application(sandbox_api, order):
    apps = sandbox_api.get("/fapiao/applications")["applications"]
    return next((a for a in apps if a["fapiao_apply_id"] == order.transaction_id), None)


def complete(sandbox_api, order):
    return sandbox_api.post("/fapiao/complete", {"fapiao_apply_id": order.transaction_id, "notify": "lost"})


def issued(drain, sandbox_api, order):
    """Drain the issue job, let WeChat issue, recover by query (the callback is lost): the issued row."""
    drain()
    complete(sandbox_api, order)
    invoice = service.current(Order.get_by_id(order.id))
    assert service.refresh(invoice) == "issued"
    return Invoice.get_by_id(invoice.id)


def at_china(year, month, day, hour=12, minute=0):
    """A naive UTC time for this China wall-clock time."""
    return datetime.datetime(year, month, day, hour, minute) - datetime.timedelta(hours=8)


def test_apply_now_issues_once_paid_and_keeps_the_pdf(app, drain, sandbox_api, project, buyer):
    order = orders.create_individual_order(buyer, project.id,
                                           InvoiceIn(choice="now", title_type="personal", title="王小明"))
    assert Invoice.select().count() == 0
    order = pay(sandbox_api, order)
    drain()  # after-paid job: the invoice is applied for
    [invoice] = service.invoices_of(order)
    assert (invoice.status, invoice.fapiao_apply_id, invoice.amount_fen) == ("applying", order.transaction_id,
                                                                            order.amount_fen)
    [remote] = sandbox_application(sandbox_api, order)["fapiao"]
    assert (remote["status"], remote["buyer_information"]["name"]) == ("ISSUE_ACCEPTED", "王小明")
    complete(sandbox_api, order)
    assert service.refresh(invoice) == "issued"
    invoice = Invoice.get_by_id(invoice.id)
    assert len(invoice.fapiao_number) == 20 and invoice.card_status == "INSERTED"
    text = PdfReader(io.BytesIO(storage.storage().get(invoice.pdf_key))).pages[0].extract_text()
    assert "王小明" in text and "培训费" in text and "玖拾玖圆整" in text and invoice.fapiao_number in text
    kinds = [e.kind for e in InvoiceEvent.select().order_by(InvoiceEvent.id)]
    assert kinds == ["config", "apply", "query", "files", "download"]


def test_double_clicks_and_retried_jobs_give_one_invoice(app, drain, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    drain()
    first = service.apply(order, PERSONAL)
    second = service.apply(order, {**PERSONAL, "name": "李四"})
    assert first.id == second.id and Invoice.select().count() == 1
    assert service.issue_job(first.id) == "applying"
    assert service.issue_job(first.id) == "not_pending"  # the queue ran it again
    drain()  # and the enqueued copy
    Invoice.update(status="failed").where(Invoice.id == first.id).execute()
    assert service.issue_job(first.id) == "applying"  # a retry after a lost answer sends the same fapiao_id
    assert len(sandbox_application(sandbox_api, order)["fapiao"]) == 1


def test_apply_later_only_in_the_year_of_payment(app, drain, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    drain()
    Order.update(paid_at=at_china(2026, 12, 31, 23, 59)).where(Order.id == order.id).execute()
    order = Order.get_by_id(order.id)
    with pytest.raises(service.InvoiceError) as refused:
        service.apply(order, PERSONAL, now=at_china(2027, 1, 1, 0, 0))
    assert refused.value.message == "发票须在付款当年申请：该订单于 2026 年付款，已不能申请"
    assert Invoice.select().count() == 0
    invoice = service.apply(order, PERSONAL, now=at_china(2026, 12, 31, 23, 59))
    assert (invoice.status, Invoice.select().count()) == ("pending", 1)


def _change(order, now, name="王小明单位"):
    return service.change_title(Order.get_by_id(order.id), {"title_type": "unit", "name": name,
                                                             "tax_no": UNIT_TAX_NO}, now=now)


def test_one_change_within_fifteen_days(app, drain, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    service.apply(order, PERSONAL)
    first = issued(drain, sandbox_api, order)
    Invoice.update(issued_at=at_china(2026, 3, 1, 9)).where(Invoice.id == first.id).execute()
    with pytest.raises(service.InvoiceError) as late:
        _change(order, now=at_china(2026, 3, 16, 0, 1))  # day 16
    assert "已超过期限" in late.value.message and Invoice.select().count() == 1
    new = _change(order, now=at_china(2026, 3, 15, 23, 59))  # day 15
    assert (new.version, new.status, Invoice.get_by_id(first.id).status) == (2, "held", "reversing")
    complete(sandbox_api, order)  # the reversal
    assert service.refresh(Invoice.get_by_id(first.id)) == "reversed"
    assert Invoice.get_by_id(new.id).status == "pending"
    drain()
    complete(sandbox_api, order)
    assert service.refresh(Invoice.get_by_id(new.id)) == "issued"
    second = Invoice.get_by_id(new.id)
    assert (second.name, second.tax_no) == ("王小明单位", UNIT_TAX_NO)
    with pytest.raises(service.InvoiceError) as again:
        _change(order, now=second.issued_at)
    assert again.value.message == "每张发票只能修改一次抬头，本订单的发票已修改过"
    assert Invoice.select().count() == 2


def test_no_change_across_a_year_boundary(app, drain, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    service.apply(order, PERSONAL)
    first = issued(drain, sandbox_api, order)
    Invoice.update(issued_at=at_china(2026, 12, 28)).where(Invoice.id == first.id).execute()
    with pytest.raises(service.InvoiceError) as refused:
        _change(order, now=at_china(2027, 1, 2))  # day 6, but another year
    assert refused.value.message == "发票不能跨年修改：该发票开具于 2026 年"
    assert Invoice.get_by_id(first.id).status == "issued"


def test_a_full_refund_reverses_the_invoice(app, drain, sandbox_api, manual_refunds, project, buyer, staff):
    order = buy(sandbox_api, buyer, project)
    service.apply(order, PERSONAL)
    invoice = issued(drain, sandbox_api, order)
    refund(sandbox_api, Order.get_by_id(order.id), staff)
    drain()  # the refund's invoice job
    assert Invoice.get_by_id(invoice.id).status == "reversing"
    assert sandbox_application(sandbox_api, order)["fapiao"][0]["reverse_reason"] == "销货退回"
    complete(sandbox_api, order)
    assert service.refresh(Invoice.get_by_id(invoice.id)) == "reversed"
    assert Invoice.select().count() == 1  # nothing left to invoice


def test_the_sdk_file_query_is_refused_as_wechat_does(app, drain, sandbox_api, project, buyer):
    """wechatpayv3 2.0.4 sends POST for fapiao-files (WeChat serves it only as GET), and signs an empty
    body while it sends `{}`: the signature check refuses it before anything else."""
    order = buy(sandbox_api, buyer, project)
    service.apply(order, PERSONAL)
    issued(drain, sandbox_api, order)
    status, body = gateway.client().fapiao_query_files(order.transaction_id)
    assert (status, json.loads(body)["code"]) == (401, "SIGN_ERROR")


def test_wrong_check_character_is_refused_with_a_clear_message(app, api, drain, sandbox_api, project, registered):
    from app.accounts.models import User

    user = User.get(User.name == registered["name"])
    order = buy(sandbox_api, user, project)
    api.post("/auth/login", {"username": registered["mobile"], "password": registered["password"]})
    wrong = UNIT_TAX_NO[:-1] + "H"
    status, body = api.post(f"/invoices/orders/{order.order_no}/apply",
                            {"title_type": "unit", "name": "重庆市示例单位", "tax_no": wrong})
    assert status == 422 and "纳税人识别号校验位不正确，请核对" in str(body)
    assert Invoice.select().count() == 0
    status, body = api.post(f"/invoices/orders/{order.order_no}/apply",
                            {"title_type": "unit", "name": "重庆市示例单位", "tax_no": UNIT_TAX_NO})
    assert status == 201 and body["data"]["state"] == "applying"


def test_another_learners_invoice_answers_404(app, api, drain, sandbox_api, project, buyer, registered):
    order = buy(sandbox_api, buyer, project)
    service.apply(order, PERSONAL)
    invoice = issued(drain, sandbox_api, order)
    api.post("/auth/login", {"username": registered["mobile"], "password": registered["password"]})
    status, _ = api.get(f"/invoices/{invoice.fapiao_id}/pdf")
    assert status == 404
    status, _ = api.post(f"/invoices/orders/{order.order_no}/apply", PERSONAL)
    assert status == 404
    status, body = api.get("/invoices")
    assert status == 200 and body["data"] == []
