"""Headless Chromium at a PC width: service desk and reviewer staff at work in the console.

Find a learner by ID number, correct the name (the certificate is re-issued and the learner told),
unlock the account, revoke a certificate. The server records every request path it saw: none holds
an ID number or a mobile.
"""
import re

import pytest
from playwright.sync_api import expect

from app.accounts import sms
from app.certs.models import Certificate
from app.masking import ID_RE, MOBILE_RE
from app.staff.models import AuditEntry
from app.wechat.models import WechatMessage
from tests.certs_fixtures import finished_learner, issued
from tests.learning_fixtures import PASSWORD, make_id, make_learner
from tests.staff_fixtures import make_staff_member

pytestmark = pytest.mark.browser
PC = {"width": 1366, "height": 900}


@pytest.fixture
def seen_paths(app):
    """Every path and query string the server receives, recorded before anything is logged or masked."""
    paths = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        paths.append(environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", ""))
        return inner(environ, start_response)

    app.wsgi_app = recording
    yield paths
    app.wsgi_app = inner


def _login(page, live_server, username):
    page.goto(live_server + "/login?next=/staff/")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("#submit")
    expect(page.locator("#staff-who")).to_be_visible()


def test_service_desk_and_reviewer_in_the_console(app, seen_paths, live_server, page, shots, engine, drain):
    make_staff_member(app, ("service_desk", "reviewer"), name="客服小周")
    make_learner(app, i=31)
    user, project = finished_learner("学员31")
    old = issued(user, project)
    page.set_viewport_size(PC)
    _login(page, live_server, "staff900")
    expect(page.locator("#sections [data-section=people]")).to_be_visible()
    page.screenshot(path=str(shots / f"staff-home-{engine}.png"), full_page=True)

    # Find the learner by ID number.
    page.click("#nav-people")
    page.select_option("#f-kind", "id_number")
    page.fill("#f-q", make_id(31))
    page.keyboard.press("Enter")
    expect(page.locator("#person-name")).to_contain_text("学员31")
    expect(page.locator("#person-facts")).to_contain_text("5001**********")
    assert make_id(31) not in page.content()
    page.screenshot(path=str(shots / f"staff-person-{engine}.png"), full_page=True)

    # Correct the name: the confirmation says exactly what will happen, then the certificate is re-issued.
    page.click("#correct-link")
    page.fill("#f-name", "李四")
    page.fill("#f-reason", "学员提供身份证复印件，登记姓名有误")
    page.click("#correct-form button[type=submit]")
    expect(page.locator("#confirm-form")).to_contain_text("学员31 → 李四")
    expect(page.locator("#confirm-form")).to_contain_text(old.number)
    page.screenshot(path=str(shots / f"staff-correct-confirm-{engine}.png"), full_page=True)
    page.click("#confirm-form button[type=submit]")
    new = Certificate.get(Certificate.user == user.id, Certificate.status == "valid")
    expect(page.locator(".flash-ok")).to_contain_text(f"证书已换发：{new.number}")
    expect(page.locator("#person-name")).to_contain_text("李四")
    expect(page.locator("#certificates")).to_contain_text(new.number)
    assert (new.name, Certificate.get_by_id(old.id).status) == ("李四", "replaced")
    drain()
    told = sms.read_outbox()[0]
    assert told["mobile"] == "13700000031" and new.number in told["text"]
    assert WechatMessage.get(WechatMessage.event_key == f"certificate-ready:{new.id}").user_id == user.id

    # Unlock an account locked by failed logins.
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        app.test_client().post("/api/v1/auth/login", json={"username": "13700000031", "password": "Wrong1234"})
    page.reload()
    expect(page.locator("#locked-tag")).to_be_visible()
    page.click("#act-unlock")
    expect(page.locator(".flash-ok")).to_contain_text("已解除登录锁定")
    expect(page.locator("#locked-tag")).to_have_count(0)
    resp = app.test_client().post("/api/v1/auth/login", json={"username": "13700000031", "password": PASSWORD})
    assert resp.status_code == 200

    # Revoke the new certificate, with its confirmation and a reason.
    page.click(f"#certificates a:text('{new.number}')")
    page.click("#act-revoke")
    expect(page.locator("#confirm-form")).to_contain_text("证书立即失效")
    page.click("#confirm-form button[type=submit]")  # without a reason: refused inline
    expect(page.locator("#cert-status")).to_have_text("有效")
    page.fill("#f-reason", "学时记录存疑，核查中")
    page.screenshot(path=str(shots / f"staff-revoke-confirm-{engine}.png"), full_page=True)
    page.click("#confirm-form button[type=submit]")
    expect(page.locator("#cert-status")).to_have_text("已撤销")
    assert Certificate.get_by_id(new.id).status == "revoked"
    page.screenshot(path=str(shots / f"staff-certificate-{engine}.png"), full_page=True)

    actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert actions == ["person.search", "person.correct", "certificate.reissue", "person.unlock",
                       "certificate.revoke"]
    # No ID number or mobile in any URL the console was asked for.
    console = [p for p in seen_paths if p.startswith("/staff")]
    assert len(console) > 8
    for path in seen_paths:
        assert not ID_RE.search(path) and not MOBILE_RE.search(path), path
        assert make_id(31) not in path and "13700000031" not in path


def test_audit_log_page_for_an_administrator(app, live_server, page, shots, engine):
    admin = make_staff_member(app, ("admin",), name="管理员老王")
    learner = make_learner(app, i=32).user
    admin.post(f"/staff/people/{learner.id}/reveal")
    admin.post("/staff/roles/grant", {"who": "13700000032", "role": "finance"})
    page.set_viewport_size(PC)
    _login(page, live_server, "staff900")
    page.click("#nav-audit")
    rows = page.locator("#audit-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("授予角色")
    expect(rows.nth(1)).to_contain_text("查看完整身份证号")
    assert not re.search(r"\d{17}[\dX]", page.content())
    page.screenshot(path=str(shots / f"staff-audit-{engine}.png"), full_page=True)
    page.click("#nav-roles")
    expect(page.locator("#members")).to_contain_text("学员32")
    page.screenshot(path=str(shots / f"staff-roles-{engine}.png"), full_page=True)


def test_integrity_ranking_and_search_errors_at_pc_width(app, live_server, page, shots, engine):
    from app.learning.models import LearningEvent

    make_staff_member(app, ("service_desk", "reviewer"))
    busy = make_learner(app, i=33).user
    for reason in ["replay", "too_fast", "prompt_wrong", "prompt_failed"]:
        LearningEvent.create(user=busy.id, reason=reason, detail="seq 3 after 3")
    page.set_viewport_size(PC)
    _login(page, live_server, "staff900")
    page.click("#nav-integrity")
    expect(page.locator("#integrity-table tbody tr")).to_have_count(1)
    expect(page.locator("#integrity-table")).to_contain_text("学员33")
    page.screenshot(path=str(shots / f"staff-integrity-{engine}.png"), full_page=True)
    page.click("#integrity-table a:text('学员33')")
    expect(page.locator("#events-table tbody tr")).to_have_count(4)
    page.click("#nav-people")
    page.select_option("#f-kind", "id_number")
    page.fill("#f-q", "50010319")
    page.keyboard.press("Enter")
    expect(page.locator("#err-q")).to_be_visible()
    page.screenshot(path=str(shots / f"staff-people-error-{engine}.png"), full_page=True)
