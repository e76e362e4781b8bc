"""In headless Chromium, on a 390 px phone and a PC: bulk registration with its progress bar, the dashboard export."""
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from app.accounts import service
from tests.bulk_fixtures import form_workbook, make_contact, make_id, row
from tests.mail_fixtures import smtp_outbox  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
WIDTHS = {"phone": {"width": 390, "height": 844}, "pc": {"width": 1280, "height": 900}}


@pytest.fixture
def app(app_factory, smtp_outbox):  # noqa: F811
    application = app_factory(**smtp_outbox)
    with application.app_context():
        yield application


def _no_sideways_scroll(page):
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > page.viewport_size["width"]:
        wide = page.evaluate("(w) => [...document.querySelectorAll('body *')].filter("
                             "e => e.getBoundingClientRect().right > w).map(e => e.tagName + '#' + e.id)"
                             ".slice(0, 8)", page.viewport_size["width"])
        raise AssertionError(f"{page.url} scrolls sideways ({width}px): {wide}")


@pytest.mark.parametrize("device", list(WIDTHS))
def test_bulk_registration_with_progress_then_dashboard_export(app, live_server, browser, drain, shots, engine,
                                                               device):
    unit, contact = make_contact()
    context = browser.new_context(viewport=WIDTHS[device], accept_downloads=True)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("#f-username", "500108198506121223")
    page.fill("#f-password", "Contact123")
    page.click("#submit")
    expect(page.locator("#profile")).to_be_visible()

    page.goto(f"{live_server}/units/{unit.id}/bulk")
    _no_sideways_scroll(page)
    rows = [row(i + 1, f"学员{'甲乙丙丁戊'[i % 5]}", make_id(100 + i, gender="M"), f"1390010{i:04d}", "男")
            for i in range(1200)]
    rows.append(row(1201, "孙 涛", make_id(99, gender="F"), "13900099999", "女"))  # refused: space in the name
    page.set_input_files("#f-file", files=[{"name": "附件2.xlsx", "buffer": form_workbook(rows),
                                            "mimeType": "application/vnd.openxmlformats-officedocument"
                                                        ".spreadsheetml.sheet"}])
    page.click("#bulk-submit")
    running = page.locator(".bulk-item[data-state=queued] progress.bulk-progress")
    expect(running).to_be_visible()
    page.screenshot(path=str(shots / f"bulk-queued-{device}-{engine}.png"), full_page=True)
    _no_sideways_scroll(page)
    drain()  # the worker: the page's script notices the end and shows the result
    done = page.locator(".bulk-item[data-state=done]")
    expect(done).to_contain_text("新建 1200", timeout=20000)
    expect(done).to_contain_text("未通过 1")
    page.screenshot(path=str(shots / f"bulk-done-{device}-{engine}.png"), full_page=True)
    _no_sideways_scroll(page)
    with page.expect_download() as info:
        page.click(".bulk-result")
    result = openpyxl.load_workbook(io.BytesIO(info.value.path().read_bytes()), read_only=True)["结果"]
    verdicts = {line[0]: line[4] for line in result.iter_rows(min_row=2, values_only=True)}
    assert len(verdicts) == 1201 and verdicts[1206] == "未通过" and verdicts[6] == "已创建账号"
    assert service.find_by_id_number(make_id(100, gender="M")).name == "学员甲"

    page.click("text=查看本单位学员学习情况")
    expect(page.locator("#dash-summary")).to_contain_text("共 1200 人")
    _no_sideways_scroll(page)
    page.fill("#f-q", "学员乙")
    page.click("#dash-search")
    expect(page.locator("#dash-summary")).to_contain_text("符合条件 240 人")
    page.screenshot(path=str(shots / f"dashboard-{device}-{engine}.png"), full_page=False)
    _no_sideways_scroll(page)
    with page.expect_download() as info:
        page.click("#dash-export")
    lines = list(openpyxl.load_workbook(io.BytesIO(info.value.path().read_bytes())).active.iter_rows(values_only=True))
    assert len(lines) == 2 + 240 and {line[1] for line in lines[2:]} == {"学员乙"}
    assert all("**********" in line[2] for line in lines[2:])
    context.close()


def test_first_login_on_a_phone_then_the_mail_in_the_outbox(app, live_server, browser, drain, shots, engine):
    """The learner's first login (code, new password, consents); the contact's mail shown by /dev/mail."""
    import re

    from app.accounts import sms
    from app.bulk import jobs

    unit, contact = make_contact()
    person = make_id(140, gender="F")
    jobs.submit(unit, contact, form_workbook([row(1, "周敏", person, "13900000140", "女")]), "名单.xlsx")
    drain()
    context = browser.new_context(viewport=WIDTHS["phone"])
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("#f-username", person)
    page.fill("#f-password", "edu@" + person[-6:])
    page.click("#submit")
    expect(page.locator("#first-login-form")).to_be_visible()
    _no_sideways_scroll(page)
    page.click("#send-code")
    expect(page.locator("[role=status]")).to_contain_text("验证码已发送至 139****0140")
    drain()
    code = re.search(r"验证码 (\d{6})", sms.read_outbox()[0]["text"]).group(1)
    page.fill("#f-code", code)
    page.fill("#f-password", "Zhou2026x")
    page.fill("#f-password2", "Zhou2026x")
    page.check("#f-consent-privacy")
    page.check("#f-consent-sensitive_pi")
    page.screenshot(path=str(shots / f"first-login-{engine}.png"), full_page=True)
    page.click("#submit-first-login")
    expect(page.locator("#profile")).to_be_visible()
    page.goto(live_server + "/dev/mail")
    expect(page.locator(".mail-subject")).to_contain_text("批量注册结果")
    expect(page.locator(".mail-attachment")).to_contain_text(".xlsx")
    _no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"dev-mail-{engine}.png"), full_page=True)
    context.close()


def test_console_page_on_a_pc(app, live_server, browser, shots, engine):
    from app.staff import roles

    unit, contact = make_contact()
    desk = service.create_user(name="王老师", id_number=make_id(150, gender="M"), mobile="13700000150", gender="M",
                               password="Staff2026x", role="staff")
    roles.grant(desk, "service_desk")
    context = browser.new_context(viewport=WIDTHS["pc"])
    page = context.new_page()
    page.goto(live_server + "/login?next=/staff/units/bulk/")
    page.fill("#f-username", make_id(150, gender="M"))
    page.fill("#f-password", "Staff2026x")
    page.click("#submit")
    expect(page.locator("#staff-bulk-form")).to_be_visible()
    page.select_option("#f-unit_id", str(unit.id))
    page.set_input_files("#f-file", files=[{"name": "附件2.xlsx", "buffer": form_workbook(
        [row(1, "郑明", make_id(151, gender="M"), "13900000151")]), "mimeType": "application/octet-stream"}])
    page.click("#staff-bulk-submit")
    expect(page.locator("#staff-bulk-table")).to_contain_text(unit.name)
    expect(page.locator("#staff-bulk-table progress")).to_be_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"staff-bulk-{engine}.png"), full_page=True)
    context.close()
