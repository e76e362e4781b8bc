"""In headless Chromium against the sandbox: 我的发票 — apply now at purchase, apply later, change once.

The sandbox issues after a second and sends FAPIAO.ISSUED / FAPIAO.REVERSED to the live app, whose
callback handler queries WeChat and stores the PDF.
"""
import io

import pytest
import requests
from playwright.sync_api import expect
from pypdf import PdfReader

from app.invoices.models import Invoice
from app.pay.models import Order
from tests.helpers import wait_until
from tests.test_browser_purchase import _login
from tests.test_browser_purchase import catalogue as catalogue  # noqa: F401  (the fixture the tests take)

pytestmark = pytest.mark.browser
UNIT_TAX_NO = "91500103MA5U8XK27G"


@pytest.fixture(autouse=True)
def quick_fapiao(sandbox, monkeypatch):
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_FAPIAO_DELAY", 0.5)
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_NOTIFY_RETRY", "0.3,0.5,1,2")


def _pay_by_qr(page):
    page.click("#submit-order")
    page.click("#pay-native")
    phone = page.context.new_page()
    phone.goto(page.locator("#sandbox-scan").get_attribute("href"))
    phone.get_by_text("确认支付").click()
    expect(page.locator("#pay-result")).to_have_text("支付成功", timeout=15000)
    phone.close()


def _status(version=1):
    # Read to the end: a LIMIT 1 cursor left open keeps SQLite's read snapshot, and this thread's next write
    # (a staff account, say) is then refused at once as "database is locked" if the server wrote meanwhile.
    rows = list(Invoice.select(Invoice.status).where(Invoice.version == version).tuples())
    return rows[0][0] if rows else None


def test_apply_now_then_the_pdf_opens(app, live_server, page, registered, catalogue, drain, shots, engine):
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, live_server, registered["mobile"])
    page.goto(f"{live_server}/projects/{catalogue.id}/buy")
    page.check("#invoice-now")
    page.check("input[name=invoice_title_type][value=personal]")
    page.fill("#f-invoice_title", registered["name"])
    _pay_by_qr(page)
    wait_until(lambda: drain() or _status() == "issued" and Invoice.get().pdf_key)
    page.goto(f"{live_server}/invoices")
    card = page.locator(f"[data-order='{Order.get().order_no}']")
    expect(card.locator(".invoice-state")).to_have_text("已开具")
    page.screenshot(path=str(shots / f"invoices-{engine}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    href = card.locator(".pdf-link").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    answer = requests.get(live_server + href, cookies=cookies, timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert "Content-Disposition" not in answer.headers  # shown inline: view and print
    text = PdfReader(io.BytesIO(answer.content)).pages[0].extract_text()
    assert registered["name"] in text and "培训费" in text
    expect(card.locator(".invoice")).to_contain_text("已放入微信卡包")
    download = requests.get(live_server + card.locator(".pdf-download").get_attribute("href"), cookies=cookies,
                            timeout=10)
    assert download.headers["Content-Disposition"].startswith("attachment") and download.content == answer.content


def test_apply_later_from_my_orders_and_change_the_title_once(app, live_server, page, registered, catalogue, drain):
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, registered["mobile"])
    page.goto(f"{live_server}/projects/{catalogue.id}/buy")
    _pay_by_qr(page)
    page.goto(f"{live_server}/orders")
    page.click("#to-invoices")
    order_no = Order.get().order_no
    card = page.locator(f"[data-order='{order_no}']")
    expect(card.locator(".invoice-state")).to_have_text("未申请")
    card.locator("input[name=name]").fill(registered["name"])
    card.locator(".invoice-form button[type=submit]").click()
    expect(page.get_by_text("发票申请已提交")).to_be_visible()
    wait_until(lambda: drain() or _status() == "issued")
    page.reload()
    card = page.locator(f"[data-order='{order_no}']")
    expect(card.locator(".invoice-state")).to_have_text("已开具")
    card.locator("input[name=title_type][value=unit]").check()
    card.locator("input[name=name]").fill("重庆市示例科技有限公司")
    card.locator("input[name=tax_no]").fill(UNIT_TAX_NO)
    card.locator(".invoice-form button[type=submit]").click()
    expect(page.get_by_text("发票抬头修改已提交")).to_be_visible()
    wait_until(lambda: drain() or _status(2) == "issued", timeout=30)
    assert _status(1) == "reversed"
    page.reload()
    card = page.locator(f"[data-order='{order_no}']")
    expect(card.locator(".invoice-state")).to_have_text("已开具")
    expect(card.locator(".refusal")).to_have_text("每张发票只能修改一次抬头，本订单的发票已修改过")
    expect(card.locator(".invoice")).to_have_count(2)


def test_a_group_orders_unit_invoice(app, live_server, page, registered, catalogue, drain, sandbox_api):
    from app.accounts.models import User
    from tests.refund_helpers import buy_for_unit
    from tests.test_pay_gateway import make_user

    contact = User.get(User.name == registered["name"])
    order = buy_for_unit(sandbox_api, contact, catalogue, [make_user(40, name="学员甲"), make_user(41, name="学员乙")])
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, live_server, registered["mobile"])
    page.goto(f"{live_server}/group/orders")
    expect(page.locator(f"#invoice-{order.order_no}")).to_have_text("未申请")
    page.click(f"#invoice-{order.order_no}")
    card = page.locator(f"[data-order='{order.order_no}']")
    expect(card.locator("input[name=title_type][value=personal]")).to_have_count(0)  # a group order: the unit
    card.locator("input[name=name]").fill("重庆市示例科技有限公司")
    card.locator("input[name=tax_no]").fill(UNIT_TAX_NO[:-1] + "H")
    card.locator(".invoice-form button[type=submit]").click()
    expect(page.get_by_text("纳税人识别号校验位不正确，请核对")).to_be_visible()
    card = page.locator(f"[data-order='{order.order_no}']")
    card.locator("input[name=name]").fill("重庆市示例科技有限公司")
    card.locator("input[name=tax_no]").fill(UNIT_TAX_NO)
    card.locator(".invoice-form button[type=submit]").click()
    expect(page.get_by_text("发票申请已提交")).to_be_visible()
    wait_until(lambda: drain() or _status() == "issued" and Invoice.get().pdf_key)
    page.goto(f"{live_server}/group/orders")
    expect(page.locator(f"#invoice-{order.order_no}")).to_have_text("已开具")
    invoice = Invoice.get()
    assert (invoice.title_type, invoice.tax_no, invoice.amount_fen) == ("unit", UNIT_TAX_NO, order.amount_fen)


def test_the_invoice_desk_at_pc_width(app, live_server, page, registered, catalogue, drain, sandbox_api, shots, engine):
    from app.accounts.models import User
    from tests.refund_helpers import buy
    from tests.staff_fixtures import make_staff_member
    from tests.test_browser_staff import _login as staff_login

    order = buy(sandbox_api, User.get(User.name == registered["name"]), catalogue)
    from app.invoices import service

    service.apply(order, {"title_type": "personal", "name": registered["name"]})
    wait_until(lambda: drain() or _status() == "issued")
    make_staff_member(app, ("finance",), i=705, name="财务小李")
    page.set_viewport_size({"width": 1366, "height": 900})
    staff_login(page, live_server, "staff705")
    page.click("text=发票")
    expect(page.locator("#invoices")).to_contain_text("已开具")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=str(shots / f"invoice-desk-{engine}.png"), full_page=True)
    page.click(f"text={Invoice.get().fapiao_id}")
    page.click("#reverse")
    expect(page.locator("#confirm-form")).to_contain_text(Invoice.get().fapiao_number)
    page.screenshot(path=str(shots / f"invoice-reverse-{engine}.png"), full_page=True)
    page.click("#confirm-form button[type=submit]")
    expect(page.locator("#invoice-facts")).to_contain_text("冲红中")
