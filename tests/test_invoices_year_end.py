"""A partial refund in January of an invoice issued in December: the December invoice is reversed, the rest
is issued again dated in the new year (the tax system's date), and 我的发票 says why (both engines, the real
SDK against the sandbox, whose issuing time the test sets)."""
import datetime

from app.accounts import service as accounts
from app.invoices import rules, service
from app.invoices.models import Invoice
from app.pay import refunds
from app.pay.models import Order
from tests.refund_helpers import buy_for_unit, manual_refunds_fixture  # noqa: F401  (fixture)
from tests.staff_fixtures import Console, text_of
from tests.test_invoices import UNIT_TAX_NO, manual_fapiao, sandbox_application  # noqa: F401  (fixture)
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    buyer_fixture,
    fast_sandbox_fixture,
    make_user,
    project_fixture,
    staff_fixture,
)

UNIT = {"title_type": "unit", "name": "重庆市示例科技有限公司", "tax_no": UNIT_TAX_NO}
CST = datetime.timezone(datetime.timedelta(hours=8))
DECEMBER_20 = datetime.datetime(2026, 12, 20, 10, 0, tzinfo=CST).timestamp()
JANUARY_5 = datetime.datetime(2027, 1, 5, 9, 30, tzinfo=CST).timestamp()


def complete_at(sandbox_api, order, when):
    """WeChat finishes what was asked of it (issue or reversal) at `when`; the callback is lost."""
    return sandbox_api.post("/fapiao/complete", {"fapiao_apply_id": order.transaction_id, "notify": "lost",
                                                 "at": int(when)})


def test_a_january_partial_refund_reissues_the_rest_dated_in_the_new_year(app, drain, sandbox_api, manual_refunds,
                                                                          project, buyer, staff):
    learners = [make_user(40 + i, name=f"学员{i}") for i in range(2)]
    order = buy_for_unit(sandbox_api, buyer, project, learners)
    service.apply(order, UNIT)
    drain()
    complete_at(sandbox_api, order, DECEMBER_20)
    december = service.current(Order.get_by_id(order.id))
    assert service.refresh(december) == "issued"
    december = Invoice.get_by_id(december.id)
    assert rules.china_date(december.issued_at) == datetime.date(2026, 12, 20)
    assert december.fapiao_number.startswith("26")

    seat = order.seats.first()
    made = refunds.refund_seats(Order.get_by_id(order.id), [seat.id], "学员离职", staff, override=True)
    sandbox_api.post(f"/pay/refunds/{made.out_refund_no}/complete", {"notify": "lost"})
    assert refunds.settle_refund(made.out_refund_no) == "refunded"
    drain()
    assert Invoice.get_by_id(december.id).status == "reversing"
    complete_at(sandbox_api, order, JANUARY_5)
    assert service.refresh(Invoice.get_by_id(december.id)) == "reversed"
    drain()
    complete_at(sandbox_api, order, JANUARY_5)
    rest = Invoice.get(Invoice.order == order.id, Invoice.version == 2)
    assert service.refresh(rest) == "issued"
    rest = Invoice.get_by_id(rest.id)
    assert (rest.reason, rest.amount_fen) == ("refund", december.amount_fen - made.amount_fen)
    assert rules.china_date(rest.issued_at) == datetime.date(2027, 1, 5) and rest.fapiao_number.startswith("27")
    statuses = [f["status"] for f in sandbox_application(sandbox_api, order)["fapiao"]]
    assert statuses == ["REVERSED", "ISSUED"]

    page = text_of(Console(app, buyer, accounts.mobile_of(buyer)).get("/invoices"))
    assert f"号码 {rest.fapiao_number} · 开票日期 2027-01-05" in page
    assert "部分退款后重开（开票日期以重开之日为准，可能在次年）" in page
