"""The message endpoint refuses stale timestamps, replayed nonces, plain mode when safe mode is required,
and empty bodies (400, never a 500)."""
import hashlib
import time

from wechatpy.crypto import WeChatCrypto

from app.wechat.models import WechatIdentity

OPENID = "oTESTopenid000000000000000001"


def _query(token, timestamp, nonce, **extra):
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    tail = "".join(f"&{k}={v}" for k, v in extra.items())
    return f"/wechat/mp/callback?signature={signature}&timestamp={timestamp}&nonce={nonce}{tail}"


def _event(event, create_time):
    return (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event></xml>").encode()


def _subscribed():
    row = WechatIdentity.get_or_none(WechatIdentity.openid == OPENID)
    return None if row is None else row.subscribed


def test_a_stale_timestamp_is_refused(app, client):
    token, old = app.config["WECHAT_MP_TOKEN"], str(int(time.time()) - 301)
    resp = client.post(_query(token, old, "n-stale"), data=_event("subscribe", old))
    assert resp.status_code == 403 and resp.get_data(as_text=True) == "stale timestamp"
    assert _subscribed() is None
    fresh = str(int(time.time()))
    assert client.post(_query(token, fresh, "n-fresh"), data=_event("subscribe", fresh)).status_code == 200
    assert _subscribed() is True


def test_the_same_signed_query_with_another_body_is_refused(app, client):
    token, now = app.config["WECHAT_MP_TOKEN"], str(int(time.time()))
    url = _query(token, now, "n-once")
    assert client.post(url, data=_event("subscribe", now)).status_code == 200
    assert _subscribed() is True
    replay = client.post(url, data=_event("unsubscribe", str(int(now) + 1)))  # a leaked URL, a forged body
    assert replay.status_code == 403 and replay.get_data(as_text=True) == "replayed nonce"
    assert _subscribed() is True


def test_plain_mode_is_refused_when_safe_mode_is_required(app_factory):
    application = app_factory(WECHAT_MP_SAFE_MODE_ONLY=True)
    client, cfg = application.test_client(), application.config
    now = str(int(time.time()))
    with application.app_context():
        plain = client.post(_query(cfg["WECHAT_MP_TOKEN"], now, "n-plain"), data=_event("subscribe", now))
        assert plain.status_code == 403 and _subscribed() is None
        crypto = WeChatCrypto(cfg["WECHAT_MP_TOKEN"], cfg["WECHAT_MP_AES_KEY"], cfg["WECHAT_MP_APPID"])
        sealed = crypto.encrypt_message(_event("subscribe", now).decode(), "n-aes", now)
        msg_signature = sealed.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
        resp = client.post(_query(cfg["WECHAT_MP_TOKEN"], now, "n-aes", encrypt_type="aes",
                                  msg_signature=msg_signature), data=sealed.encode())
        assert resp.status_code == 200 and _subscribed() is True


def test_empty_bodies_are_a_400(app, client):
    cfg, now = app.config, str(int(time.time()))
    empty = client.post(_query(cfg["WECHAT_MP_TOKEN"], now, "n-empty"), data=b"")
    assert empty.status_code == 400
    crypto = WeChatCrypto(cfg["WECHAT_MP_TOKEN"], cfg["WECHAT_MP_AES_KEY"], cfg["WECHAT_MP_APPID"])
    sealed = crypto.encrypt_message("", "n-void", now)
    msg_signature = sealed.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    resp = client.post(_query(cfg["WECHAT_MP_TOKEN"], now, "n-void", encrypt_type="aes", msg_signature=msg_signature),
                       data=sealed.encode())
    assert resp.status_code == 400
    no_sender = client.post(_query(cfg["WECHAT_MP_TOKEN"], now, "n-nosender"),
                            data=b"<xml><MsgType><![CDATA[text]]></MsgType></xml>")
    assert no_sender.status_code == 400
