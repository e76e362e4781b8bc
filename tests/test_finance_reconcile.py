"""Reconciliation rules against sandbox bills: differences found, settled by querying WeChat Pay."""
import datetime

import pytest

from app.finance import reconcile
from app.finance.models import ReconciliationDiff, ReconciliationRun
from app.finance.settle_diffs import NotSettleable, settle_diff
from app.pay import checkout, orders, refunds
from app.pay.models import Order, Refund
from tests.finance_fixtures import notified_paid
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    PRICE,
    buyer_fixture,
    fast_sandbox_fixture,
    make_user,
    order_fixture,
    paid_at_sandbox,
    project_fixture,
    reload,
    staff_fixture,
)

CST = datetime.timezone(datetime.timedelta(hours=8))


def today():
    return datetime.datetime.now(CST).date()


@pytest.fixture
def same_day_bills(sandbox, monkeypatch):
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_BILL_SAME_DAY", "1")


def new_order(project, n):
    order = orders.create_individual_order(make_user(n, name=f"学员{n}"), project.id, None)
    checkout.prepay(order, "native")
    return order


def paid_here(sandbox_api, order):
    paid_at_sandbox(sandbox_api, order, notify="normal")
    return notified_paid(order)


def diffs(run):
    return {(d.kind, d.out_trade_no): d for d in ReconciliationDiff.select().where(ReconciliationDiff.run == run.id)}


def test_lost_notification_and_differing_amount_found_and_settled_by_query(app, live_server, sandbox_api,
                                                                          same_day_bills, project, staff):
    lost = new_order(project, 40)
    paid_at_sandbox(sandbox_api, lost, notify="lost")  # paid at WeChat; the notification never arrives
    # The lost-notification query job (settle-pending-orders) is held back: no clock runs in this test.
    assert reload(lost).status == "pending"
    differing = paid_here(sandbox_api, new_order(project, 41))
    sandbox_api.post("/pay/bill-amount", {"out_trade_no": differing.order_no, "total": PRICE - 100})
    fine = paid_here(sandbox_api, new_order(project, 42))

    run = reconcile.run_day(today())

    assert run.status == "differences" and run.bill_exists
    assert (run.bill_payments, run.bill_paid_fen) == (3, 3 * PRICE - 100)
    assert (run.our_payments, run.our_paid_fen) == (2, 2 * PRICE)
    found = diffs(run)
    assert set(found) == {("missing_here", lost.order_no), ("amount_differs", differing.order_no)}
    assert (found[("missing_here", lost.order_no)].bill_fen, found[("missing_here", lost.order_no)].our_status) == (
        PRICE, "pending")
    assert (found[("amount_differs", differing.order_no)].bill_fen,
            found[("amount_differs", differing.order_no)].our_fen) == (PRICE - 100, PRICE)
    assert fine.order_no not in {no for _, no in found}
    assert reload(lost).status == "pending"  # finding changes nothing

    before, after = settle_diff(found[("missing_here", lost.order_no)], staff)
    assert (before["status"], after["status"], after["our_status"]) == ("open", "settled", "paid")
    assert reload(lost).status == "paid" and reload(lost).paid_at is not None
    assert "记为已付" in after["resolution"]
    assert ReconciliationRun.get_by_id(run.id).status == "differences"  # one left

    before, after = settle_diff(found[("amount_differs", differing.order_no)], staff)
    assert after["status"] == "settled" and "账单金额 ¥98.00 有误" in after["resolution"]
    assert reload(differing).amount_fen == PRICE
    settled = ReconciliationDiff.get_by_id(found[("amount_differs", differing.order_no)].id)
    assert settled.settled_by_id == staff.id and settled.settled_at is not None
    assert ReconciliationRun.get_by_id(run.id).status == "settled"
    with pytest.raises(NotSettleable):
        settle_diff(settled, staff)

    # Running the day again keeps what was settled and finds nothing new.
    again = reconcile.run_day(today())
    assert again.id == run.id and again.status == "settled" and len(diffs(again)) == 2


def test_paid_here_but_unknown_at_wechat_stays_for_staff(app, sandbox_api, same_day_bills, project, staff):
    other = paid_at_sandbox(sandbox_api, new_order(project, 50))  # so the day has a bill
    assert other["trade_state"] == "SUCCESS"
    order = orders.create_individual_order(make_user(51), project.id, None)
    Order.update(status="paid", paid_at=datetime.datetime.now(datetime.UTC).replace(tzinfo=None),
                 transaction_id="4200000000000000000000000000").where(Order.id == order.id).execute()

    run = reconcile.run_day(today())

    found = diffs(run)
    assert ("missing_there", order.order_no) in found
    before, after = settle_diff(found[("missing_there", order.order_no)], staff)
    assert after["status"] == "needs_staff" and "无此订单" in after["resolution"]
    assert reload(order).status == "paid"  # nothing is undone by a query
    assert ReconciliationRun.get_by_id(run.id).status == "differences"


def test_refund_lost_here_is_found_and_settled_by_query(app, live_server, sandbox_api, same_day_bills, project,
                                                          staff):
    order = paid_here(sandbox_api, new_order(project, 60))
    refund = refunds.refund_seats(order, None, "学员申请退款", staff)
    sandbox_api.post(f"/pay/refunds/{refund.out_refund_no}/complete", {"notify": "lost"})
    assert Refund.get_by_id(refund.id).status == "processing"

    run = reconcile.run_day(today())

    found = diffs(run)
    assert set(found) == {("refund_missing_here", order.order_no)}
    _, after = settle_diff(found[("refund_missing_here", order.order_no)], staff)
    assert after["status"] == "settled"
    assert Refund.get_by_id(refund.id).status == "success" and reload(order).status == "refunded"


def test_the_day_is_reconciled_once_its_bill_exists(app, sandbox_api, project):
    early = datetime.datetime(2026, 6, 2, 1, 30, tzinfo=datetime.UTC)  # 09:30 in China: too early
    assert reconcile.reconcile_yesterday(early) == "too_early"
    assert ReconciliationRun.select().count() == 0
    yesterday = today() - datetime.timedelta(days=1)
    now = datetime.datetime.combine(today(), datetime.time(11), CST)  # 11:00 China time today
    status = reconcile.reconcile_yesterday(now)
    run = ReconciliationRun.get(ReconciliationRun.bill_date == yesterday)
    # The sandbox itself makes yesterday's bill only after 09:00 today (real time): pending before, else matched.
    expected = "matched" if datetime.datetime.now(CST).hour >= 9 else "pending"
    assert status == run.status == expected
    if expected == "matched":
        assert run.bill_exists is False and reconcile.reconcile_yesterday(now) == "done"
    else:
        assert "尚未生成" in run.error


def test_day_bounds_are_china_days_in_utc():
    start, end = reconcile.day_bounds(datetime.date(2026, 6, 1))
    assert (start, end) == (datetime.datetime(2026, 5, 31, 16), datetime.datetime(2026, 6, 1, 16))


def test_daily_job_is_registered_hourly_with_the_clock():
    import app.periodic  # noqa: F401  (registers the jobs)
    from app.jobs.clock import PERIODIC

    [(seconds, func)] = [(s, f) for name, s, f in PERIODIC if name == "reconcile-trade-bill"]
    assert seconds == 3600 and func.__module__ == "app.periodic"


def test_operator_command_reconciles_a_day(app):
    day = today() - datetime.timedelta(days=2)  # long made, no transaction: no bill at WeChat
    result = app.test_cli_runner().invoke(args=["pay", "reconcile", day.isoformat()])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{day}: matched"
    assert ReconciliationRun.get(ReconciliationRun.bill_date == day).bill_exists is False


def test_refund_plan_changes_nothing_and_counts_open_refunds(app, live_server, sandbox_api, project, buyer, staff):
    learners = [make_user(80 + i, name=f"学员{i}") for i in range(3)]
    group = orders.create_group_order(buyer, project.id, [u.id for u in learners], None)
    checkout.prepay(group, "native")
    group = paid_here(sandbox_api, group)
    first, second, third = (s.id for s in group.seats.order_by(orders.OrderSeat.id))
    plan = refunds.plan_refund(group.id, [second])
    assert (plan.amount_fen, [s.id for s in plan.seats], plan.out_refund_no) == (PRICE, [second],
                                                                                 group.order_no + "R01")
    assert (plan.remaining_fen, plan.whole, plan.in_use) == (2 * PRICE, False, [])
    assert Refund.select().count() == 0
    refunds.refund_seats(group, [second], "学员离职", staff)  # processing: its money is no longer refundable
    rest = refunds.plan_refund(group.id, None)
    assert ([s.id for s in rest.seats], rest.amount_fen, rest.remaining_fen, rest.whole) == (
        [first, third], 2 * PRICE, 0, True)
    assert rest.out_refund_no == group.order_no + "R02"
