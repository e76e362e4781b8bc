"""In headless Chromium: log in "with WeChat" through the sandbox's consent page, bind once, come back."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_wechat_login_through_the_consent_page(app, live_server, sandbox, page, api, registered, shots, engine):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/login")
    page.click("#wechat-login")
    # The sandbox's consent page: this phone's WeChat user is not known yet, so create one.
    expect(page).to_have_url(re.compile(re.escape(sandbox.url + "/connect/oauth2/authorize?") + ".*"))
    page.fill("input[name=nickname]", "小明")
    page.click("button[value=allow]")
    # A new person: the platform asks for the profile (snsapi_userinfo), the consent screen shows.
    expect(page.locator("h2")).to_have_text("申请获取你的昵称、头像")
    page.screenshot(path=str(shots / f"wechat-consent-{engine}.png"))
    page.click("button[value=allow]")
    expect(page.locator(".hd h1")).to_contain_text("欢迎，小明")
    page.click("#bind-login")
    page.fill("#f-username", registered["mobile"])
    page.fill("#f-password", "Secret123")
    page.click("#submit")
    expect(page.locator("#wechat-bound")).to_contain_text("已绑定")
    expect(page.locator(".toptips.ok")).to_contain_text("已绑定微信")

    page.click("#logout")
    # Next time from the official account menu: silent OAuth, straight into the account.
    page.goto(live_server + "/wechat/login?next=/account")
    expect(page.locator("#profile")).to_contain_text("张三")
    page.screenshot(path=str(shots / f"wechat-account-{engine}.png"), full_page=True)
