"""In headless Chromium against the sandbox: buy with JSAPI inside WeChat, with a QR code on a PC, and as a unit."""
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from app.accounts import rules, service
from app.demo import demo_year
from app.learning.models import Enrollment, Project
from app.pay.models import Order

pytestmark = pytest.mark.browser
WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN")


@pytest.fixture
def catalogue(app):
    from app.demo import seed_catalogue

    seed_catalogue()
    return Project.get(Project.year == demo_year())


def _login(page, base, username, password="Secret123"):
    page.goto(base + "/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("#submit")
    expect(page.locator("#profile")).to_be_visible()


def test_buy_with_jsapi_inside_wechat(app, live_server, sandbox, browser, registered, catalogue, shots, engine):
    context = browser.new_context(user_agent=WECHAT_UA, viewport={"width": 390, "height": 844})
    page = context.new_page()
    _login(page, live_server, registered["mobile"])
    page.goto(f"{live_server}/projects/{catalogue.id}")
    page.click("#buy-now")
    expect(page.locator("#confirm-amount")).to_have_text("¥60.00")
    page.click("#submit-order")
    # JSAPI needs the learner's openid: OAuth once through the sandbox's consent page, which binds WeChat.
    expect(page).to_have_url(re.compile(re.escape(sandbox.url) + "/connect/oauth2/authorize.*"))
    page.fill("input[name=nickname]", "付款人")
    page.click("button[value=allow]")
    # Back on the pay page: no WeixinJSBridge outside a phone, so the sandbox's payment sheet stands in.
    expect(page.get_by_text("确认支付")).to_be_visible()
    page.screenshot(path=str(shots / f"jsapi-cashier-{engine}.png"))
    page.get_by_text("确认支付").click()
    expect(page.locator("#pay-result")).to_have_text("支付成功", timeout=15000)
    order = Order.get()
    assert (order.status, order.pay_channel, order.amount_fen) == ("paid", "jsapi", 6000)
    page.click("#go-learning")
    expect(page.locator("#my-plans")).to_contain_text(f"{demo_year()}年公需科目")
    context.close()


def test_buy_with_a_qr_code_on_a_pc(app, live_server, sandbox, page, registered, catalogue, shots, engine):
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, registered["mobile"])
    page.goto(f"{live_server}/projects/{catalogue.id}/buy")
    page.check("#invoice-now")
    page.check("input[name=invoice_title_type][value=unit]")
    page.fill("#f-invoice_title", "重庆市示例科技有限公司")
    page.fill("#f-invoice_tax_no", "91350100M000100Y43")
    page.click("#submit-order")
    page.click("#pay-native")
    expect(page.locator("#pay-qr")).to_be_visible()
    page.screenshot(path=str(shots / f"native-qr-{engine}.png"), full_page=True)
    # The phone scans the code: the sandbox's scan page pays it.
    phone = page.context.new_page()
    phone.goto(page.locator("#sandbox-scan").get_attribute("href"))
    phone.get_by_text("确认支付").click()
    expect(page.locator("#pay-result")).to_have_text("支付成功", timeout=15000)
    order = Order.get()
    assert (order.status, order.pay_channel, order.invoice_choice) == ("paid", "native", "now")
    assert order.invoice_tax_no == "91350100M000100Y43"


def _make_learners(count):
    people = []
    for i in range(count):
        first17 = f"5001031990{(i % 12) + 1:02d}{(i % 27) + 1:02d}{100 + i:03d}"
        id_number = first17 + rules.check_digit(first17)
        service.create_user(name="学员" + "甲乙丙丁戊己庚辛壬癸子丑"[i], id_number=id_number,
                            mobile=f"1390000{i:04d}", gender=rules.id_gender(id_number), password="Secret123")
        people.append(id_number)
    return people


def test_group_purchase_12_lines_3_bad(app, live_server, sandbox, page, registered, catalogue, shots, engine,
                                       tmp_path):
    people = _make_learners(9)
    bad = [people[0][:17] + ("0" if people[0][17] != "0" else "1"),  # wrong check digit
           "110105491231002",                                         # old 15-digit number
           people[1]]                                                 # a duplicate line
    lines = [people[0], people[1].lower(), *people[2:5], bad[0], f" {people[5]} ", bad[1], *people[6:], bad[2]]
    assert len(lines) == 12
    _login(page, live_server, registered["mobile"])  # the unit's contact, with their own account
    page.goto(f"{live_server}/group?project_id={catalogue.id}")
    page.fill("#f-lines", "\n".join(lines))
    page.click("#check")
    expect(page.locator("#check-summary")).to_contain_text("通过 9 行，未通过 3 行")
    page.screenshot(path=str(shots / f"group-check-{engine}.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#download-errors")
    path = tmp_path / "errors.xlsx"
    download.value.save_as(path)
    rows = [r for r in openpyxl.load_workbook(path).active.iter_rows(values_only=True) if any(r)]
    reasons = " ".join(str(c) for r in rows for c in r if c)
    assert "校验位" in reasons and "15" in reasons and "重复" in reasons
    assert sum(1 for r in rows if any(isinstance(c, str) and bad[0] in c for c in r)) == 1

    page.click("#group-submit")
    page.click("#pay-native")
    phone = page.context.new_page()
    phone.goto(page.locator("#sandbox-scan").get_attribute("href"))
    phone.get_by_text("确认支付").click()
    expect(page.locator("#pay-result")).to_have_text("支付成功", timeout=15000)
    order = Order.get(Order.kind == "group")
    assert (order.status, order.seat_count, order.amount_fen) == ("paid", 9, 9 * 6000)
    owners = Enrollment.select().where(Enrollment.project == catalogue.id, Enrollment.status == "active")
    assert owners.count() == 9
    page.goto(live_server + "/group/orders")
    expect(page.locator(".group-order tr")).to_have_count(10)  # header + 9 seats
