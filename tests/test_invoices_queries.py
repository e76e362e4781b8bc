"""The invoice pages and the month's export ask the database a fixed number of times, however many invoices
(both engines, real sandbox): 2 invoices and 6 invoices take the same statements, counted from peewee's log."""
import contextlib
import io
import logging

from openpyxl import load_workbook

from app.accounts import service as accounts
from app.invoices import rules, service, staff_desk, views_data
from app.invoices.models import Invoice
from app.pay.models import Order
from app.staff.tables import paginate
from tests.refund_helpers import buy_for_unit
from tests.staff_fixtures import Console, make_staff_member, text_of
from tests.test_invoices import UNIT_TAX_NO, issued, manual_fapiao  # noqa: F401  (fixture)
from tests.test_pay_gateway import buyer_fixture, fast_sandbox_fixture, make_user, project_fixture  # noqa: F401

UNIT = {"title_type": "unit", "name": "重庆市示例科技有限公司", "tax_no": UNIT_TAX_NO}


class _Statements(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql = []

    def emit(self, record):
        self.sql.append(record.msg[0])


@contextlib.contextmanager
def statements():
    """The SQL statements peewee runs inside the block (its debug log has one record per statement)."""
    log = logging.getLogger("peewee")
    handler, level, propagate = _Statements(), log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        yield handler.sql
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = propagate


def invoiced_orders(drain, sandbox_api, project, buyer, count, first):
    """`count` group orders of one learner each, paid through the sandbox, each with its issued invoice."""
    made = []
    for n in range(first, first + count):
        order = buy_for_unit(sandbox_api, buyer, project, [make_user(60 + n, name=f"学员{n}")])
        service.apply(order, UNIT)
        made.append(issued(drain, sandbox_api, order))
    return made


def measure(app, finance, learner, month, order_nos):
    """Statements of each reader, called directly and through its page."""
    counted = {}
    with statements() as sql:
        book = staff_desk.export_month(month)
    counted["export"] = len(sql)
    with app.test_request_context("/staff/invoices"), statements() as sql:
        values, _, where = staff_desk.read_filters({})
        page = paginate(staff_desk.query(where), staff_desk.SORTS, "created", True, values)
        listed = [staff_desk.row(i) for i in page.items]
    counted["list"] = len(sql)
    with statements() as sql:
        mine = views_data.my_orders(learner.user)
    counted["my_orders"] = len(sql)
    with statements() as sql:
        texts = views_data.state_texts(order_nos)
    counted["state_texts"] = len(sql)
    for key, path in (("list_page", "/staff/invoices"), ("export_page", f"/staff/invoices/export.xlsx?month={month}")):
        with statements() as sql:
            assert finance.get(path).status_code == 200
        counted[key] = len(sql)
    with statements() as sql:
        page_text = text_of(learner.get("/invoices"))
    counted["invoices_page"] = len(sql)
    return counted, book, listed, mine, texts, page_text


def test_the_desk_export_and_my_invoices_take_the_same_statements_for_2_and_6(app, drain, sandbox_api, project,
                                                                               buyer):
    finance = make_staff_member(app, ("finance",), i=705)
    learner = Console(app, buyer, accounts.mobile_of(buyer))
    invoices = invoiced_orders(drain, sandbox_api, project, buyer, 2, 0)
    month = rules.china_date(invoices[0].issued_at).strftime("%Y-%m")
    orders = {i.order_id: Order.get_by_id(i.order_id).order_no for i in invoices}
    two, *_ = measure(app, finance, learner, month, list(orders.values()))
    invoices += invoiced_orders(drain, sandbox_api, project, buyer, 4, 2)
    orders = {i.order_id: Order.get_by_id(i.order_id).order_no for i in invoices}
    six, book, listed, mine, texts, page_text = measure(app, finance, learner, month, list(orders.values()))

    assert {k: two[k] for k in ("export", "list", "my_orders", "state_texts")} == {
        "export": 1, "list": 2, "my_orders": 2, "state_texts": 2}
    assert six == two  # the pages too: nothing per row
    assert Invoice.select().count() == 6

    rows = list(load_workbook(io.BytesIO(book)).active.iter_rows(values_only=True))[1:]
    by_number = {r[0]: r for r in rows}
    assert sorted(by_number) == sorted(i.fapiao_number for i in invoices)
    for invoice in invoices:
        assert by_number[invoice.fapiao_number][2] == orders[invoice.order_id]
        assert by_number[invoice.fapiao_number][6] == project.name
        assert by_number[invoice.fapiao_number][7] == "99.00"
    assert sorted((r["fapiao_id"], r["order_no"]) for r in listed) == sorted(
        (i.fapiao_id, orders[i.order_id]) for i in invoices)
    assert [(o["order_no"], o["project"], o["state"], [v["fapiao_id"] for v in o["invoices"]]) for o in mine] == [
        (orders[i.order_id], project.name, "issued", [i.fapiao_id]) for i in reversed(invoices)]
    assert texts == {no: "已开具" for no in orders.values()}
    assert all(no in page_text for no in orders.values()) and page_text.count("¥99.00") == 12
