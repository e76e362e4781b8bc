"""In headless Chromium: each device is offered the payment that works there. A phone browser outside
WeChat pays with WeChat Pay's H5 payment (through the sandbox) and comes back; a PC gets only the QR code,
which counts down and can be cancelled; a plan already owned is not offered again."""
import pytest
from playwright.sync_api import expect

from app.demo import demo_year, seed_catalogue
from app.learning.models import Enrollment, Project
from app.pay.models import Order, PaymentTransaction
from tests.test_browser_purchase import _login

pytestmark = pytest.mark.browser
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Mobile Safari/537.36")


@pytest.fixture
def catalogue(app):
    seed_catalogue()
    return Project.get(Project.year == demo_year())


def test_a_phone_browser_pays_with_h5_and_comes_back(live_server, sandbox, browser, registered, catalogue, shots,
                                                     engine):
    context = browser.new_context(user_agent=PHONE_UA, viewport={"width": 390, "height": 844})
    page = context.new_page()
    _login(page, live_server, registered["mobile"])
    page.goto(f"{live_server}/projects/{catalogue.id}/buy")
    page.click("#submit-order")
    expect(page.locator("#pay-h5")).to_have_text("微信支付")
    expect(page.locator("#pay-jsapi")).to_have_count(0)  # JSAPI works only inside WeChat
    page.screenshot(path=str(shots / f"pay-choice-phone-{engine}.png"), full_page=True)
    page.click("#pay-h5")
    expect(page.get_by_text("确认支付")).to_be_visible()  # the sandbox stands in for WeChat's H5 cashier
    page.get_by_text("确认支付").click()
    expect(page.locator("#pay-result")).to_have_text("支付成功", timeout=15000)
    order = Order.get()
    assert (order.status, order.pay_channel) == ("paid", "h5")
    prepay = PaymentTransaction.get(PaymentTransaction.order == order.id, PaymentTransaction.kind == "prepay")
    assert prepay.status_code == 200
    assert Enrollment.select().where(Enrollment.project == catalogue.id).count() == 1
    page.goto(f"{live_server}/projects/{catalogue.id}/buy")  # owned now: not offered again
    expect(page.locator(".toptips.ok")).to_contain_text("无需重复购买")
    expect(page).to_have_url(f"{live_server}/learning")
    context.close()


def test_a_pc_gets_a_qr_code_with_a_countdown_and_can_cancel(live_server, sandbox, page, registered, catalogue,
                                                              shots, engine):
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, registered["mobile"])
    page.goto(f"{live_server}/projects/{catalogue.id}/buy")
    page.click("#submit-order")
    expect(page.locator("#pay-native")).to_be_visible()
    expect(page.locator("#pay-jsapi")).to_have_count(0)
    expect(page.locator("#pay-h5")).to_have_count(0)
    page.click("#pay-native")
    expect(page.locator("#pay-countdown")).to_contain_text("秒内完成支付")
    first = page.locator("#pay-qr").get_attribute("src")
    page.click("#pay-refresh")
    expect(page.locator("#pay-qr")).to_have_attribute("src", first)  # the same order, the same code
    page.screenshot(path=str(shots / f"pay-qr-pc-{engine}.png"), full_page=True)
    page.click("#pay-cancel")
    expect(page.locator(".toptips.ok")).to_contain_text("订单已取消")
    expect(page.locator("#buy-now")).to_be_visible()
    assert Order.get().status == "closed"
