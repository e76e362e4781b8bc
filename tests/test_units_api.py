"""Units through HTTP: applying, staff approval in the console, group purchase that leaks nothing,
a stranger who cannot block anyone, uploads bounded and rate-limited before parsing."""
import io
import json

import openpyxl
import pytest

from app.accounts import service
from app.accounts.models import User
from app.certs import orgs
from app.learning.models import Enrollment
from app.pay import checkout
from app.pay.models import Order, OrderSeat, Refund
from app.staff.models import AuditEntry
from app.units.models import GroupCheckRecord, Unit, UnitContact, UnitMember
from tests.helpers import wait_until
from tests.staff_fixtures import make_staff_member
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    PRICE,
    fast_sandbox_fixture,
    make_user,
    paid_at_sandbox,
    project_fixture,
    reload,
)
from tests.test_pay_group_check import _valid_code, make_id
from tests.test_units_roster import _four_million_cells

CODE = _valid_code("91500000MA5U00000")


def login(app, user):
    from tests.conftest import Api

    api = Api(app.test_client())
    status, body = api.post("/auth/login", {"username": service.mobile_of(user), "password": "Secret123"})
    assert status == 200, body
    return api


def bodies_free_of(texts, names):
    """No stored name in any response text (names the contact typed are left out by the caller)."""
    for text in texts:
        for name in names:
            assert name not in text, (name, text[:300])


@pytest.fixture
def contact(app, project):
    """王经办, the approved contact of a unit registered through the API and approved in the console."""
    buyer = make_user(1, name="王经办")
    api = login(app, buyer)
    status, body = api.post("/units/applications", {"credit_code": CODE, "email": "hr@example.cn"})
    assert status == 422 and body["code"] == "unit_unknown"  # a new unit needs its name and district
    status, body = api.post("/units/applications", {"credit_code": CODE.lower(), "email": "hr@example.cn",
                                                    "name": "重庆市某某局", "district_code": "500103"})
    assert status == 201 and body["data"]["state"] == "pending" and body["data"]["unit"]["credit_code"] == CODE
    desk = make_staff_member(app, roles=("service_desk",), i=901)
    contact_id = body["data"]["id"]
    asked = desk.post(f"/staff/units/applications/{contact_id}/approve")
    assert asked.status_code == 200 and "确认通过申请" in asked.get_data(as_text=True)
    assert UnitContact.get_by_id(contact_id).state == "pending"  # nothing happens before the confirmation
    done = desk.post(f"/staff/units/applications/{contact_id}/approve", {"confirmed": "1"})
    assert done.status_code == 302
    unit = Unit.get()
    assert unit.status == "active" and UnitContact.get_by_id(contact_id).state == "approved"
    entry = AuditEntry.get(AuditEntry.action == "unit_contact.approve")
    assert entry.actor_id == desk.user.id and json.loads(entry.after)["state"] == "approved"
    from types import SimpleNamespace

    return SimpleNamespace(user=buyer, api=api, unit=unit, contact_id=contact_id, desk=desk)


def test_application_rules_and_the_console(app, project, contact):
    status, body = contact.api.post("/units/applications", {"credit_code": CODE, "email": "hr@example.cn"})
    assert status == 409 and UnitContact.select().count() == 1
    good = _valid_code("91500000MA5U00001")
    bad = good[:17] + ("1" if good[17] != "1" else "2")
    status, body = contact.api.post("/units/applications", {"credit_code": bad, "email": "hr@example.cn"})
    assert status == 422 and body["message"] == "统一社会信用代码校验位不正确，请核对"
    # The unit feeds the certificate's organisation list.
    assert [u["name"] for u in orgs.search_units("某某局")] == ["重庆市某某局"]
    assert contact.unit.cert_unit_id is not None

    other = make_user(2, name="李申请")
    api = login(app, other)
    status, body = api.post("/units/applications", {"credit_code": CODE, "email": "li@example.cn"})
    assert status == 201
    finance = make_staff_member(app, roles=("finance",), i=902)
    assert finance.get("/staff/units/").status_code == 403
    page = contact.desk.get("/staff/units/")
    assert page.status_code == 200 and "重庆市某某局" in page.get_data(as_text=True)
    refused = contact.desk.post(f"/staff/units/applications/{body['data']['id']}/reject", {"confirmed": "1"})
    assert refused.status_code == 422 and UnitContact.get_by_id(body["data"]["id"]).state == "pending"
    contact.desk.post(f"/staff/units/applications/{body['data']['id']}/reject",
                      {"confirmed": "1", "reason": "非本单位人事人员"})
    status, mine = api.get("/units/mine")
    assert mine["data"]["applications"][0]["state"] == "rejected"
    assert mine["data"]["applications"][0]["reason"] == "非本单位人事人员" and mine["data"]["units"] == []

    # Withdrawn: the contact can no longer buy for the unit.
    contact.desk.post(f"/staff/units/applications/{contact.contact_id}/withdraw",
                      {"confirmed": "1", "reason": "已调离"})
    status, body = contact.api.post("/group-orders/checks", {"project_id": project.id, "unit_id": contact.unit.id,
                                                             "lines": "500103199003077657"})
    assert status == 403 and body["code"] == "not_unit_contact"
    assert AuditEntry.select().where(AuditEntry.action.startswith("unit_contact.")).count() == 3


def test_the_check_leaks_nothing(app, project, contact):
    wrong_name = make_user(10, name="陈静")       # registered; the contact types another name
    owner = make_user(11, name="吴刚")            # owns the plan
    Enrollment.create(user=owner.id, project=project.id, source="grant")
    unregistered = make_id(777)
    lines = f"陈晨 {service.id_number_of(wrong_name)}\n{unregistered}\n{service.id_number_of(owner)}"
    payload = {"project_id": project.id, "unit_id": contact.unit.id, "lines": lines}

    stranger = login(app, make_user(12, name="路人甲"))
    status, body = stranger.post("/group-orders/checks", payload)
    assert status == 403 and body["data"] is None and GroupCheckRecord.select().count() == 0

    texts = []
    status, body = contact.api.post("/group-orders/checks", payload)
    assert status == 200
    texts.append(json.dumps(body, ensure_ascii=False))
    got = [(ln["status"], ln.get("reason")) for ln in body["data"]["lines"]]
    assert got == [("error", "姓名与身份证号不一致"), ("error", "未注册，请先批量注册"), ("ok", None)]
    errors = contact.api.client.get(body["data"]["errors_url"])
    assert errors.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(errors.data)).worksheets[0]
    texts.append(json.dumps(list(sheet.iter_rows(values_only=True)), ensure_ascii=False))
    status, order = contact.api.post("/group-orders", {"check_id": body["data"]["check_id"]})
    assert status == 201
    texts.append(json.dumps(order, ensure_ascii=False))
    texts.append(json.dumps(contact.api.get("/group-orders")[1], ensure_ascii=False))
    texts.append(json.dumps(contact.api.get(f"/orders/{order['data']['order_no']}")[1], ensure_ascii=False))
    for path in (f"/group?project_id={project.id}", "/group/orders", f"/orders/{order['data']['order_no']}"):
        page = contact.api.client.get(path)
        assert page.status_code == 200, path
        texts.append(page.get_data(as_text=True))
    assert "None" not in texts[-1] and "None" not in texts[-2]
    stored = [u.name for u in User.select() if u.id != contact.user.id]
    bodies_free_of(texts, stored)
    for state in ("已购买", "已拥有", "停用", "已在"):
        bodies_free_of(texts[:1], [state])
    assert [s["status_text"] for s in order["data"]["seats"]] == ["待支付"]
    assert "500103" not in texts[1] or "*" in texts[1]
    record = GroupCheckRecord.get()
    assert record.user_id == contact.user.id and record.line_count == 3
    staff_page = contact.desk.get("/staff/units/checks").get_data(as_text=True)
    assert unregistered[:4] + "*" * 10 + unregistered[-4:] in staff_page and unregistered not in staff_page
    assert unregistered not in record.ids_masked and unregistered[:4] + "*" * 10 in record.ids_masked


def _pay(sandbox_api, order, channel="native"):
    checkout.prepay(order, channel)
    paid_at_sandbox(sandbox_api, order, notify="normal")
    return wait_until(lambda: reload(order).status == "paid" and reload(order))


def test_a_stranger_cannot_block_anyone_and_nobody_pays_twice(app, live_server, sandbox_api, drain, project,
                                                              contact):
    learner = make_user(20, name="张学员")
    payload = {"project_id": project.id, "unit_id": contact.unit.id,
               "lines": f"张学员 {service.id_number_of(learner)}\n{make_id(21)}"}
    check = contact.api.post("/group-orders/checks", payload)[1]["data"]
    status, group = contact.api.post("/group-orders", {"check_id": check["check_id"]})
    assert status == 201 and group["data"]["seat_count"] == 1

    own = login(app, learner)
    status, body = own.post("/orders", {"project_id": project.id})  # the unpaid group order reserves nothing
    assert status == 201
    alone = _pay(sandbox_api, Order.get(Order.order_no == body["data"]["order_no"]))
    drain()
    [enrollment] = Enrollment.select().where(Enrollment.user == learner.id)
    assert enrollment.order_id == alone.id

    group_order = _pay(sandbox_api, Order.get(Order.order_no == group["data"]["order_no"]))
    drain()  # the after-paid job refunds the duplicate seat
    [refund] = Refund.select().where(Refund.order == group_order.id)
    assert (refund.amount_fen, refund.reason) == (PRICE, "重复购买，自动退款")
    sandbox_api.post(f"/pay/refunds/{refund.out_refund_no}/complete", {})
    wait_until(lambda: Refund.get_by_id(refund.id).status == "success")
    assert reload(group_order).refunded_fen == PRICE and reload(alone).refunded_fen == 0
    [seat] = OrderSeat.select().where(OrderSeat.order == group_order.id)
    assert seat.status == "refunded"
    assert Enrollment.get_by_id(enrollment.id).status == "active"  # nothing the learner had is revoked
    paid = sum(o.amount_fen - o.refunded_fen for o in Order.select() if o.status in ("paid", "partially_refunded",
                                                                                     "refunded"))
    assert paid == PRICE  # one seat, paid once
    assert UnitMember.select().count() == 0  # the unit's seat was a duplicate: not the unit's learner


def test_a_paid_unit_seat_shows_the_unit_to_the_learner(app, live_server, sandbox_api, drain, project, contact):
    learner = make_user(30, name="刘学员")
    check = contact.api.post("/group-orders/checks", {"project_id": project.id, "unit_id": contact.unit.id,
                                                      "lines": service.id_number_of(learner)})[1]["data"]
    order_no = contact.api.post("/group-orders", {"check_id": check["check_id"]})[1]["data"]["order_no"]
    _pay(sandbox_api, Order.get(Order.order_no == order_no))
    drain()
    learner_api = login(app, learner)
    status, mine = learner_api.get("/units/mine")
    assert mine["data"]["seat_units"] == [{"project_id": project.id, "unit": "重庆市某某局"}]
    page = learner_api.client.get("/learning").get_data(as_text=True)
    assert '<span class="bought-by">重庆市某某局购买</span>' in page
    member = UnitMember.get()
    assert (member.user_id, member.source, member.year) == (learner.id, "seat", project.year)
    view = contact.api.get(f"/orders/{order_no}")[1]["data"]
    assert [s["status_text"] for s in view["seats"]] == ["已开通"]


def _upload(api, project, unit, data, name="list.xlsx"):
    resp = api.client.post("/api/v1/group-orders/checks/upload", headers=api.headers, data={
        "project_id": str(project.id), "unit_id": str(unit.id), "file": (io.BytesIO(data), name)})
    return resp.status_code, resp.get_json()


def _csrf(api):
    api.headers["X-CSRF-Token"] = api.client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]


def test_uploads_large_in_the_worker_bombs_refused_rate_counted_first(app, project, contact, drain, monkeypatch):
    _csrf(contact.api)
    wb = openpyxl.Workbook()
    wb.active.append(["序号", "姓名", "身份证号码"])
    for i in range(3000):
        wb.active.append([i + 1, "学员", make_id(2000 + i)])
    out = io.BytesIO()
    wb.save(out)
    status, body = _upload(contact.api, project, contact.unit, out.getvalue())
    assert status == 202 and body["data"]["state"] == "running"
    poll = body["data"]["poll_url"].removeprefix("/api/v1")
    assert contact.api.get(poll)[1]["data"]["state"] == "running"
    drain()
    status, done = contact.api.get(poll)
    assert done["data"]["state"] == "done" and done["data"]["counts"]["total"] == 3000
    assert done["data"]["counts"]["by_code"] == {"not_registered": 3000}

    import openpyxl as module

    calls = []
    monkeypatch.setattr(module, "load_workbook", lambda *a, **k: calls.append(a))
    status, body = _upload(contact.api, project, contact.unit, _four_million_cells())
    assert status == 422 and "单元格过多" in body["message"] and calls == []
    used = GroupCheckRecord.select().count()
    for _ in range(28):  # 2 checks so far: 30 an hour
        _upload(contact.api, project, contact.unit, b"not a workbook")
    status, body = _upload(contact.api, project, contact.unit, _four_million_cells())
    assert status == 429 and calls == [] and GroupCheckRecord.select().count() == used


def test_demo_seed_makes_zhang_san_a_contact_once(app):
    from app import demo
    from app.units import demo as units_demo
    from app.units import service as units

    demo.seed()
    demo.seed()
    zhang = service.find_by_id_number(demo.LEARNERS[0][1])
    assert [u.name for u in units.contact_units(zhang)] == [units_demo.NAME]
    assert Unit.select().count() == 1 and UnitContact.select().count() == 1
    assert [u["name"] for u in orgs.search_units("示例局")] == [units_demo.NAME]
