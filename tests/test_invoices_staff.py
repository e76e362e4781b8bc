"""The console's invoice desk (finance): states, failed ones with WeChat's reason, retry, reverse after a
confirmation page, the month's xlsx; learners and other roles are refused (both engines, real sandbox)."""
import io

from openpyxl import load_workbook

from app.invoices import rules, service
from app.invoices.models import Invoice
from app.staff.models import AuditEntry
from app.wechat.sandbox import state
from tests.refund_helpers import buy
from tests.staff_fixtures import make_staff_member, text_of
from tests.test_invoices import PERSONAL, complete, issued, manual_fapiao, sandbox_application  # noqa: F401
from tests.test_pay_gateway import buyer_fixture, fast_sandbox_fixture, project_fixture  # noqa: F401


def test_learners_and_other_roles_are_refused(app, api, registered):
    api.post("/auth/login", {"username": registered["mobile"], "password": registered["password"]})
    assert api.client.get("/staff/invoices").status_code == 403
    desk = make_staff_member(app, ("service_desk",), i=702)
    assert desk.get("/staff/invoices").status_code == 403
    assert app.test_client().get("/staff/invoices").status_code == 302


def test_failed_invoice_shows_the_reason_and_is_retried(app, drain, sandbox, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    drain()
    with sandbox.app.app_context():
        state.inject_failure("/v3/new-tax-control-fapiao/fapiao-applications", http_status=500,
                             errmsg="系统繁忙，请稍后重试")
    invoice = service.apply(order, PERSONAL)
    drain()
    invoice = Invoice.get_by_id(invoice.id)
    assert invoice.status == "failed" and "微信支付暂时不可用" in invoice.last_error
    finance = make_staff_member(app, ("finance",), i=703)
    listing = text_of(finance.get("/staff/invoices?state=failed"))
    assert invoice.fapiao_id in listing and "开具失败，自动重试中" in listing and "微信支付暂时不可用" in listing
    assert "没有这个状态" in text_of(finance.get("/staff/invoices?state=nope"))
    missing = finance.get("/staff/invoices/CE000F9")
    assert missing.status_code == 404 and "未找到发票 CE000F9" in text_of(missing)
    assert finance.post(f"/staff/invoices/{invoice.fapiao_id}/retry").status_code == 302
    drain()
    assert Invoice.get_by_id(invoice.id).status == "applying"
    assert AuditEntry.select().where(AuditEntry.action == "invoice.retry").count() == 1


def test_reverse_on_request_after_confirmation_and_export_the_month(app, drain, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    service.apply(order, PERSONAL)
    invoice = issued(drain, sandbox_api, order)
    finance = make_staff_member(app, ("finance",), i=704)
    month = rules.china_date(invoice.issued_at).strftime("%Y-%m")
    export = finance.get(f"/staff/invoices/export.xlsx?month={month}")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == invoice.fapiao_number and rows[1][4] == "王小明" and rows[1][7] == "99.00"
    assert finance.get("/staff/invoices/export.xlsx?month=2026-13").status_code == 400
    confirm = finance.post(f"/staff/invoices/{invoice.fapiao_id}/reverse")
    assert confirm.status_code == 200 and invoice.fapiao_number in text_of(confirm) and "确认冲红" in text_of(confirm)
    assert Invoice.get_by_id(invoice.id).status == "issued"  # the confirmation page changes nothing
    done = finance.post(f"/staff/invoices/{invoice.fapiao_id}/reverse", {"confirmed": "1"})
    assert done.status_code == 302 and Invoice.get_by_id(invoice.id).status == "reversing"
    assert sandbox_application(sandbox_api, order)["fapiao"][0]["status"] == "REVERSE_ACCEPTED"
    assert AuditEntry.select().where(AuditEntry.action == "invoice.reverse").count() == 1
