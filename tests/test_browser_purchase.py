"""In headless Chromium against the sandbox: buy with JSAPI inside WeChat and with a QR code on a PC.

Buying as a unit: tests/test_browser_units.py.
"""
import re

import pytest
from playwright.sync_api import expect

from app.demo import demo_year
from app.learning.models import Project
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
