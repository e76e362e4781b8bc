"""The WeChat sandbox's official-account / mini-program side, driven by the real wechatpy SDK over HTTP."""
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
import requests
from flask import Flask, request
from wechatpy import WeChatClient, WeChatOAuth, create_reply, parse_message
from wechatpy.client.api.base import BaseWeChatAPI
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException, WeChatOAuthException
from wechatpy.utils import check_signature
from werkzeug.serving import make_server

from app.wechat.sandbox.mp import TEMPLATE_IDS

REDIRECT_URI = "https://platform.example/wechat/oauth/callback?next=/me"


# ---- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def clean_sandbox(sandbox):
    redis.Redis.from_url(sandbox.config["REDIS_URL"]).flushdb()


def sandbox_client(base, appid, secret, **kwargs):
    """Recipe A: wechatpy's WeChatClient pointed at the sandbox."""
    class SandboxClient(WeChatClient):
        API_BASE_URL = base + "/cgi-bin/"

        def fetch_access_token(self):
            return self._fetch_access_token(url=base + "/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

    client = SandboxClient(appid, secret, **kwargs)
    for api in list(vars(client).values()):
        api_base = getattr(api, "API_BASE_URL", None) if isinstance(api, BaseWeChatAPI) else None
        if isinstance(api_base, str) and api_base.startswith("https://api.weixin.qq.com/"):
            api.API_BASE_URL = api_base.replace("https://api.weixin.qq.com", base)
    return client


@pytest.fixture
def mp_client(sandbox):
    return sandbox_client(sandbox.url, sandbox.app.config["WECHAT_MP_APPID"], sandbox.app.config["WECHAT_MP_SECRET"])


@pytest.fixture
def mini_client(sandbox):
    config = sandbox.app.config
    return sandbox_client(sandbox.url, config["WECHAT_MINI_APPID"], config["WECHAT_MINI_SECRET"])


def sandbox_oauth(sandbox, scope="snsapi_userinfo", state="st-1"):
    oauth = WeChatOAuth(sandbox.app.config["WECHAT_MP_APPID"], sandbox.app.config["WECHAT_MP_SECRET"], REDIRECT_URI,
                        scope=scope, state=state)
    oauth.API_BASE_URL = sandbox.url + "/"
    oauth.OAUTH_BASE_URL = sandbox.url + "/connect/"
    return oauth


class Control:
    """The sandbox's /_sandbox/ endpoints over HTTP."""

    def __init__(self, base):
        self.base = base + "/_sandbox"
        self.http = requests.Session()

    def call(self, method, path, expect=(200, 201), **kwargs):
        resp = self.http.request(method, self.base + path, timeout=10, **kwargs)
        assert resp.status_code in expect, resp.text
        return resp.json()

    def get(self, path, **params):
        return self.call("GET", path, params=params)

    def post(self, path, **body):
        return self.call("POST", path, json=body)

    def delete(self, path, **params):
        return self.call("DELETE", path, params=params)


@pytest.fixture
def control(sandbox):
    return Control(sandbox.url)


@pytest.fixture
def mp_openid(sandbox, control):
    user = control.post("/users", nickname="李老师")
    return user["openids"][sandbox.app.config["WECHAT_MP_APPID"]]


@pytest.fixture(scope="module")
def receiver(sandbox):
    """A tiny official-account server written the way wechatpy's examples do; echoes text back."""
    config = sandbox.app.config
    token, aes_key, appid = config["WECHAT_MP_TOKEN"], config["WECHAT_MP_AES_KEY"], config["WECHAT_MP_APPID"]
    seen = []
    app = Flask("receiver")

    @app.route("/wechat", methods=["GET", "POST"])
    def wechat():
        args = request.args
        seen.append({"args": args.to_dict(), "body": request.get_data(as_text=True)})
        try:
            check_signature(token, args["signature"], args["timestamp"], args["nonce"])
        except InvalidSignatureException:
            return "bad signature", 403
        if request.method == "GET":
            return args["echostr"]
        crypto = WeChatCrypto(token, aes_key, appid)
        encrypted = args.get("encrypt_type") == "aes"
        xml = request.get_data()
        if encrypted:
            xml = crypto.decrypt_message(xml, args["msg_signature"], args["timestamp"], args["nonce"])
        msg = parse_message(xml)
        text = f"收到：{msg.content}" if msg.type == "text" else f"事件：{msg.event}"
        out = create_reply(text, msg).render()
        return crypto.encrypt_message(out, args["nonce"], args["timestamp"]) if encrypted else out

    @app.get("/broken")
    def broken():
        return "not-the-echostr"

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield type("Receiver", (), {"url": f"http://127.0.0.1:{server.server_port}", "seen": seen})
    server.shutdown()


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


# ---- template messages ---------------------------------------------------------------------------

PAID = {"thing1": {"value": "2024 年度公需科目"}, "amount2": {"value": "¥99.00"},
        "time3": {"value": "2024年05月01日 10:00"}, "character_string4": {"value": "P202405010001"}}


def test_template_ids_look_like_wechat_ids():
    assert set(TEMPLATE_IDS) == {"purchase_paid", "seat_granted", "course_completed", "plan_completed",
                                 "certificate_ready", "backfill_decided", "invoice_issued"}
    assert all(len(t) == 43 for t in TEMPLATE_IDS.values()) and len(set(TEMPLATE_IDS.values())) == 7


def test_template_send_is_recorded(mp_client, control, mp_openid):
    answer = mp_client.message.send_template(mp_openid, TEMPLATE_IDS["purchase_paid"], PAID,
                                             url="https://platform.example/orders/1")
    assert answer["errcode"] == 0 and isinstance(answer["msgid"], int)
    [sent] = control.get("/messages", kind="template")
    assert sent["msgid"] == answer["msgid"] and sent["touser"] == mp_openid and sent["nickname"] == "李老师"
    assert sent["template_name"] == "purchase_paid" and sent["data"] == PAID
    assert sent["url"] == "https://platform.example/orders/1"
    assert control.get("/messages", kind="subscribe") == []
    control.delete("/messages")
    assert control.get("/messages") == []


@pytest.mark.parametrize("data, errcode, errmsg", [
    ({"thing1": {"value": ""}}, 47003, "data.thing1.value is empty"),
    ({"thing1": {}}, 47003, "data.thing1.value is empty"),
    ({"thing1": {"value": "这是一个超过二十个字符的课程名称，真的很长很长"}}, 47003, "data.thing1.value invalid"),
    ({"phrase2": {"value": "已经支付成功"}}, 47003, "data.phrase2.value invalid"),
    ({"amount3": {"value": "九十九元"}}, 47003, "data.amount3.value invalid"),
    ({"number4": {"value": "12a"}}, 47003, "data.number4.value invalid"),
    ({"character_string5": {"value": "订单" + "1" * 10}}, 47003, "data.character_string5.value invalid"),
    ({}, 47001, "data format error"),
])
def test_template_data_checks(mp_client, mp_openid, data, errcode, errmsg):
    with pytest.raises(WeChatClientException) as exc:
        mp_client.message.send_template(mp_openid, TEMPLATE_IDS["seat_granted"], data)
    assert exc.value.errcode == errcode and errmsg in exc.value.errmsg


def test_template_wrong_openid_and_template(sandbox, mp_client, control, mp_openid):
    mini_openid = control.get("/users")[0]["openids"][sandbox.app.config["WECHAT_MINI_APPID"]]
    with pytest.raises(WeChatClientException) as exc:
        mp_client.message.send_template(mini_openid, TEMPLATE_IDS["purchase_paid"], PAID)
    assert exc.value.errcode == 40003
    with pytest.raises(WeChatClientException) as exc:
        mp_client.message.send_template(mp_openid, "TPL-unknown", PAID)
    assert exc.value.errcode == 40037
    assert control.get("/messages") == []


def test_template_refused_by_blocked_or_unsubscribed_user(mp_client, control, mp_openid):
    uid = control.get("/users")[0]["uid"]
    assert control.post(f"/users/{uid}/block")["blocked"] is True
    with pytest.raises(WeChatClientException) as exc:
        mp_client.message.send_template(mp_openid, TEMPLATE_IDS["course_completed"], PAID)
    assert exc.value.errcode == 43101
    control.post(f"/users/{uid}/unblock")
    mp_client.message.send_template(mp_openid, TEMPLATE_IDS["course_completed"], PAID)
    assert control.post(f"/users/{uid}/unsubscribe")["subscribed"] is False
    with pytest.raises(WeChatClientException) as exc:
        mp_client.message.send_template(mp_openid, TEMPLATE_IDS["course_completed"], PAID)
    assert exc.value.errcode == 43101
    assert len(control.get("/messages", kind="template")) == 1


# ---- subscribe messages --------------------------------------------------------------------------

def test_subscribe_send_consumes_one_grant(mini_client, mp_client, control):
    login = control.post("/jscode", nickname="冯同学")
    template_id = TEMPLATE_IDS["certificate_ready"]
    data = {"thing1": {"value": "2024 年度证书"}, "date2": {"value": "2024-05-01"}}
    with pytest.raises(WeChatClientException) as exc:
        mini_client.wxa.send_subscribe_message(login["openid"], template_id, data)
    assert exc.value.errcode == 43101
    grant = control.post("/subscriptions", uid=login["uid"], template_id=template_id)
    assert grant["remaining"] == 1 and grant["openid"] == login["openid"]
    answer = mini_client.wxa.send_subscribe_message(login["openid"], template_id, data, page="pages/cert/index")
    assert answer["errcode"] == 0 and answer["msgid"]
    with pytest.raises(WeChatClientException) as exc:
        mini_client.wxa.send_subscribe_message(login["openid"], template_id, data)
    assert exc.value.errcode == 43101 and "user refuse to accept the msg" in exc.value.errmsg
    [sent] = control.get("/messages", kind="subscribe")
    assert sent["page"] == "pages/cert/index" and sent["uid"] == login["uid"]

    control.post("/subscriptions", openid=login["openid"], template_id="certificate_ready", count=2)
    with pytest.raises(WeChatClientException) as exc:  # bad data does not use up a grant
        mini_client.wxa.send_subscribe_message(login["openid"], template_id, {"thing1": {"value": ""}})
    assert exc.value.errcode == 47003
    body = {"touser": login["openid"], "template_id": template_id, "data": data, "miniprogram_state": "trial"}
    assert mini_client.wxa._post("cgi-bin/message/subscribe/send", data=body)["errcode"] == 0
    assert mini_client.wxa._post("cgi-bin/message/subscribe/send", data=body)["errcode"] == 0
    with pytest.raises(WeChatClientException) as exc:
        mini_client.wxa._post("cgi-bin/message/subscribe/send", data=body)
    assert exc.value.errcode == 43101
    with pytest.raises(WeChatClientException) as exc:  # the official account cannot use this API
        mp_client.wxa.send_subscribe_message(login["openid"], template_id, data)
    assert exc.value.errcode == 48001


# ---- failure injection ---------------------------------------------------------------------------

def test_injected_transient_failure_then_success(mp_client, control, mp_openid):
    mp_client.fetch_access_token()
    control.post("/failures", path_prefix="/cgi-bin/message/template/send", times=1, errcode=-1)
    with pytest.raises(WeChatClientException) as exc:
        mp_client.message.send_template(mp_openid, TEMPLATE_IDS["plan_completed"], PAID)
    assert exc.value.errcode == -1 and "system error" in exc.value.errmsg
    assert mp_client.message.send_template(mp_openid, TEMPLATE_IDS["plan_completed"], PAID)["errcode"] == 0
    assert control.get("/failures")["pending"] == []
    assert len(control.get("/failures")["triggered"]) == 1


def test_injected_http_error_and_clearing(mp_client, control):
    mp_client.fetch_access_token()
    control.post("/failures", path_prefix="/cgi-bin/menu", times=3, http_status=503)
    with pytest.raises(WeChatClientException) as exc:
        mp_client.menu.get()
    assert exc.value.errcode is None and exc.value.response.status_code == 503
    assert control.get("/failures")["pending"][0]["times"] == 2
    control.delete("/failures")
    assert mp_client.menu.get() is None


# ---- pushes to the official account's server -----------------------------------------------------

def test_push_plain_text(sandbox, control, receiver, mp_openid):
    answer = control.post("/push", target_url=receiver.url + "/wechat", mode="plain", type="text",
                          content="你好", openid=mp_openid)
    assert answer["status"] == 200 and answer["error"] is None
    assert answer["reply"]["MsgType"] == "text" and answer["reply"]["Content"] == "收到：你好"
    assert answer["reply"]["ToUserName"] == mp_openid
    seen = receiver.seen[-1]
    assert seen["args"]["openid"] == mp_openid and "encrypt_type" not in seen["args"]
    assert "<Content><![CDATA[你好]]></Content>" in seen["body"] and "<MsgId>" in seen["body"]
    assert answer["reply"]["FromUserName"].startswith("gh_")


def test_push_aes_round_trip(sandbox, control, receiver, mp_openid):
    answer = control.post("/push", target_url=receiver.url + "/wechat", mode="aes", type="text",
                          content="加密的你好", openid=mp_openid)
    assert answer["status"] == 200 and answer["error"] is None
    assert answer["reply"]["Content"] == "收到：加密的你好"
    seen = receiver.seen[-1]
    assert seen["args"]["encrypt_type"] == "aes" and seen["args"]["msg_signature"]
    assert "<Encrypt>" in seen["body"] and "加密的你好" not in seen["body"]


def test_push_events_and_follow_state(sandbox, control, receiver):
    user = control.post("/users", nickname="陈老师")
    answer = control.post("/push", target_url=receiver.url + "/wechat", mode="aes", type="event", event="CLICK",
                          event_key="TODAY", uid=user["uid"])
    assert answer["reply"]["Content"] == "事件：click"
    assert "<EventKey><![CDATA[TODAY]]></EventKey>" in answer["sent_xml"]
    leave = control.post("/push", target_url=receiver.url + "/wechat", event="unsubscribe", uid=user["uid"])
    assert control.get(f"/users/{user['uid']}")["subscribed"] is False
    # Servers dedupe events on FromUserName + CreateTime: two quick pushes never share a second.
    assert int(leave["reply"]["CreateTime"]) > 0
    assert _create_time(leave["sent_xml"]) > _create_time(answer["sent_xml"])
    control.post("/push", target_url=receiver.url + "/wechat", event="subscribe", uid=user["uid"])
    assert control.get(f"/users/{user['uid']}")["subscribed"] is True


def _create_time(xml):
    return int(xml.split("<CreateTime>")[1].split("</CreateTime>")[0])


def test_push_raw_xml_and_errors(sandbox, control, receiver, mp_openid):
    xml = (f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{mp_openid}]]></FromUserName>"
           "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           "<Content><![CDATA[原样]]></Content><MsgId>1</MsgId></xml>")
    answer = control.post("/push", target_url=receiver.url + "/wechat", xml=xml)
    assert answer["reply"]["Content"] == "收到：原样"
    assert receiver.seen[-1]["args"]["openid"] == mp_openid
    control.call("POST", "/push", expect=(400,), json={"mode": "rsa", "uid": "x"})
    control.call("POST", "/push", expect=(404,), json={"uid": "nobody", "content": "x"})
    control.call("POST", "/push", expect=(502,), json={"openid": mp_openid, "content": "x",
                                                         "target_url": "http://127.0.0.1:9/none"})


def test_push_default_target_is_the_apps_callback_url(sandbox):
    from app.wechat.sandbox import state
    from app.wechat.sandbox.control import read_reply, signed_push

    with sandbox.app.app_context():
        app = state.app_of_kind("mp")
        assert app.callback_url == sandbox.app.config["PUBLIC_BASE_URL"].rstrip("/") + "/wechat/mp/callback"
        params, body = signed_push(app, "<xml><Content>x</Content></xml>", "o1", mode="aes")
    crypto = WeChatCrypto(app.token, app.aes_key, app.appid)
    plain = crypto.decrypt_message(body, params["msg_signature"], params["timestamp"], params["nonce"])
    assert plain == "<xml><Content>x</Content></xml>"
    check_signature(app.token, params["signature"], params["timestamp"], params["nonce"])
    reply = crypto.encrypt_message("<xml><Content>ok</Content></xml>", "123", "1700000000")
    assert read_reply(app, reply, "aes") == ("<xml><Content>ok</Content></xml>", None)
    assert read_reply(app, "success", "aes") == (None, None)


def test_verify_url(control, receiver):
    assert control.post("/verify-url", target_url=receiver.url + "/wechat")["ok"] is True
    broken = control.post("/verify-url", target_url=receiver.url + "/broken")
    assert broken["ok"] is False and broken["body"] == "not-the-echostr"


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
