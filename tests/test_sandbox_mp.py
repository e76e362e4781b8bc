"""The WeChat sandbox's official-account / mini-program side, driven by the real wechatpy SDK over HTTP:
tokens, web OAuth, mini-program login, menu, ticket and user info, the control API and the overview page
(messages and pushes: test_sandbox_mp_messages.py)."""
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from wechatpy.exceptions import WeChatClientException, WeChatOAuthException

from app.wechat.sandbox.mp import TEMPLATE_IDS
from tests.sandbox_fixtures import PAID, REDIRECT_URI, sandbox_client, sandbox_oauth  # noqa: F401
from tests.sandbox_fixtures import clean_sandbox as clean_sandbox  # noqa: F401  (autouse)
from tests.sandbox_fixtures import control as control  # noqa: F401  (fixtures the tests take)
from tests.sandbox_fixtures import mini_client as mini_client  # noqa: F401
from tests.sandbox_fixtures import mp_client as mp_client  # noqa: F401
from tests.sandbox_fixtures import mp_openid as mp_openid  # noqa: F401
from tests.sandbox_fixtures import receiver as receiver  # noqa: F401

# ---- access tokens -------------------------------------------------------------------------------

def test_client_token_is_fetched_once_and_old_tokens_stay_valid(sandbox, mp_client, control):
    first = mp_client.access_token
    assert len(first) > 100 and mp_client.access_token == first  # cached by wechatpy
    assert control.get("/token-fetches", appid=mp_client.appid)["count"] == 1
    second = mp_client.fetch_access_token()["access_token"]
    assert second != first
    assert control.get("/token-fetches", appid=mp_client.appid)["count"] == 2
    old = sandbox_client(sandbox.url, mp_client.appid, mp_client.secret, access_token=first)
    assert old.menu.get() is None  # 46003 (no menu) rather than a token error: the old token still works
    assert control.get("/token-fetches", appid=mp_client.appid)["count"] == 2


def test_token_errors(sandbox, mp_client):
    wrong = sandbox_client(sandbox.url, mp_client.appid, "wrong-secret")
    with pytest.raises(WeChatClientException) as exc:
        wrong.fetch_access_token()
    assert exc.value.errcode == 40125
    with pytest.raises(WeChatClientException) as exc:
        sandbox_client(sandbox.url, "wx_unknown_app", "x").fetch_access_token()
    assert exc.value.errcode == 40013
    token_url = sandbox.url + "/cgi-bin/token"
    assert requests.get(token_url, params={"appid": mp_client.appid, "secret": mp_client.secret},
                        timeout=5).json()["errcode"] == 40002
    assert requests.get(token_url, params={"grant_type": "client_credential", "appid": mp_client.appid},
                        timeout=5).json()["errcode"] == 41004
    body = requests.get(token_url, params={"grant_type": "client_credential", "secret": "x"}, timeout=5).json()
    assert body["errcode"] == 41002 and " rid: " in body["errmsg"]


def test_missing_and_unknown_access_token(sandbox, mp_client, control):
    menu_url = sandbox.url + "/cgi-bin/menu/get"
    assert requests.get(menu_url, timeout=5).json()["errcode"] == 41001
    assert requests.get(menu_url, params={"access_token": "nope"}, timeout=5).json()["errcode"] == 40001
    # wechatpy handles 40001 itself: it fetches a token and retries.
    stale = sandbox_client(sandbox.url, mp_client.appid, mp_client.secret, access_token="nope")
    assert stale.menu.get() is None
    assert control.get("/token-fetches", appid=mp_client.appid)["count"] == 1


def test_expired_token_answers_42001_and_wechatpy_refetches(sandbox, mp_client, control):
    token = mp_client.access_token
    assert control.post("/tokens/expire", appid=mp_client.appid)["expired"] == 1
    answer = requests.get(sandbox.url + "/cgi-bin/menu/get", params={"access_token": token}, timeout=5).json()
    assert answer["errcode"] == 42001
    assert mp_client.menu.get() is None  # retried with a fresh token
    assert mp_client.access_token != token
    assert control.get("/token-fetches", appid=mp_client.appid)["count"] == 2


def test_mini_program_token_cannot_send_template_messages(mini_client, mp_openid):
    with pytest.raises(WeChatClientException) as exc:
        mini_client.message.send_template(mp_openid, TEMPLATE_IDS["purchase_paid"], {"thing1": {"value": "x"}})
    assert exc.value.errcode == 48001


# ---- web OAuth -----------------------------------------------------------------------------------

def test_oauth_userinfo_scope(sandbox, control):
    user = control.post("/users", nickname="王工程师")
    code = control.post("/oauth/code", uid=user["uid"], scope="snsapi_userinfo")["code"]
    oauth = sandbox_oauth(sandbox)
    tokens = oauth.fetch_access_token(code)
    assert tokens["openid"] == user["openids"][sandbox.app.config["WECHAT_MP_APPID"]]
    assert tokens["unionid"] == user["unionid"] and tokens["scope"] == "snsapi_userinfo"
    assert tokens["expires_in"] == 7200 and tokens["refresh_token"]
    info = oauth.get_user_info()
    assert info["nickname"] == "王工程师" and info["unionid"] == user["unionid"]
    assert info["privilege"] == [] and info["sex"] == 0 and info["headimgurl"].startswith("http")
    assert oauth.check_access_token()
    refreshed = oauth.refresh_access_token(tokens["refresh_token"])
    assert refreshed["access_token"] != tokens["access_token"] and refreshed["openid"] == tokens["openid"]
    with pytest.raises(WeChatOAuthException) as exc:
        oauth.get_user_info(openid="o-someone-else")
    assert exc.value.errcode == 40003


def test_oauth_base_scope_cannot_read_userinfo(sandbox, control):
    user = control.post("/users", nickname="赵会计")
    code = control.post("/oauth/code", uid=user["uid"], scope="snsapi_base")["code"]
    oauth = sandbox_oauth(sandbox, scope="snsapi_base")
    tokens = oauth.fetch_access_token(code)
    assert tokens["openid"] == user["openids"][sandbox.app.config["WECHAT_MP_APPID"]]
    assert "unionid" not in tokens and tokens["scope"] == "snsapi_base"
    with pytest.raises(WeChatOAuthException) as exc:
        oauth.get_user_info()
    assert exc.value.errcode == 48001


def test_oauth_code_is_single_use(sandbox, control):
    user = control.post("/users", nickname="孙护士")
    code = control.post("/oauth/code", uid=user["uid"], scope="snsapi_base")["code"]
    oauth = sandbox_oauth(sandbox, scope="snsapi_base")
    oauth.fetch_access_token(code)
    with pytest.raises(WeChatOAuthException) as exc:
        oauth.fetch_access_token(code)
    assert exc.value.errcode == 40163
    with pytest.raises(WeChatOAuthException) as exc:
        oauth.fetch_access_token("no-such-code")
    assert exc.value.errcode == 40029


def test_expired_oauth_token(sandbox, control):
    user = control.post("/users", nickname="周医生")
    oauth = sandbox_oauth(sandbox)
    oauth.fetch_access_token(control.post("/oauth/code", uid=user["uid"], scope="snsapi_userinfo")["code"])
    control.post("/tokens/expire", appid=sandbox.app.config["WECHAT_MP_APPID"], include_oauth=True)
    with pytest.raises(WeChatOAuthException) as exc:
        oauth.get_user_info()
    assert exc.value.errcode == 42001


def _query(location):
    parts = urlsplit(location)
    return parts, {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}


def test_consent_page_flow(sandbox):
    browser = sandbox.app.test_client()
    url = sandbox_oauth(sandbox).authorize_url
    assert url.startswith(sandbox.url + "/connect/oauth2/authorize?") and "scope=snsapi_userinfo" in url
    path = url[len(sandbox.url):].split("#")[0]
    page = browser.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("允许", "拒绝", "申请获取你的昵称、头像", sandbox.app.config["PLATFORM_NAME"], "#07C160"):
        assert text in html
    answer = browser.post(path, data={"action": "allow", "uid": "new", "nickname": "钱老师"})
    assert answer.status_code == 302
    parts, query = _query(answer.headers["Location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI.split("?")[0]
    assert query["next"] == "/me" and query["state"] == "st-1" and query["code"]
    assert browser.get_cookie("wxsb_uid") is not None
    oauth = sandbox_oauth(sandbox)
    oauth.fetch_access_token(query["code"])
    assert oauth.get_user_info()["nickname"] == "钱老师"

    # snsapi_base with the sandbox cookie set: a silent redirect, as in WeChat.
    base_path = sandbox_oauth(sandbox, scope="snsapi_base", state="s2").authorize_url[len(sandbox.url):]
    silent = browser.get(base_path.split("#")[0])
    assert silent.status_code == 302
    _, query = _query(silent.headers["Location"])
    assert query["state"] == "s2"
    tokens = sandbox_oauth(sandbox, scope="snsapi_base").fetch_access_token(query["code"])
    assert tokens["openid"] == oauth.open_id


def test_consent_page_existing_user_refusal_and_errors(sandbox, control):
    user = control.post("/users", nickname="吴会计")
    browser = sandbox.app.test_client()
    path = sandbox_oauth(sandbox).authorize_url[len(sandbox.url):].split("#")[0]
    assert "吴会计" in browser.get(path).get_data(as_text=True)
    chosen = browser.post(path, data={"action": "allow", "uid": user["uid"]})
    _, query = _query(chosen.headers["Location"])
    assert sandbox_oauth(sandbox).fetch_access_token(query["code"])["unionid"] == user["unionid"]

    refused = browser.post(path, data={"action": "deny", "uid": user["uid"]})
    assert refused.status_code == 302
    _, query = _query(refused.headers["Location"])
    assert query == {"next": "/me", "state": "st-1"}

    # snsapi_base without the cookie: the page (the sandbox must learn who the user is).
    fresh = sandbox.app.test_client()
    base_path = sandbox_oauth(sandbox, scope="snsapi_base").authorize_url[len(sandbox.url):].split("#")[0]
    assert fresh.get(base_path).status_code == 200

    unknown = fresh.get("/connect/oauth2/authorize?appid=wx_nope&redirect_uri=https%3A%2F%2Fa.example%2F"
                        "&response_type=code&scope=snsapi_base")
    assert unknown.status_code == 400 and "appid" in unknown.get_data(as_text=True)
    appid = sandbox.app.config["WECHAT_MP_APPID"]
    missing = fresh.get(f"/connect/oauth2/authorize?appid={appid}&response_type=code&scope=snsapi_base")
    assert missing.status_code == 400 and "redirect_uri" in missing.get_data(as_text=True)


# ---- mini-program login --------------------------------------------------------------------------

def test_code_to_session_is_single_use(sandbox, mini_client, control):
    login = control.post("/jscode", nickname="郑同学")
    session = mini_client.wxa.code_to_session(login["code"])
    assert session["openid"] == login["openid"]
    assert len(session["session_key"]) == 24
    user = next(u for u in control.get("/users") if u["uid"] == login["uid"])
    assert session["unionid"] == user["unionid"]
    assert user["openids"][mini_client.appid] == login["openid"]
    assert user["openids"][sandbox.app.config["WECHAT_MP_APPID"]] != login["openid"]
    with pytest.raises(WeChatClientException) as exc:
        mini_client.wxa.code_to_session(login["code"])
    assert exc.value.errcode == 40163
    with pytest.raises(WeChatClientException) as exc:
        mini_client.wxa.code_to_session("bogus")
    assert exc.value.errcode == 40029
    again = control.post("/jscode", uid=login["uid"])
    assert mini_client.wxa.code_to_session(again["code"])["openid"] == login["openid"]


# ---- menu, JS-SDK ticket, user info --------------------------------------------------------------

MENU = {"button": [
    {"type": "click", "name": "今日课程", "key": "TODAY"},
    {"name": "学习", "sub_button": [
        {"type": "view", "name": "我的课程", "url": "https://platform.example/me"},
        {"type": "miniprogram", "name": "小程序", "url": "https://platform.example/",
         "appid": "wxd0e0a000000mini1", "pagepath": "pages/index/index"}]}]}


def test_menu_create_get_delete(mp_client, control):
    assert mp_client.menu.get() is None
    mp_client.menu.create(MENU)
    assert mp_client.menu.get() == {"menu": MENU}
    assert control.get("/menu")["menu"] == MENU
    mp_client.menu.delete()
    assert mp_client.menu.get() is None


@pytest.mark.parametrize("menu, errcode", [
    ({"button": []}, 40016),
    ({"button": [{"type": "click", "name": "n", "key": "k"}] * 4}, 40016),
    ({"button": [{"type": "click", "name": "继续教育学习平台", "key": "k"}]}, 40018),  # 24 bytes
    ({"button": [{"type": "swipe", "name": "n", "key": "k"}]}, 40017),
    ({"button": [{"type": "click", "name": "n"}]}, 40019),
    ({"button": [{"name": "n", "sub_button": [{"type": "click", "name": "s", "key": "k"}] * 6}]}, 40023),
    ({"button": [{"name": "n", "sub_button": [{"type": "view", "name": "s"}]}]}, 40027),
])
def test_menu_validation(mp_client, menu, errcode):
    with pytest.raises(WeChatClientException) as exc:
        mp_client.menu.create(menu)
    assert exc.value.errcode == errcode


def test_jsapi_ticket(mp_client, control):
    answer = mp_client.jsapi.get_ticket()
    assert answer["errcode"] == 0 and answer["expires_in"] == 7200 and answer["ticket"]
    signature = mp_client.jsapi.get_jsapi_signature("nonce", answer["ticket"], 1700000000, "https://a.example/")
    assert len(signature) == 40
    assert control.get("/token-fetches")["ticket_fetches"] == 1


def test_user_info_follows_subscribe_state(mp_client, control, mp_openid):
    assert mp_client.user.get(mp_openid)["subscribe"] == 1
    uid = control.get("/users")[0]["uid"]
    control.post(f"/users/{uid}/unsubscribe")
    assert mp_client.user.get(mp_openid)["subscribe"] == 0


# ---- control endpoints and the overview page -----------------------------------------------------

def test_users_and_codes_from_control(sandbox, control):
    user = control.post("/users", nickname="褚工")
    assert set(user) >= {"uid", "nickname", "unionid", "openids"}
    assert set(user["openids"]) == {sandbox.app.config["WECHAT_MP_APPID"], sandbox.app.config["WECHAT_MINI_APPID"]}
    assert [u["uid"] for u in control.get("/users")] == [user["uid"]]
    login = control.post("/jscode")
    assert login["openid"] == control.get(f"/users/{login['uid']}")["openids"][sandbox.app.config["WECHAT_MINI_APPID"]]
    control.call("POST", "/jscode", expect=(400,), json={"appid": sandbox.app.config["WECHAT_MP_APPID"]})
    control.call("POST", "/oauth/code", expect=(400,), json={"uid": user["uid"], "scope": "snsapi_login"})
    control.call("POST", "/subscriptions", expect=(400,), json={"uid": user["uid"], "template_id": "nope"})
    control.call("GET", "/messages", expect=(400,), params={"kind": "sms"})
    control.call("POST", "/users/nobody/block", expect=(404,))


def test_overview_page(sandbox, mp_client, control, mp_openid):
    mp_client.menu.create(MENU)
    mp_client.message.send_template(mp_openid, TEMPLATE_IDS["purchase_paid"], PAID)
    html = requests.get(sandbox.url + "/_sandbox/", timeout=5).text
    for text in ("微信沙箱", "演示微信用户", "李老师", "公众号模板消息", "purchase_paid", "2024 年度公需科目",
                 "今日课程"):
        assert text in html
    created = requests.post(sandbox.url + "/_sandbox/users", data={"nickname": "表单用户"}, timeout=5)
    assert created.status_code == 200 and "表单用户" in created.text  # redirected back to the page
    avatar = requests.get(control.get("/users")[0]["headimgurl"], timeout=5)
    assert avatar.headers["Content-Type"].startswith("image/svg+xml")
