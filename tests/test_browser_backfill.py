"""In headless Chromium at phone width: 补学 with two screenshots approved by a reviewer on a PC, the
chapter watched and that year's certificate printed; the commitment letter rejected with a reason,
corrected and approved; six files refused with nothing stored. No learner page scrolls sideways."""
import time

import pytest
from playwright.sync_api import expect

from app.backfill.models import BackfillApplication, BackfillImage
from app.certs import orgs
from app.certs.models import Certificate
from app.learning.flush import flush_dirty
from app.learning.models import Chapter, Course, Enrollment
from tests.backfill_fixtures import earlier_year, photo_with_gps, screenshot
from tests.staff_fixtures import make_staff_member
from tests.test_browser_purchase import _login
from tests.test_browser_units import no_sideways_scroll

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
PC = {"width": 1366, "height": 900}


def csp_watch(page):
    """Console errors about the Content Security Policy (inline styles or scripts) seen on this page."""
    problems = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    return problems


def files(tmp_path, count, prefix="shot"):
    paths = []
    for n in range(count):
        path = tmp_path / f"{prefix}{n}.png"
        path.write_bytes(screenshot(f"order {n}"))
        paths.append(str(path))
    return paths


def reviewer_page(app, browser, live_server):
    make_staff_member(app, ("reviewer",), i=931, name="审核员丙")
    pc = browser.new_context(viewport=PC).new_page()
    problems = csp_watch(pc)
    pc.goto(live_server + "/login")
    pc.fill("#f-username", "staff931")
    pc.fill("#f-password", "Secret123")
    pc.click("#submit")
    return pc, problems


def review(pc, live_server, action, reason_code=None, reason=""):
    pc.goto(live_server + "/staff/backfill/")
    pc.click("#backfill-queue tbody a")
    expect(pc.locator("#backfill-images img").first).to_be_visible()
    pc.click(f"#act-{action}")
    if reason_code:
        pc.select_option("#f-reason_code", reason_code)
        pc.fill("#f-reason", reason)
    pc.click(f"#confirm-{action}")
    expect(pc.locator("#application-state")).to_have_text("已通过" if action == "approve" else "未通过")


def test_screenshots_approved_then_watch_and_print(app, live_server, browser, registered, shots, engine, tmp_path):
    project = earlier_year(2015, chapters=((12,),), course_hours=30)
    orgs.add_unit("重庆示范建筑设计研究院（演示）", "500103")
    phone = browser.new_context(viewport=PHONE).new_page()
    csp = csp_watch(phone)
    _login(phone, live_server, registered["mobile"])
    phone.goto(f"{live_server}/projects/{project.id}")
    phone.click("#apply-backfill")

    # Six files at once: refused, nothing stored.
    phone.fill("#f-order", "JX2015-000123")
    phone.fill("#f-payer", "张三")
    phone.fill("#f-paid", "2015-06-18")
    phone.fill("#f-platform", "某继续教育网")
    phone.set_input_files("#f-files", files(tmp_path, 6))
    phone.click("#submit")
    expect(phone.locator("#form-error")).to_contain_text("每份申请最多 5 张图片")
    assert BackfillImage.select().count() == 0 and BackfillApplication.select().count() == 0
    expect(phone.locator("#f-order")).to_have_value("JX2015-000123")  # nothing typed is lost

    phone.set_input_files("#f-files", files(tmp_path, 2))
    phone.screenshot(path=str(shots / f"backfill-form-390-{engine}.png"), full_page=True)
    no_sideways_scroll(phone)
    phone.click("#submit")
    year = phone.locator("#backfill-years [data-year='2015']")
    expect(year.locator(".tag")).to_have_text("待审核")
    expect(year.locator("a")).to_have_count(0)  # nothing more to send while it is reviewed
    phone.goto(f"{live_server}/backfill/{project.id}/apply")
    expect(phone.locator(".toptips.ok", has_text="正在审核中，请等待审核结果")).to_be_visible()
    assert phone.url == live_server + "/backfill"
    due = BackfillApplication.get().due_on.isoformat()
    expect(year).to_contain_text(f"预计 {due} 前审核完毕")
    phone.screenshot(path=str(shots / f"backfill-pending-390-{engine}.png"), full_page=True)
    no_sideways_scroll(phone)

    pc, pc_csp = reviewer_page(app, browser, live_server)
    pc.goto(live_server + "/staff/backfill/")
    expect(pc.locator("#backfill-queue")).to_contain_text("张三")
    pc.screenshot(path=str(shots / f"backfill-queue-1366-{engine}.png"), full_page=True)
    pc.click("#backfill-queue tbody a")
    images = pc.locator("#backfill-images img")
    expect(images).to_have_count(2)
    assert all(pc.evaluate("(img) => img.naturalWidth", images.nth(i).element_handle()) > 0 for i in range(2))
    boxes = [images.nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[1]["x"] > boxes[0]["x"] + boxes[0]["width"]  # side by side
    pc.screenshot(path=str(shots / f"backfill-review-1366-{engine}.png"), full_page=True)
    review(pc, live_server, "approve")
    assert Enrollment.get().source == "backfill"

    # The learner studies at once: the chapter plays at 1x to the end, the plan completes.
    phone.goto(live_server + "/backfill")
    expect(year.locator(".tag")).to_have_text("已开通")
    chapter = Chapter.get(Chapter.course == Course.get(Course.project == project.id).id)
    phone.goto(f"{live_server}/learning/chapters/{chapter.id}")
    phone.wait_for_selector("#player[data-session]")
    phone.evaluate("document.getElementById('video').play()")
    deadline = time.monotonic() + 40
    while not phone.locator("#done").is_visible():
        assert time.monotonic() < deadline, "the chapter did not complete"
        phone.wait_for_timeout(300)
    flush_dirty()

    phone.goto(live_server + "/certs")
    plan = phone.locator(f"#plan-{project.id}")
    expect(plan).to_have_attribute("data-state", "need_profile")
    phone.click(f"#complete-{project.id}")
    phone.fill("#f-q", "建筑设计")
    phone.click("#search")
    phone.check("#unit-list input[type=radio]")
    phone.check("#f-confirm")
    phone.click("#save-profile")
    phone.click(f"#print-{project.id}")
    expect(plan).to_have_attribute("data-state", "issued")
    assert Certificate.get().number.startswith("CE2015-")
    phone.screenshot(path=str(shots / f"backfill-certificate-390-{engine}.png"), full_page=True)
    assert csp == [] and pc_csp == []


def test_letter_rejected_corrected_and_approved(app, live_server, browser, registered, shots, engine, tmp_path):
    project = earlier_year(2013)
    phone = browser.new_context(viewport=PHONE).new_page()
    csp = csp_watch(phone)
    _login(phone, live_server, registered["mobile"])
    phone.goto(live_server + "/")
    expect(phone.locator(f"#catalogue [data-project='{project.id}']")).to_have_count(0)  # one card for all years
    card = phone.locator("#catalogue-backfill")
    expect(card).to_contain_text("可申请补学")
    expect(card).to_contain_text("2013")
    expect(card).not_to_contain_text("¥")
    phone.screenshot(path=str(shots / f"backfill-home-390-{engine}.png"), full_page=True)
    no_sideways_scroll(phone)
    phone.click("#home-backfill")
    phone.click("#backfill-years [data-year='2013'] a")
    phone.check("#kind-letter")
    expect(phone.locator("#f-order")).to_be_hidden()
    with phone.expect_download() as download:
        phone.click("#letter-link")
    assert download.value.suggested_filename == "commitment-2013.pdf"
    photo = tmp_path / "signed.jpg"
    photo.write_bytes(photo_with_gps())
    phone.set_input_files("#f-files", [str(photo)])
    phone.screenshot(path=str(shots / f"backfill-letter-390-{engine}.png"), full_page=True)
    no_sideways_scroll(phone)
    phone.click("#submit")
    year = phone.locator("#backfill-years [data-year='2013']")
    expect(year.locator(".tag")).to_have_text("待审核")

    pc, pc_csp = reviewer_page(app, browser, live_server)
    review(pc, live_server, "reject", "not_signed", "签名处空白")
    phone.goto(live_server + "/backfill")
    expect(year.locator(".tag")).to_have_text("未通过")
    expect(year).to_contain_text("未通过原因：承诺书未签字或签字与姓名不符；签名处空白")
    phone.screenshot(path=str(shots / f"backfill-rejected-390-{engine}.png"), full_page=True)
    no_sideways_scroll(phone)

    year.locator("a").click()
    expect(phone.locator("#last-reason")).to_contain_text("签名处空白")
    expect(phone.locator("#kind-letter")).to_be_checked()
    phone.set_input_files("#f-files", files(tmp_path, 1, "signed-again"))
    phone.click("#submit")
    expect(year.locator(".tag")).to_have_text("待审核")
    review(pc, live_server, "approve")
    phone.goto(live_server + "/backfill")
    expect(year.locator(".tag")).to_have_text("已开通")
    assert (Enrollment.get().project_id, Enrollment.get().source) == (project.id, "backfill")
    assert BackfillApplication.get().submissions == 2
    assert csp == [] and pc_csp == []
