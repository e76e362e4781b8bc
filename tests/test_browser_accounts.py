"""In headless Chromium: register, log out, fail a login, reset by SMS, log in with the new password."""
import re

import pytest
from playwright.sync_api import expect

from app.jobs import drain
from tests.conftest import sms_code_for

pytestmark = pytest.mark.browser


def test_register_logout_fail_reset_login(app, live_server, page, shots, engine):
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(live_server + "/register")
    page.screenshot(path=str(shots / f"register-{engine}.png"), full_page=True)
    expect(page.locator("#contact")).to_contain_text("学习技术咨询：400-618-7500")
    page.fill("#f-name", "张三")
    page.fill("#f-id_number", "50010319900307765")  # one digit short
    page.check("#gender-m")
    page.fill("#f-mobile", "13800000001")
    page.fill("#f-password", "Secret123")
    page.fill("#f-password2", "Secret123")
    page.check("#f-confirm")
    page.click("#submit")
    expect(page.locator(".field-error").first).to_contain_text("身份证号应为 18 位")
    expect(page.locator("#form-error")).to_contain_text("另有 1 处需修改")  # every problem is counted
    expect(page.locator("#f-name")).to_have_value("张三")  # what was typed is kept

    page.fill("#f-id_number", "500103199003077657")
    page.click("#get-register-code")  # the mobile is proven by an SMS code; the form comes back as typed
    expect(page.locator(".toptips.ok")).to_contain_text("验证码已发送")
    expect(page.locator("#f-name")).to_have_value("张三")
    page.fill("#f-sms_code", sms_code_for(app, "13800000001", "注册账号"))
    page.fill("#f-password", "Secret123")
    page.fill("#f-password2", "Secret123")
    page.click("#submit")
    expect(page.locator("#form-error")).to_contain_text("请阅读并同意《个人信息保护政策》")
    page.screenshot(path=str(shots / f"register-consents-{engine}.png"), full_page=True)
    page.fill("#f-password", "Secret123")
    page.fill("#f-password2", "Secret123")
    page.check("#f-consent-privacy")
    page.check("#f-consent-sensitive_pi")
    page.click("#submit")
    expect(page.locator("#id-number")).to_have_text("5001**********7657")
    expect(page.locator("#mobile")).to_have_text("138****0001")
    page.screenshot(path=str(shots / f"account-{engine}.png"))

    page.click("#logout")
    expect(page.locator(".toptips.ok")).to_contain_text("您已安全退出")
    page.fill("#f-username", "500103199003077657")
    page.fill("#f-password", "Wrong-pass1")
    page.click("#submit")
    expect(page.locator("#form-error")).to_contain_text("用户名或密码错误")

    page.locator("#form-error a").click()  # "forgot password" offered with the error
    page.fill("#f-mobile", "13800000001")
    page.click("#submit-code")
    expect(page.locator(".toptips.ok")).to_contain_text("验证码已发送")

    drain(app)  # the SMS goes out through the job queue, as the worker would send it
    outbox = page.context.new_page()
    outbox.goto(live_server + "/dev/sms")
    match = re.search(r"验证码 (\d{6})", outbox.locator("#outbox").inner_text())
    assert match, "no SMS in the outbox"
    code = match.group(1)
    expect(outbox.locator("#outbox")).to_contain_text("138****0001")
    outbox.close()

    page.fill("#f-code", code)
    page.fill("#f-password", "NewSecret456")
    page.click("#submit-reset")
    expect(page.locator(".toptips.ok")).to_contain_text("密码已重置")
    expect(page.locator("#f-username")).to_have_value("13800000001")
    page.fill("#f-password", "NewSecret456")
    page.click("#submit")
    expect(page.locator("#profile")).to_contain_text("张三")
    page.set_viewport_size({"width": 1280, "height": 900})  # and on a PC
    page.screenshot(path=str(shots / f"account-pc-{engine}.png"), full_page=True)
