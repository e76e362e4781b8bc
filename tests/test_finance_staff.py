"""Orders and money in the console over HTTP: who reaches what, refunds with confirmation, export,
reconciliation settled by query; every refund and settlement in the audit log."""
import datetime
import io
import json

import pytest
from openpyxl import load_workbook

from app.finance.models import ReconciliationDiff
from app.pay import checkout, orders
from app.pay.models import Order, OrderSeat, Refund
from app.staff import roles
from app.staff.models import AuditEntry
from tests.finance_fixtures import notified_paid
from tests.staff_fixtures import make_staff_member, text_of
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    PRICE,
    buyer_fixture,
    fast_sandbox_fixture,
    make_user,
    order_fixture,
    paid_at_sandbox,
    project_fixture,
    reload,
)

CST = datetime.timezone(datetime.timedelta(hours=8))
# Which roles reach which request (administrators reach everything).
REACH = {"list": {"finance", "service_desk"}, "order": {"finance", "service_desk"}, "export": {"finance"},
         "refund": {"finance"}, "reconciliation": {"finance"}, "run": {"finance"}}


@pytest.fixture
def paid_group(app, live_server, sandbox_api, project, buyer):
    learners = [make_user(20 + i, name=f"学员{i}") for i in range(3)]
    order = orders.create_group_order(buyer, project.id, [u.id for u in learners], None)
    checkout.prepay(order, "native")
    paid_at_sandbox(sandbox_api, order, notify="normal")
    return notified_paid(order)


def seats(order):
    return list(OrderSeat.select().where(OrderSeat.order == order.id).order_by(OrderSeat.id))


def requests_of(member, order):
    no = order.order_no
    return {"list": lambda: member.get("/staff/orders"), "order": lambda: member.get(f"/staff/orders/{no}"),
            "export": lambda: member.get("/staff/orders/export.xlsx"),
            "refund": lambda: member.post(f"/staff/orders/{no}/refund", {"scope": "all"}),
            "reconciliation": lambda: member.get("/staff/reconciliation"),
            "run": lambda: member.post("/staff/reconciliation/run", {"day": "2026-13-40"})}


@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_reaches_only_its_requests(app, role, paid_group):
    member = make_staff_member(app, (role,), i=700)
    for name, call in requests_of(member, paid_group).items():
        resp = call()
        allowed = role == "admin" or role in REACH[name]
        expected = {"run": 422}.get(name, 200) if allowed else 403
        assert resp.status_code == expected, (role, name, resp.status_code)
    assert Refund.select().count() == 0  # the refund request only ever showed a confirmation


def test_anonymous_goes_to_login_and_learners_are_refused(app, client, order):
    resp = client.get(f"/staff/orders/{order.order_no}")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login?next=/staff/orders/")
    assert client.get("/staff/reconciliation").status_code == 302


def test_service_desk_sees_orders_read_only(app, paid_group):
    desk = make_staff_member(app, ("service_desk",), i=701)
    page = desk.get(f"/staff/orders/{paid_group.order_no}")
    text = text_of(page)
    assert "学员0" in text and "整单退款" not in text and 'name="seat_id"' not in page.get_data(as_text=True)
    assert "导出 Excel" not in text_of(desk.get("/staff/orders"))


def test_refund_one_seat_confirm_first_then_audited(app, paid_group):
    finance = make_staff_member(app, ("finance",), i=702, name="财务丙")
    first, second, third = seats(paid_group)
    path = f"/staff/orders/{paid_group.order_no}/refund"

    confirm = finance.post(path, {"scope": "seats", "seat_id": str(second.id)})
    assert confirm.status_code == 200
    text = text_of(confirm)
    assert "退款金额 ¥99.00" in text and "退款名额 1 个" in text and "学员1" in text and "学员0" not in text
    assert f"{paid_group.order_no}R01" in text
    assert Refund.select().count() == 0 and [s.status for s in seats(paid_group)] == ["active"] * 3

    missing_reason = finance.post(path, {"seat_id": str(second.id), "confirmed": "1", "reason": " "})
    assert missing_reason.status_code == 422 and "请填写退款原因" in text_of(missing_reason)
    assert Refund.select().count() == 0

    done = finance.post(path, {"seat_id": str(second.id), "confirmed": "1", "reason": "学员离职"})
    assert done.status_code == 302
    [refund] = Refund.select()
    assert (refund.amount_fen, json.loads(refund.seat_ids), refund.created_by_id) == (PRICE, [second.id],
                                                                                     finance.user.id)
    assert [s.status for s in seats(paid_group)] == ["active", "refunding", "active"]
    [entry] = AuditEntry.select().where(AuditEntry.action == "order.refund")
    assert (entry.actor_id, entry.actor_name, entry.target_id) == (finance.user.id, "财务丙", paid_group.order_no)
    assert json.loads(entry.before)["seats"][str(second.id)] == "active"
    assert json.loads(entry.after)["seats"][str(second.id)] == "refunding"
    assert json.loads(entry.detail)["amount_fen"] == PRICE and entry.created_at is not None
    # The seat is no longer offered; asking again for it is refused without a change.
    again = finance.post(path, {"seat_id": str(second.id)})
    assert again.status_code == 302 and Refund.select().count() == 1


def test_in_use_seat_needs_the_override_box(app, paid_group):
    from app.learning.models import Enrollment

    finance = make_staff_member(app, ("finance",), i=703)
    first = seats(paid_group)[0]
    Enrollment.update(started_at=datetime.datetime(2026, 1, 1)).where(Enrollment.seat_id == first.id).execute()
    path = f"/staff/orders/{paid_group.order_no}/refund"
    refused = finance.post(path, {"seat_id": str(first.id), "confirmed": "1", "reason": "学员申请"})
    assert refused.status_code == 422 and "请勾选确认" in text_of(refused) and Refund.select().count() == 0
    done = finance.post(path, {"seat_id": str(first.id), "confirmed": "1", "reason": "学员申请", "override": "1"})
    assert done.status_code == 302 and Refund.get().override is True


def test_list_filters_sort_and_export(app, paid_group, project, buyer):
    finance = make_staff_member(app, ("finance",), i=704)
    pending = orders.create_individual_order(make_user(60), project.id, None)
    listed = text_of(finance.get("/staff/orders?state=paid"))
    assert paid_group.order_no in listed and pending.order_no not in listed
    cheap = text_of(finance.get("/staff/orders?max=100"))
    assert pending.order_no in cheap and paid_group.order_no not in cheap
    bad = finance.get("/staff/orders?min=abc&since=2026-02-31")
    assert bad.status_code == 200 and "金额应为不小于 0 的数字" in text_of(bad) and "日期格式应为" in text_of(bad)
    assert finance.get(f"/staff/orders?q={paid_group.order_no}").headers["Location"].endswith(
        f"/staff/orders/{paid_group.order_no}")
    missing = finance.get("/staff/orders/D20990101XXXX")
    assert missing.status_code == 404 and "未找到订单 D20990101XXXX" in text_of(missing)

    export = finance.get("/staff/orders/export.xlsx?state=paid")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
    [entry] = AuditEntry.select().where(AuditEntry.action == "order.export")
    assert entry.actor_id == finance.user.id and json.loads(entry.detail) == {"state": "paid"}
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = list(sheet.values)
    assert rows[0][0] == "订单号" and len(rows) == 2
    assert (rows[1][0], rows[1][5], rows[1][7]) == (paid_group.order_no, 3 * PRICE / 100, "已支付")


def test_reconciliation_settled_by_query_is_audited(app, sandbox, sandbox_api, monkeypatch, project, live_server):
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_BILL_SAME_DAY", "1")
    finance = make_staff_member(app, ("finance",), i=705, name="财务丁")
    lost = orders.create_individual_order(make_user(70), project.id, None)
    checkout.prepay(lost, "native")
    paid_at_sandbox(sandbox_api, lost, notify="lost")  # the settle-pending job is held back: no clock runs
    today = datetime.datetime.now(CST).date().isoformat()

    # Today's bill is only made tomorrow: the console says so instead of running.
    refused = finance.post("/staff/reconciliation/run", {"day": today})
    assert refused.status_code == 422 and "只能对今天以前的日期对账" in text_of(refused)

    from app.finance import reconcile

    run = reconcile.run_day(datetime.date.fromisoformat(today))  # what the daily job does for a finished day
    page = finance.get(f"/staff/reconciliation/{today}")
    assert page.status_code == 200 and lost.order_no in text_of(page)
    assert "微信已收款，本平台未记为已付" in text_of(page)
    [diff] = ReconciliationDiff.select().where(ReconciliationDiff.run == run.id)
    assert reload(lost).status == "pending"

    settled = finance.post(f"/staff/reconciliation/differences/{diff.id}/settle")
    assert settled.status_code == 302
    assert reload(lost).status == "paid" and ReconciliationDiff.get_by_id(diff.id).status == "settled"
    [entry] = AuditEntry.select().where(AuditEntry.action == "reconcile.settle")
    assert (entry.actor_name, entry.target_id) == ("财务丁", lost.order_no)
    assert json.loads(entry.before)["status"] == "open" and json.loads(entry.after)["our_status"] == "paid"
    assert "已处理" in text_of(finance.get(f"/staff/reconciliation/{today}"))
    assert finance.get("/staff/reconciliation/2001-01-01").status_code == 404


def test_old_staff_refund_url_leads_to_the_order_page(app, paid_group):
    finance = make_staff_member(app, ("finance",), i=706)
    resp = finance.get(f"/staff/orders?q={paid_group.order_no}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/staff/orders/{paid_group.order_no}")
    assert Order.select().count() == 1


def test_bad_refund_requests_change_nothing(app, paid_group, project, buyer):
    finance = make_staff_member(app, ("finance",), i=707)
    other = orders.create_group_order(buyer, project.id, [make_user(90).id], None)
    foreign = seats(other)[0]
    path = f"/staff/orders/{paid_group.order_no}/refund"
    nothing = finance.post(path, {"scope": "seats"})
    assert nothing.status_code == 302 and "请先勾选要退款的名额" in text_of(finance.get(nothing.headers["Location"]))
    for form in ({"seat_id": "abc"}, {"seat_id": str(foreign.id), "confirmed": "1", "reason": "错单"}):
        resp = finance.post(path, form)
        assert resp.status_code == 302
    page = finance.get(f"/staff/orders/{paid_group.order_no}")
    assert "所选名额不属于该订单" in text_of(page)
    unpaid = finance.post(f"/staff/orders/{other.order_no}/refund", {"scope": "all"})
    assert unpaid.status_code == 302 and "订单未支付，不能退款" in text_of(finance.get(unpaid.headers["Location"]))
    assert Refund.select().count() == 0 and [s.status for s in seats(paid_group)] == ["active"] * 3
    assert AuditEntry.select().where(AuditEntry.action == "order.refund").count() == 0
    assert finance.post("/staff/orders/NOPE/refund", {"scope": "all"}).status_code == 404


def test_settling_while_wechat_is_down_keeps_the_difference(app, sandbox, sandbox_api, monkeypatch, project):
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_BILL_SAME_DAY", "1")
    from app.finance import reconcile

    finance = make_staff_member(app, ("finance",), i=708)
    lost = orders.create_individual_order(make_user(91), project.id, None)
    checkout.prepay(lost, "native")
    paid_at_sandbox(sandbox_api, lost, notify="lost")
    run = reconcile.run_day(datetime.datetime.now(CST).date())
    [diff] = ReconciliationDiff.select().where(ReconciliationDiff.run == run.id)
    sandbox_api.post("/failures", {"path_prefix": "/v3/pay/transactions", "times": 1, "http_status": 503})
    resp = finance.post(f"/staff/reconciliation/differences/{diff.id}/settle")
    assert resp.status_code == 302
    assert "微信支付暂时无法查询" in text_of(finance.get(resp.headers["Location"]))
    assert ReconciliationDiff.get_by_id(diff.id).status == "open" and reload(lost).status == "pending"
    assert AuditEntry.select().where(AuditEntry.action == "reconcile.settle").count() == 0
    missing = finance.post("/staff/reconciliation/differences/999999/settle")
    assert missing.status_code == 404 and "没有这条差异记录" in text_of(missing)


@pytest.mark.parametrize("role", ["finance", "service_desk", "reviewer"])
def test_staff_order_api_checks_roles_and_audits_refunds(app, role, paid_group):
    member = make_staff_member(app, (role,), i=709)
    base = f"/api/v1/staff/orders/{paid_group.order_no}"
    look = member.client.get(base)
    assert look.status_code == (403 if role == "reviewer" else 200)
    seat = seats(paid_group)[0]
    resp = member.client.post(base + "/refunds", json={"seat_ids": [seat.id], "reason": "学员离职"},
                              headers={"X-CSRF-Token": member.csrf})
    if role != "finance":
        assert resp.status_code == 403 and Refund.select().count() == 0
        assert AuditEntry.select().where(AuditEntry.action == "order.refund").count() == 0
        return
    assert resp.status_code == 201 and resp.get_json()["data"]["amount_fen"] == PRICE
    [entry] = AuditEntry.select().where(AuditEntry.action == "order.refund")
    assert entry.actor_id == member.user.id and json.loads(entry.detail)["seat_ids"] == [seat.id]
    assert json.loads(entry.before) == {"status": "paid", "refunded_fen": 0}
