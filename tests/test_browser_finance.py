"""Headless Chromium at a PC width: finance refunds one seat of a group order after the confirmation
(nothing changes before it), and settles a reconciliation difference by querying WeChat Pay."""
import datetime

import pytest
from playwright.sync_api import expect

from app.finance import reconcile
from app.pay import checkout, orders
from app.pay.models import OrderSeat, Refund
from app.staff.models import AuditEntry
from tests.finance_fixtures import notified_paid
from tests.helpers import wait_until
from tests.learning_fixtures import PASSWORD
from tests.staff_fixtures import make_staff_member
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    buyer_fixture,
    fast_sandbox_fixture,
    make_user,
    paid_at_sandbox,
    project_fixture,
    reload,
)

pytestmark = pytest.mark.browser
CST = datetime.timezone(datetime.timedelta(hours=8))


def log_in(page, live_server, username):
    page.set_viewport_size({"width": 1366, "height": 900})
    errors = []
    # CSP violations and script errors (a missing favicon is not one of them).
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in m.location.get(
        "url", "") and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/login?next=/staff/")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("#submit")
    expect(page.locator("#staff-who")).to_be_visible()
    return errors


def seat_states(order):
    return [s.status for s in OrderSeat.select().where(OrderSeat.order == order.id).order_by(OrderSeat.id)]


def test_refund_one_seat_after_the_confirmation(app, live_server, page, sandbox_api, project, buyer, shots, engine):
    learners = [make_user(20 + i, name=f"学员{i}") for i in range(3)]
    order = orders.create_group_order(buyer, project.id, [u.id for u in learners], None)
    checkout.prepay(order, "native")
    paid_at_sandbox(sandbox_api, order, notify="normal")
    notified_paid(order)
    make_staff_member(app, ("finance",), i=710, name="财务甲")
    errors = log_in(page, live_server, "staff710")

    page.click("#nav-orders")
    expect(page.locator("#orders")).to_contain_text(order.order_no)
    page.screenshot(path=str(shots / f"finance-orders-{engine}.png"), full_page=True)
    page.click(f"text={order.order_no}")
    expect(page.locator("#order-facts")).to_contain_text("¥297.00（3 个名额）")
    second = OrderSeat.select().where(OrderSeat.order == order.id).order_by(OrderSeat.id)[1]
    page.check(f"#seat-{second.id}")
    page.screenshot(path=str(shots / f"finance-order-{engine}.png"), full_page=True)
    page.click("#refund-seats")

    # The confirmation shows amount and seats; nothing has happened yet.
    facts = page.locator("#refund-facts")
    expect(facts).to_contain_text("¥99.00")
    expect(facts).to_contain_text("1 个")
    expect(facts).to_contain_text(f"{order.order_no}R01")
    expect(page.locator("#refund-seats")).to_contain_text("学员1")
    expect(page.locator("#refund-seats tbody tr")).to_have_count(1)
    assert Refund.select().count() == 0 and seat_states(order) == ["active"] * 3
    assert reload(order).status == "paid" and reload(order).refunded_fen == 0
    page.screenshot(path=str(shots / f"finance-refund-confirm-{engine}.png"), full_page=True)

    page.fill("#f-reason", "学员离职")
    page.click("#confirm-refund")
    expect(page.locator(".flash-ok")).to_contain_text("已提交（¥99.00）")
    refund = Refund.get()
    assert (refund.amount_fen, seat_states(order)) == (9900, ["active", "refunding", "active"])
    sandbox_api.post(f"/pay/refunds/{refund.out_refund_no}/complete", {"notify": "normal"})
    wait_until(lambda: Refund.get_by_id(refund.id).status == "success")
    page.reload()
    expect(page.locator("#refunds")).to_contain_text("退款成功")
    expect(page.locator("#order-facts")).to_contain_text("部分退款")
    assert seat_states(order) == ["active", "refunded", "active"]
    page.screenshot(path=str(shots / f"finance-refunded-{engine}.png"), full_page=True)
    entry = AuditEntry.get(AuditEntry.action == "order.refund")
    assert entry.actor_name == "财务甲" and entry.target_id == order.order_no
    assert errors == []


def test_reconciliation_difference_settled_in_the_console(app, live_server, page, sandbox, sandbox_api, monkeypatch,
                                                          project, shots, engine):
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_BILL_SAME_DAY", "1")
    lost = orders.create_individual_order(make_user(30), project.id, None)
    checkout.prepay(lost, "native")
    paid_at_sandbox(sandbox_api, lost, notify="lost")  # the settle-pending job is held back: no clock runs
    differing = orders.create_individual_order(make_user(31), project.id, None)
    checkout.prepay(differing, "native")
    paid_at_sandbox(sandbox_api, differing, notify="normal")
    notified_paid(differing)
    sandbox_api.post("/pay/bill-amount", {"out_trade_no": differing.order_no, "total": 9000})
    day = datetime.datetime.now(CST).date()
    reconcile.run_day(day)
    make_staff_member(app, ("finance",), i=711, name="财务乙")
    errors = log_in(page, live_server, "staff711")

    page.click("#nav-reconciliation")
    expect(page.locator("#runs")).to_contain_text("有差异")
    page.screenshot(path=str(shots / f"finance-reconciliation-{engine}.png"), full_page=True)
    page.click(f"text={day.isoformat()}")
    rows = page.locator("#diffs tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#diffs")).to_contain_text("微信已收款，本平台未记为已付")
    expect(page.locator("#diffs")).to_contain_text("金额不一致")
    page.screenshot(path=str(shots / f"finance-reconciliation-day-{engine}.png"), full_page=True)
    for _ in range(2):
        page.locator("#diffs button").first.click()
        expect(page.locator(".flash")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("差异已处理")
    assert reload(lost).status == "paid"
    page.screenshot(path=str(shots / f"finance-reconciliation-settled-{engine}.png"), full_page=True)
    assert AuditEntry.select().where(AuditEntry.action == "reconcile.settle").count() == 2
    assert errors == []
