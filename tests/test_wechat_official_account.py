"""The official account's message endpoint, menu and shared tokens, against the sandbox and WeChat's samples."""
import hashlib
import time
from types import SimpleNamespace

import pytest
import xmltodict
from click.testing import CliRunner
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import to_text

from app.wechat import callback, clients, menu
from app.wechat.models import WechatIdentity

# WeChat's own WXBizMsgCrypt sample (official documentation's Python demo).
SAMPLE = {
    "token": "spamtest", "aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "appid": "wx2c2769f8efd9abc2",
    "timestamp": "1409735669", "nonce": "1320562132", "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    "xml": "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSI"
           "WZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><!"
           "[CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBm"
           "dJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn8"
           "96wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjp"
           "A912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1"
           "DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>",
}
# WeChat's JS-SDK signature example (JS-SDK documentation, appendix 1).
JSSDK_SAMPLE = {"ticket": "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
                "noncestr": "Wm3WZYTPz0wzccnW", "timestamp": 1414587457, "url": "http://mp.weixin.qq.com?params=value",
                "signature": "0f9de62fce790f9a083d5c99e95740ceb90c27ed"}


def _signature(token, timestamp, nonce):
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


@pytest.fixture
def sample_app(app_factory, monkeypatch):
    """The app with the sample's keys, its clock a few seconds after the sample was signed (in 2014)."""
    application = app_factory(WECHAT_MP_TOKEN=SAMPLE["token"], WECHAT_MP_AES_KEY=SAMPLE["aes_key"],
                              WECHAT_MP_APPID=SAMPLE["appid"])
    monkeypatch.setattr(callback, "time", SimpleNamespace(time=lambda: int(SAMPLE["timestamp"]) + 5))
    with application.app_context():
        yield application


def test_official_sample_message_is_decrypted_and_answered(sample_app):
    client = sample_app.test_client()
    s = SAMPLE
    query = (f"signature={_signature(s['token'], s['timestamp'], s['nonce'])}&timestamp={s['timestamp']}"
             f"&nonce={s['nonce']}&encrypt_type=aes&msg_signature={s['msg_signature']}"
             f"&openid=oyORnuP8q7ou2gfYjqLzSIWZf0rs")
    resp = client.post("/wechat/mp/callback?" + query, data=s["xml"].encode(), content_type="text/xml")
    assert resp.status_code == 200
    crypto = WeChatCrypto(s["token"], s["aes_key"], s["appid"])
    reply = resp.get_data(as_text=True)
    parsed = xmltodict.parse(reply)["xml"]
    plain = crypto.decrypt_message(reply, parsed["MsgSignature"], parsed["TimeStamp"], parsed["Nonce"])
    assert "<ToUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></ToUserName>" in to_text(plain)
    assert "回复“进度”" in to_text(plain)


def test_official_sample_with_a_wrong_msg_signature_is_refused(sample_app):
    s = SAMPLE
    query = (f"signature={_signature(s['token'], s['timestamp'], s['nonce'])}&timestamp={s['timestamp']}"
             f"&nonce={s['nonce']}&encrypt_type=aes&msg_signature={'0' * 40}")
    resp = sample_app.test_client().post("/wechat/mp/callback?" + query, data=s["xml"].encode())
    assert resp.status_code == 403


def test_jssdk_signature_matches_wechats_example(app):
    client = clients.mp_client()
    s = JSSDK_SAMPLE
    assert client.jsapi.get_jsapi_signature(s["noncestr"], s["ticket"], s["timestamp"], s["url"]) == s["signature"]


def test_url_verification_and_bad_signature(client, app):
    token = app.config["WECHAT_MP_TOKEN"]
    ok = client.get(f"/wechat/mp/callback?signature={_signature(token, '1', '2')}&timestamp=1&nonce=2&echostr=E42")
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "E42"
    bad = client.get("/wechat/mp/callback?signature=x&timestamp=1&nonce=2&echostr=E42")
    assert bad.status_code == 403
    now = str(int(time.time()))
    garbage = client.post(f"/wechat/mp/callback?signature={_signature(token, now, '2')}&timestamp={now}&nonce=2",
                          data=b"<not-xml")
    assert garbage.status_code == 400


def test_sandbox_verifies_our_url(live_server, sandbox_api):
    result = sandbox_api.post("/verify-url", {"target_url": live_server + "/wechat/mp/callback"})
    assert result["ok"] is True


@pytest.mark.parametrize("mode", ["plain", "aes"])
def test_pushed_follow_event_and_keyword_replies(live_server, sandbox_api, app, mode):
    user = sandbox_api.post("/users", {"nickname": "小孙"})
    target = live_server + "/wechat/mp/callback"
    follow = sandbox_api.post("/push", {"target_url": target, "mode": mode, "type": "event", "event": "subscribe",
                                        "uid": user["uid"]})
    assert follow["status"] == 200 and "欢迎关注" in follow["reply"]["Content"]
    openid = user["openids"][app.config["WECHAT_MP_APPID"]]
    assert WechatIdentity.get(WechatIdentity.openid == openid).subscribed is True
    keywords = [("证书", "我的证书"), ("我的进度", "我的学习"), ("客服", app.config["CONTACT_TECH_PHONE"])]
    for keyword, expected in keywords:
        reply = sandbox_api.post("/push", {"target_url": target, "mode": mode, "type": "text", "content": keyword,
                                           "uid": user["uid"]})
        assert expected in reply["reply"]["Content"], keyword
    click = sandbox_api.post("/push", {"target_url": target, "mode": mode, "type": "event", "event": "CLICK",
                                       "event_key": menu.CLICK_CONTACT, "uid": user["uid"]})
    assert app.config["CONTACT_ACCOUNT_PHONE"] in click["reply"]["Content"]
    sandbox_api.post("/push", {"target_url": target, "mode": mode, "type": "event", "event": "unsubscribe",
                               "uid": user["uid"]})
    assert WechatIdentity.get(WechatIdentity.openid == openid).subscribed is False


def test_menu_is_published_by_the_command(app, sandbox_api):
    result = CliRunner().invoke(app.cli, ["wechat", "publish-menu"], catch_exceptions=False)
    assert "menu published" in result.output
    stored = sandbox_api.get(f"/menu?appid={app.config['WECHAT_MP_APPID']}")
    stored = stored.get("menu", stored)
    names = [b["name"] for b in stored["button"]]
    assert names == ["继续教育", "帮助"]
    learning = stored["button"][0]["sub_button"]
    assert [b["name"] for b in learning] == ["公需科目", "我的学习", "我的证书"]
    assert all("/wechat/login?next=" in b["url"] for b in learning)


def test_access_token_is_fetched_once_for_all_workers(app, sandbox_api):
    appid = app.config["WECHAT_MP_APPID"]
    before = sandbox_api.get(f"/token-fetches?appid={appid}")["count"]
    first = clients.SharedTokenClient(appid, app.config["WECHAT_MP_SECRET"], app.config["WECHAT_API_BASE"],
                                      clients.get_redis())
    second = clients.SharedTokenClient(appid, app.config["WECHAT_MP_SECRET"], app.config["WECHAT_API_BASE"],
                                       clients.get_redis())
    assert first.access_token == second.access_token
    assert sandbox_api.get(f"/token-fetches?appid={appid}")["count"] == before + 1
    # WeChat expires it early: the next call refreshes once and goes through.
    sandbox_api.post("/tokens/expire", {"appid": appid})
    assert second.menu.create(menu.menu_definition())["errcode"] == 0
    assert sandbox_api.get(f"/token-fetches?appid={appid}")["count"] == before + 2


def test_jsapi_ticket_is_cached(app):
    config = clients.jssdk_config("http://127.0.0.1/pay#x")
    assert config["appId"] == app.config["WECHAT_MP_APPID"] and len(config["signature"]) == 40
    assert clients.jsapi_ticket(clients.mp_client()) == clients.jsapi_ticket(clients.mp_client())
