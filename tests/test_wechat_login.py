"""Logging in with WeChat: official-account OAuth and mini-program login, against the sandbox."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app import consents
from app.accounts.models import User
from app.wechat.models import WechatIdentity
from app.wechat.schemas import MiniLoginOut
from tests.conftest import sms_code_for


def _query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _start_oauth(client, next_path="/account"):
    resp = client.get(f"/wechat/login?next={next_path}")
    assert resp.status_code == 302
    return resp.headers["Location"]


def _code_for(sandbox_api, uid, scope):
    return sandbox_api.post("/oauth/code", {"uid": uid, "scope": scope})["code"]


def _csrf(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def wx_user(sandbox_api):
    return sandbox_api.post("/users", {"nickname": "小王"})


def test_oauth_redirect_points_at_the_consent_page(client, sandbox, app):
    location = _start_oauth(client)
    assert location.startswith(sandbox.url + "/connect/oauth2/authorize?")
    q = _query(location)
    assert q["appid"] == app.config["WECHAT_MP_APPID"] and q["scope"] == "snsapi_base"
    assert q["redirect_uri"].endswith("/wechat/oauth/callback") and q["state"]


def test_new_wechat_user_binds_once_then_logs_straight_in(client, app, sandbox_api, wx_user, registered):
    state = _query(_start_oauth(client))["state"]
    code = _code_for(sandbox_api, wx_user["uid"], "snsapi_base")
    resp = client.get(f"/wechat/oauth/callback?code={code}&state={state}")
    # Unknown person: ask for the profile (consent page) to greet them.
    assert resp.status_code == 302 and "scope=snsapi_userinfo" in resp.headers["Location"]
    state = _query(resp.headers["Location"])["state"]
    code = _code_for(sandbox_api, wx_user["uid"], "snsapi_userinfo")
    resp = client.get(f"/wechat/oauth/callback?code={code}&state={state}")
    assert resp.headers["Location"] == "/wechat/bind"
    assert "小王" in client.get("/wechat/bind").get_data(as_text=True)

    token = _csrf(client, "/login")
    resp = client.post("/login?next=/account", data={"username": registered["mobile"], "password": "Secret123",
                                                       "csrf_token": token})
    assert resp.status_code == 302
    identity = WechatIdentity.get(WechatIdentity.appid == app.config["WECHAT_MP_APPID"])
    assert identity.user_id == User.get().id and identity.nickname == "小王"
    assert "已绑定" in client.get("/account").get_data(as_text=True)

    # Next time, from another phone session: silent OAuth, straight into the account.
    other = app.test_client()
    state = _query(_start_oauth(other))["state"]
    code = _code_for(sandbox_api, wx_user["uid"], "snsapi_base")
    resp = other.get(f"/wechat/oauth/callback?code={code}&state={state}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/account"
    assert other.get("/api/v1/me").get_json()["data"]["name"] == "张三"


def test_reused_code_gives_a_clear_error(client, app, sandbox_api, wx_user, registered):
    state = _query(_start_oauth(client))["state"]
    code = _code_for(sandbox_api, wx_user["uid"], "snsapi_base")
    client.get(f"/wechat/oauth/callback?code={code}&state={state}")
    state = _query(_start_oauth(client))["state"]
    resp = client.get(f"/wechat/oauth/callback?code={code}&state={state}")
    assert resp.status_code == 400 and "微信授权码已使用" in resp.get_data(as_text=True)


def test_callback_without_our_state_is_refused(client, sandbox_api, wx_user):
    code = _code_for(sandbox_api, wx_user["uid"], "snsapi_base")
    resp = client.get(f"/wechat/oauth/callback?code={code}&state=forged")
    assert resp.status_code == 400 and "微信登录已过期" in resp.get_data(as_text=True)


def test_refused_consent(client):
    state = _query(_start_oauth(client))["state"]
    resp = client.get(f"/wechat/oauth/callback?state={state}")
    assert resp.status_code == 200 and "您取消了微信授权" in resp.get_data(as_text=True)


def as_documented(data):
    """The login answer validates against its documented model and has no field the model lacks
    (the model once declared a `nickname` never sent and missed the `user` of a bound login)."""
    MiniLoginOut.model_validate(data, strict=True)
    return set(data) <= set(MiniLoginOut.model_fields)


def test_mini_program_login_bind_and_return(api, sandbox_api, registered):
    wx = sandbox_api.post("/jscode", {"nickname": "小李"})
    status, body = api.post("/wechat/mini/login", {"code": wx["code"]})
    assert status == 200 and body["data"]["bound"] is False and body["data"]["bind_ticket"]
    assert "session_key" not in str(body) and as_documented(body["data"])
    ticket = body["data"]["bind_ticket"]
    status, body = api.post("/wechat/mini/bind", {"bind_ticket": ticket, "username": registered["mobile"],
                                                  "password": "wrong-pass1"})
    assert status == 401
    status, body = api.post("/wechat/mini/bind", {"bind_ticket": ticket, "username": registered["mobile"],
                                                  "password": "Secret123"})
    assert status == 200 and body["data"]["token"]
    # Reusing the wx.login code fails clearly; a fresh code logs straight in.
    status, body = api.post("/wechat/mini/login", {"code": wx["code"]})
    assert status == 422 and "登录凭证已使用" in body["message"]
    again = sandbox_api.post("/jscode", {"uid": wx["uid"]})
    status, body = api.post("/wechat/mini/login", {"code": again["code"]})
    assert body["data"]["bound"] is True and body["data"]["user"]["name"] == "张三"
    assert as_documented(body["data"])
    token = body["data"]["token"]
    resp = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200


def test_mini_program_register(api, sandbox_api, learner_data):
    wx = sandbox_api.post("/jscode", {"nickname": "小赵"})
    ticket = api.post("/wechat/mini/login", {"code": wx["code"]})[1]["data"]["bind_ticket"]
    status, body = api.post("/wechat/mini/register", {**learner_data, "bind_ticket": ticket,
                                                       "consents": consents.current(), "sms_code": "000000"})
    assert status == 422 and User.select().count() == 0  # no code asked for yet
    api.post("/auth/register-code", {"mobile": learner_data["mobile"]})
    code = sms_code_for(api.client.application, learner_data["mobile"], "注册账号")
    status, body = api.post("/wechat/mini/register", {**learner_data, "bind_ticket": ticket,
                                                       "consents": consents.current(), "sms_code": code})
    assert status == 200 and body["data"]["token"]
    assert WechatIdentity.get().user_id == User.get().id


def test_one_person_one_account_across_both_apps(client, api, app, sandbox_api, wx_user, registered):
    """Bound on the official account; the same person's mini-program login finds the account by unionid."""
    state = _query(_start_oauth(client))["state"]
    resp = client.get(f"/wechat/oauth/callback?code={_code_for(sandbox_api, wx_user['uid'], 'snsapi_base')}"
                      f"&state={state}")
    state = _query(resp.headers["Location"])["state"]  # asked again with snsapi_userinfo
    code = _code_for(sandbox_api, wx_user["uid"], "snsapi_userinfo")
    assert client.get(f"/wechat/oauth/callback?code={code}&state={state}").headers["Location"] == "/wechat/bind"
    token = _csrf(client, "/login")
    client.post("/login", data={"username": registered["mobile"], "password": "Secret123", "csrf_token": token})

    wx = sandbox_api.post("/jscode", {"uid": wx_user["uid"]})
    status, body = api.post("/wechat/mini/login", {"code": wx["code"]})
    assert status == 200 and body["data"]["bound"] is True
    assert WechatIdentity.select().where(WechatIdentity.user == User.get().id).count() == 2
    assert User.select().count() == 1


def test_an_account_binds_one_openid_per_app(api, sandbox_api, registered):
    first = sandbox_api.post("/jscode", {"nickname": "甲"})
    ticket = api.post("/wechat/mini/login", {"code": first["code"]})[1]["data"]["bind_ticket"]
    api.post("/wechat/mini/bind", {"bind_ticket": ticket, "username": registered["mobile"], "password": "Secret123"})
    second = sandbox_api.post("/jscode", {"nickname": "乙"})
    ticket = api.post("/wechat/mini/login", {"code": second["code"]})[1]["data"]["bind_ticket"]
    status, body = api.post("/wechat/mini/bind", {"bind_ticket": ticket, "username": registered["mobile"],
                                                  "password": "Secret123"})
    assert status == 409 and "已绑定其他微信" in body["message"]


def test_expired_bind_ticket(api):
    status, body = api.post("/wechat/mini/bind", {"bind_ticket": "nope", "username": "x", "password": "y"})
    assert status == 422 and "重新进入小程序" in body["message"]
