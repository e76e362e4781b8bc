"""Orders through the API: invoice data checked, an open order reused, a plan never bought twice."""
import pytest

from app.accounts import rules, service
from app.accounts.models import User
from app.demo import demo_year, seed_catalogue
from app.learning.models import Enrollment, Project
from app.pay import duplicates, orders
from app.pay.models import Order, OrderSeat


@pytest.fixture
def project(app):
    seed_catalogue()
    return Project.get(Project.year == demo_year())


@pytest.fixture
def buyer(api, registered):
    api.post("/auth/login", {"username": registered["mobile"], "password": "Secret123"})
    return User.get()


def _colleague():
    first17 = "50010819850612122"
    id_number = first17 + rules.check_digit(first17)
    return service.create_user(name="李四", id_number=id_number, mobile="13800000002",
                               gender=rules.id_gender(id_number), password="Secret123")


def test_order_and_invoice_rules(api, buyer, project):
    bad_tax_no = {"choice": "now", "title_type": "unit", "title": "重庆市示例局", "tax_no": "123"}
    status, body = api.post("/orders", {"project_id": project.id, "invoice": bad_tax_no})
    assert status == 422 and "纳税人识别号" in body["message"]
    status, body = api.post("/orders", {"project_id": project.id, "invoice": {"choice": "now"}})
    assert status == 422 and "抬头类型" in body["message"]
    status, body = api.post("/orders", {"project_id": project.id, "invoice": {
        "choice": "now", "title_type": "unit", "title": "重庆市示例局", "tax_no": "91350100M000100Y43"}})
    assert status == 201 and body["data"]["amount_fen"] == project.price_fen
    assert body["data"]["invoice"] == {"choice": "now", "title_type": "unit", "title": "重庆市示例局",
                                       "tax_no": "91350100M000100Y43"}
    # Ordering again reuses the open order (same number), never a second one.
    again = api.post("/orders", {"project_id": project.id})[1]["data"]
    assert again["order_no"] == body["data"]["order_no"] and Order.select().count() == 1


def test_a_plan_is_never_bought_twice(api, buyer, project):
    order = orders.create_individual_order(buyer, project.id, None)
    Order.update(status="paid").where(Order.id == order.id).execute()
    orders.on_paid(order)
    status, body = api.post("/orders", {"project_id": project.id})
    assert status == 409 and "已拥有该培训项目" in body["message"]
    # A unit's order may still hold a seat for them (it says nothing about the learner): once paid,
    # that seat is a duplicate, and the enrollment from the first order is left as it was.
    group = orders.create_group_order(_colleague(), project.id, [buyer.id], None)
    Order.update(status="paid").where(Order.id == group.id).execute()
    orders.on_paid(group)
    [enrollment] = Enrollment.select()
    assert enrollment.order_id == order.id and enrollment.status == "active"
    assert [s.user_id for s in duplicates.duplicate_seats(group)] == [buyer.id]
    assert duplicates.duplicate_seats(order) == []


def test_a_seat_in_a_units_unpaid_order_reserves_nothing(api, buyer, project):
    group = orders.create_group_order(_colleague(), project.id, [buyer.id], None)
    status, body = api.post("/orders", {"project_id": project.id})
    assert status == 201 and body["data"]["kind"] == "individual"
    assert OrderSeat.select().count() == 2
    assert orders.order_view(group, with_seats=True)["seats"][0]["status_text"] == "待支付"


def test_other_learners_orders_are_invisible(api, buyer, project, app):
    order = orders.create_individual_order(_colleague(), project.id, None)
    status, body = api.get(f"/orders/{order.order_no}")
    assert status == 404
    status, body = api.post(f"/orders/{order.order_no}/pay", {"channel": "native"})
    assert status == 404


def test_not_on_sale(api, buyer, project):
    last_year = Project.get(Project.year == demo_year() - 1)
    status, body = api.post("/orders", {"project_id": last_year.id})
    assert status == 422 and "不在销售期" in body["message"]
    assert api.post("/orders", {"project_id": 99999})[0] == 404
