"""In headless Chromium: a learner applies for a unit on a phone (390 px), the service desk approves it
in the console on a PC, the contact checks a list with errors, downloads them, orders and pays. No
page scrolls sideways."""
import openpyxl
import pytest
from playwright.sync_api import expect

from app.accounts import rules, service
from app.learning.models import Enrollment
from app.pay.models import Order
from app.units.models import UnitContact
from tests.staff_fixtures import make_staff_member
from tests.test_browser_purchase import _login, catalogue  # noqa: F401  (fixture)
from tests.test_pay_group_check import _valid_code

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
PC = {"width": 1280, "height": 900}


def no_sideways_scroll(page):
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def _learners(count):
    people = []
    for i in range(count):
        first17 = f"5001031990{(i % 12) + 1:02d}{(i % 27) + 1:02d}{100 + i:03d}"
        id_number = first17 + rules.check_digit(first17)
        name = "学员" + "甲乙丙丁戊己庚辛壬癸子丑"[i]
        service.create_user(name=name, id_number=id_number, mobile=f"1390000{i:04d}",
                            gender=rules.id_gender(id_number), password="Secret123")
        people.append((name, id_number))
    return people


def test_contact_approval_then_group_purchase_with_errors_and_payment(app, live_server, sandbox, browser, registered,
                                                                      catalogue, shots, engine, tmp_path):  # noqa: F811
    code = _valid_code("91500000MA5U00000")
    phone = browser.new_context(viewport=PHONE).new_page()
    _login(phone, live_server, registered["mobile"])
    phone.goto(live_server + "/group")
    expect(phone.locator("#not-contact")).to_be_visible()  # not a contact yet: no list can be checked
    phone.goto(live_server + "/units")
    phone.fill("#f-code", code)
    phone.fill("#f-email", "hr@example.cn")
    phone.fill("#f-name", "重庆市某某局")
    phone.select_option("#f-district", "500103")
    phone.click("#apply")
    expect(phone.locator("#applications")).to_contain_text("待审核")
    phone.screenshot(path=str(shots / f"units-apply-390-{engine}.png"), full_page=True)
    no_sideways_scroll(phone)

    desk = make_staff_member(app, roles=("service_desk",), i=901)
    pc = browser.new_context(viewport=PC).new_page()
    pc.goto(live_server + "/login")
    pc.fill("#f-username", "staff901")
    pc.fill("#f-password", "Secret123")
    pc.click("#submit")
    pc.goto(live_server + "/staff/units/")
    pc.click("#applications tbody a")
    pc.click("#act-approve")
    expect(pc.locator("#confirm-form")).to_contain_text("加入证书的单位列表")
    pc.screenshot(path=str(shots / f"units-approve-pc-{engine}.png"), full_page=True)
    pc.click("#confirm-form button[type=submit]")
    expect(pc.locator("#contact-state")).to_have_text("已通过")
    no_sideways_scroll(pc)
    assert UnitContact.get().decided_by_id == desk.user.id

    people = _learners(6)
    bad_check = people[0][1][:17] + ("0" if people[0][1][17] != "0" else "1")
    lines = [f"{people[0][0]} {people[0][1]}", people[1][1].lower(), "孙 涛 " + people[2][1],
             f"{people[3][0]}错 {people[3][1]}", bad_check, "110105491231002", people[4][1], people[5][1]]
    phone.goto(f"{live_server}/group?project_id={catalogue.id}")
    phone.fill("#f-lines", "\n".join(lines))
    phone.click("#check")
    expect(phone.locator("#check-summary")).to_contain_text("通过 4 行，未通过 4 行")
    table = phone.locator("#check-lines")
    expect(table).to_contain_text("姓名中不能有空格")
    expect(table).to_contain_text("姓名与身份证号不一致")
    for name, _ in (people[1], people[2], people[4], people[5]):
        expect(table).not_to_contain_text(name)  # stored names never shown; only what was typed
    phone.screenshot(path=str(shots / f"group-check-390-{engine}.png"), full_page=True)
    no_sideways_scroll(phone)

    with phone.expect_download() as download:
        phone.click("#download-errors")
    path = tmp_path / "errors.xlsx"
    download.value.save_as(path)
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))[1:]
    assert [r[0] for r in rows] == [3, 4, 5, 6] and bad_check not in str(rows)

    phone.click("#group-submit")
    phone.click("#pay-native")
    scan = phone.context.new_page()
    scan.goto(phone.locator("#sandbox-scan").get_attribute("href"))
    scan.get_by_text("确认支付").click()
    expect(phone.locator("#pay-result")).to_have_text("支付成功", timeout=15000)
    order = Order.get(Order.kind == "group")
    assert (order.status, order.seat_count, order.unit.name) == ("paid", 4, "重庆市某某局")
    assert Enrollment.select().where(Enrollment.project == catalogue.id).count() == 4
    phone.goto(live_server + "/group/orders")
    expect(phone.locator(".group-order tr")).to_have_count(5)
    no_sideways_scroll(phone)

    pc.goto(f"{live_server}/units")  # a staff member without a unit sees the application form at PC width
    no_sideways_scroll(pc)
    pc.context.close()
    phone.context.close()

    desk_pc = browser.new_context(viewport=PC).new_page()  # the contact on a PC: the same check, wide
    _login(desk_pc, live_server, registered["mobile"])
    desk_pc.goto(f"{live_server}/group?project_id={catalogue.id}")
    desk_pc.fill("#f-lines", "\n".join(lines))
    desk_pc.click("#check")
    expect(desk_pc.locator("#check-summary")).to_contain_text("未通过 4 行")
    desk_pc.screenshot(path=str(shots / f"group-check-pc-{engine}.png"), full_page=True)
    no_sideways_scroll(desk_pc)
    desk_pc.context.close()
