"""E-invoice flows beyond the basic rules (both engines, the real SDK against the sandbox): messages and mail,
partial refunds, a unit's confirmation of a reversal, lost callbacks recovered by the sweep, the callback's
signature check, group orders."""
import datetime

import pytest
import requests

from app.invoices import gateway, service
from app.invoices.models import Invoice, InvoiceEvent
from app.mail import outbox
from app.pay import orders, refunds
from app.pay.models import Order
from app.wechat.models import WechatMessage
from tests.mail_fixtures import smtp_outbox  # noqa: F401  (fixture)
from tests.refund_helpers import buy, buy_for_unit, manual_refunds_fixture  # noqa: F401  (fixture)
from tests.test_invoices import (  # noqa: F401  (fixture)
    PERSONAL,
    UNIT_TAX_NO,
    complete,
    issued,
    manual_fapiao,
    sandbox_application,
)
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    buyer_fixture,
    fast_sandbox_fixture,
    make_user,
    project_fixture,
    staff_fixture,
)

UNIT = {"title_type": "unit", "name": "重庆市示例科技有限公司", "tax_no": UNIT_TAX_NO}


def test_issue_sends_one_message_and_mails_the_pdf(app_factory, smtp_outbox, drain_factory, sandbox_api):  # noqa: F811
    app = app_factory(**smtp_outbox)
    with app.app_context():
        from app.db import utcnow
        from app.learning.models import Project

        project = Project.create(year=2026, name="2026年度专业技术人员公需科目", price_fen=9900,
                                 sale_start=utcnow() - datetime.timedelta(days=1),
                                 sale_end=utcnow() + datetime.timedelta(days=30))
        buyer = make_user(1, name="王小明")
        order = buy(sandbox_api, buyer, project)
        drain = drain_factory(app)
        service.apply(order, {**PERSONAL, "email": "wang@example.cn"})
        invoice = issued(drain, sandbox_api, order)
        assert service.refresh(invoice) == "issued"  # the callback and the sweep may both end here: one message
        drain()
        message = WechatMessage.get(WechatMessage.event_key == f"invoice-issued:{invoice.id}")
        assert (message.template, message.user_id) == ("invoice_issued", buyer.id)
        assert WechatMessage.select().where(WechatMessage.template == "invoice_issued").count() == 1
        [mailed] = [m for m in outbox.messages() if m["to"] == "wang@example.cn"]
        assert mailed["subject"] == f"电子发票 {invoice.fapiao_number}"
        assert mailed["attachments"][0]["content_type"] == "application/pdf"


def test_partial_refund_reverses_and_reissues_the_rest(app, drain, sandbox_api, manual_refunds, project, buyer,
                                                      staff):
    learners = [make_user(20 + i, name=f"学员{i}") for i in range(3)]
    order = buy_for_unit(sandbox_api, buyer, project, learners)
    service.apply(order, UNIT)
    first = issued(drain, sandbox_api, order)
    seat = order.seats.first()
    made = refunds.refund_seats(Order.get_by_id(order.id), [seat.id], "学员离职", staff, override=True)
    sandbox_api.post(f"/pay/refunds/{made.out_refund_no}/complete", {"notify": "lost"})
    assert refunds.settle_refund(made.out_refund_no) == "refunded"
    drain()
    assert Invoice.get_by_id(first.id).status == "reversing"
    held = Invoice.get(Invoice.version == 2)
    assert (held.reason, held.status, held.amount_fen) == ("refund", "held", first.amount_fen - made.amount_fen)
    complete(sandbox_api, order)
    assert service.refresh(Invoice.get_by_id(first.id)) == "reversed"
    drain()
    complete(sandbox_api, order)
    assert service.refresh(Invoice.get_by_id(held.id)) == "issued"
    # A re-issue after a refund is not the learner's change: one change is still allowed.
    new = service.change_title(Order.get_by_id(order.id), {**UNIT, "name": "重庆市示例科技有限公司二部"},
                               now=Invoice.get_by_id(held.id).issued_at)
    assert (new.version, new.reason) == (3, "change")


def test_a_unit_that_booked_the_invoice_confirms_the_reversal(app, drain, sandbox_api, manual_refunds, project,
                                                             buyer, staff):
    order = buy(sandbox_api, buyer, project)
    service.apply(order, UNIT)
    invoice = issued(drain, sandbox_api, order)
    service.mark_booked(invoice)
    made = refunds.refund_seats(Order.get_by_id(order.id), None, "退课", staff, override=True)
    sandbox_api.post(f"/pay/refunds/{made.out_refund_no}/complete", {"notify": "lost"})
    refunds.settle_refund(made.out_refund_no)
    drain()
    assert Invoice.get_by_id(invoice.id).status == "confirm_reversal"
    assert sandbox_application(sandbox_api, order)["fapiao"][0]["status"] == "ISSUED"
    assert service.confirm_reversal(Invoice.get_by_id(invoice.id)) == "reversing"
    assert sandbox_application(sandbox_api, order)["fapiao"][0]["status"] == "REVERSE_ACCEPTED"


def test_the_sweep_recovers_a_lost_callback_and_a_dead_worker(app, drain, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    drain()
    invoice = service.apply(order, PERSONAL)
    app.extensions["queue"].empty()  # the worker died with the job
    later = datetime.datetime.utcnow() + datetime.timedelta(minutes=service.STUCK_MINUTES + 1)
    assert service.sweep(now=later) == 1
    drain()
    assert Invoice.get_by_id(invoice.id).status == "applying"
    complete(sandbox_api, order)  # WeChat issues; its callback is lost
    Invoice.update(updated_at=datetime.datetime.utcnow() - datetime.timedelta(minutes=10)).execute()
    service.sweep()
    drain()
    assert Invoice.get_by_id(invoice.id).status == "issued"


def test_the_callback_refuses_a_bad_signature(app, live_server, sandbox):
    body = b'{"id":"x","event_type":"FAPIAO.ISSUED","resource_type":"encrypt-resource","resource":{}}'
    headers = {"Wechatpay-Timestamp": str(int(datetime.datetime.now().timestamp())), "Wechatpay-Nonce": "n",
               "Wechatpay-Signature": "WECHATPAY/SIGNTEST/abc", "Content-Type": "application/json",
               "Wechatpay-Serial": sandbox.app.config["WECHATPAY_PUBLIC_KEY_ID"]}
    answer = requests.post(live_server + gateway.CALLBACK_PATH, data=body, headers=headers, timeout=10)
    assert (answer.status_code, answer.json()["code"]) == (401, "FAIL")
    event = InvoiceEvent.get()
    assert (event.kind, event.verified, event.outcome) == ("callback", False, "refused:signature invalid")


def test_a_group_order_is_invoiced_once_to_the_unit(app, drain, sandbox_api, project, buyer):
    order = buy_for_unit(sandbox_api, buyer, project, [make_user(30, name="学员甲")])
    with pytest.raises(service.InvoiceError) as refused:
        service.apply(order, PERSONAL)
    assert refused.value.message == "团购订单的发票开给单位：请选择单位抬头"
    first = service.apply(order, UNIT)
    assert service.apply(order, {**UNIT, "name": "另一个单位"}).id == first.id
    assert (Invoice.select().count(), first.amount_fen) == (1, order.amount_fen)


def test_a_group_order_created_with_apply_now_gets_its_unit_invoice(app, drain, sandbox_api, project, buyer):
    from app.pay.schemas import InvoiceIn

    learner = make_user(31, name="学员乙")
    order = orders.create_group_order(buyer, project.id, [learner.id],
                                      InvoiceIn(choice="now", title_type="unit", title=UNIT["name"],
                                                tax_no=UNIT_TAX_NO))
    from tests.refund_helpers import pay

    order = pay(sandbox_api, order)
    issued(drain, sandbox_api, order)
    invoice = Invoice.get()
    assert (invoice.title_type, invoice.name, invoice.tax_no, invoice.status) == ("unit", UNIT["name"], UNIT_TAX_NO,
                                                                                   "issued")


def test_a_title_picked_on_wechats_title_page_is_invoiced(app, live_server, api, drain, sandbox, sandbox_api, project,
                                                          registered):
    from app.accounts.models import User

    user = User.get(User.name == registered["name"])
    order = buy(sandbox_api, user, project)
    Order.update(payer_appid=app.config["WECHAT_MP_APPID"], payer_openid="oTitlePayer0000000000000001").where(
        Order.id == order.id).execute()  # as if paid with JSAPI inside WeChat
    api.post("/auth/login", {"username": registered["mobile"], "password": registered["password"]})
    status, body = api.get(f"/invoices/orders/{order.order_no}/wechat-title")
    assert status == 200 and body["data"]["url"].startswith(sandbox.url + "/_sandbox/fapiao/title-page?")
    page = requests.post(body["data"]["url"], data={"fapiao_apply_id": order.transaction_id, "type": "ORGANIZATION",
                                                     "name": UNIT["name"], "taxpayer_id": UNIT_TAX_NO}, timeout=10)
    assert page.status_code == 200 and "已提交" in page.text
    from tests.helpers import wait_until

    invoice = wait_until(lambda: Invoice.get_or_none(Invoice.order == order.id))  # FAPIAO.USER_APPLIED arrived
    assert (invoice.title_type, invoice.name, invoice.tax_no) == ("unit", UNIT["name"], UNIT_TAX_NO)
    status, body = api.get(f"/invoices/orders/{order.order_no}/wechat-title")
    assert (status, body["message"]) == (409, "已申请发票")


def test_the_sandbox_overview_lists_invoices_and_card_insertions(app, drain, sandbox, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    service.apply(order, PERSONAL)
    invoice = issued(drain, sandbox_api, order)
    status, _ = gateway.call("insert_cards", invoice, gateway.client().fapiao_insert_cards, order.transaction_id,
                             {"type": "INDIVIDUAL", "name": "王小明"},
                             [{"fapiao_media_id": "m1", "fapiao_number": invoice.fapiao_number}])
    assert status == 202
    page = requests.get(sandbox.url + "/_sandbox/fapiao/", timeout=10)
    assert page.status_code == 200 and invoice.fapiao_number in page.text and "INSERTED" in page.text
    assert "m1" in page.text


def test_the_pdf_is_mailed_on_request_and_a_unit_confirms_through_the_api(app_factory, smtp_outbox,  # noqa: F811
                                                                        drain_factory, sandbox_api, learner_data):
    from app.db import utcnow
    from app.learning.models import Project
    from tests.conftest import Api

    app = app_factory(**smtp_outbox)
    with app.app_context():
        api = Api(app.test_client())
        assert api.register(learner_data)[0] == 201
        from app.accounts.models import User

        user = User.get(User.name == learner_data["name"])
        project = Project.create(year=2026, name="2026年度公需科目", price_fen=9900,
                                 sale_start=utcnow() - datetime.timedelta(days=1),
                                 sale_end=utcnow() + datetime.timedelta(days=30))
        order = buy(sandbox_api, user, project)
        drain = drain_factory(app)
        status, body = api.post(f"/invoices/orders/{order.order_no}/apply", UNIT)
        assert status == 201
        invoice = issued(drain, sandbox_api, order)
        status, body = api.post(f"/invoices/{invoice.fapiao_id}/mail", {"email": "不是邮箱"})
        assert (status, Invoice.select().count()) == (422, 1)
        status, body = api.post(f"/invoices/{invoice.fapiao_id}/mail", {"email": "finance@unit.example.cn"})
        assert (status, body["message"]) == (200, "发票已发送到邮箱")
        drain()
        [mailed] = [m for m in outbox.messages() if m["to"] == "finance@unit.example.cn"]
        assert mailed["attachments"][0]["filename"] == f"fapiao-{invoice.fapiao_number}.pdf"
        status, body = api.post(f"/invoices/{invoice.fapiao_id}/booked")
        assert status == 200 and body["data"]["invoices"][0]["booked"] is True
        status, body = api.post(f"/invoices/{invoice.fapiao_id}/confirm-reversal")
        assert (status, body["message"]) == (409, "该发票没有等待确认的冲红")
        assert Invoice.get_by_id(invoice.id).status == "issued"
