"""我的发票 as forms (H5, both engines): saved titles, a unit marks its invoice booked and later confirms the
red-letter reversal a refund asked for; another learner's order answers 404 on the page routes too."""
from app.accounts import service as accounts
from app.invoices import service
from app.invoices.models import Invoice
from app.pay import refunds
from app.pay.models import Order
from tests.refund_helpers import buy, manual_refunds_fixture  # noqa: F401  (fixture)
from tests.staff_fixtures import Console, text_of
from tests.test_invoices import UNIT_TAX_NO, complete, issued, manual_fapiao, sandbox_application  # noqa: F401
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    buyer_fixture,
    fast_sandbox_fixture,
    make_user,
    project_fixture,
    staff_fixture,
)

UNIT = {"title_type": "unit", "name": "重庆市示例科技有限公司", "tax_no": UNIT_TAX_NO}


def test_booked_then_refunded_then_confirmed(app, drain, sandbox_api, manual_refunds, project, buyer, staff):
    order = buy(sandbox_api, buyer, project)
    learner = Console(app, buyer, accounts.mobile_of(buyer))
    answer = learner.post(f"/invoices/{order.order_no}/apply", UNIT)
    assert answer.status_code == 302
    assert "发票申请已提交" in text_of(learner.get("/invoices"))
    invoice = issued(drain, sandbox_api, order)
    titles = learner.client.get("/api/v1/invoices/titles").get_json()["data"]
    assert titles == [{"title_type": "unit", "name": UNIT["name"], "tax_no": UNIT_TAX_NO, "email": None}]
    assert learner.post(f"/invoices/{invoice.fapiao_id}/unit/booked").status_code == 302
    assert Invoice.get_by_id(invoice.id).booked_at is not None
    made = refunds.refund_seats(Order.get_by_id(order.id), None, "退课", staff, override=True)
    sandbox_api.post(f"/pay/refunds/{made.out_refund_no}/complete", {"notify": "lost"})
    refunds.settle_refund(made.out_refund_no)
    drain()
    page = text_of(learner.get("/invoices"))
    assert "待单位确认冲红" in page and "确认冲红（单位已入账的发票）" in page
    assert learner.post(f"/invoices/{invoice.fapiao_id}/unit/confirm").status_code == 302
    assert Invoice.get_by_id(invoice.id).status == "reversing"
    assert sandbox_application(sandbox_api, order)["fapiao"][0]["status"] == "REVERSE_ACCEPTED"
    complete(sandbox_api, order)
    assert service.refresh(Invoice.get_by_id(invoice.id)) == "reversed"


def test_another_learners_order_on_the_pages(app, drain, sandbox_api, project, buyer):
    order = buy(sandbox_api, buyer, project)
    service.apply(order, UNIT)
    invoice = issued(drain, sandbox_api, order)
    other = make_user(3, name="赵六")
    stranger = Console(app, other, accounts.mobile_of(other))
    assert stranger.get(f"/invoices/{invoice.fapiao_id}.pdf").status_code == 404
    assert stranger.post(f"/invoices/{order.order_no}/change", UNIT).status_code == 404
    assert stranger.post(f"/invoices/{invoice.fapiao_id}/unit/booked").status_code == 404
    assert Invoice.get_by_id(invoice.id).booked_at is None and Invoice.select().count() == 1


def test_two_presses_at_the_same_moment_make_one_invoice(app, live_server, drain, sandbox_api, project, buyer):
    import threading

    import requests

    order = buy(sandbox_api, buyer, project)
    session = requests.Session()
    login = session.post(live_server + "/api/v1/auth/login",
                         json={"username": accounts.mobile_of(buyer), "password": "Secret123"}, timeout=10)
    assert login.status_code == 200
    csrf = session.get(live_server + "/api/v1/auth/csrf", timeout=10).json()["data"]["csrf_token"]
    barrier, statuses = threading.Barrier(2), []

    def press():
        barrier.wait(timeout=10)
        answer = session.post(f"{live_server}/api/v1/invoices/orders/{order.order_no}/apply", json=UNIT,
                              headers={"X-CSRF-Token": csrf}, timeout=20)
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=press) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    assert sorted(statuses) == [200, 201]
    assert Invoice.select().where(Invoice.order == order.id).count() == 1
