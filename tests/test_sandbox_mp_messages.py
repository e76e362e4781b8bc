"""The WeChat sandbox's messages (template, subscribe), failure injection and pushes to the official
account's server, driven by the real wechatpy SDK over HTTP."""

import pytest
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import WeChatClientException
from wechatpy.utils import check_signature

from app.wechat.sandbox.mp import TEMPLATE_IDS
from tests.sandbox_fixtures import PAID, REDIRECT_URI, sandbox_client, sandbox_oauth  # noqa: F401
from tests.sandbox_fixtures import clean_sandbox as clean_sandbox  # noqa: F401  (autouse)
from tests.sandbox_fixtures import control as control  # noqa: F401  (fixtures the tests take)
from tests.sandbox_fixtures import mini_client as mini_client  # noqa: F401
from tests.sandbox_fixtures import mp_client as mp_client  # noqa: F401
from tests.sandbox_fixtures import mp_openid as mp_openid  # noqa: F401
from tests.sandbox_fixtures import receiver as receiver  # noqa: F401

# ---- template messages ---------------------------------------------------------------------------



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
    from app.wechat.sandbox.control_push import read_reply, signed_push

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
