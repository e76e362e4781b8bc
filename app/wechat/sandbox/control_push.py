"""Sandbox control: pushes to the official account's server (messages and events, plain or safe mode),
the server-URL check, and reading the server's reply. Routes join control.bp (/_sandbox/...)."""
import hashlib
import re
import secrets
import time
from xml.parsers.expat import ExpatError

import requests
import xmltodict
from flask import jsonify
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from app.wechat.sandbox import mp, state
from app.wechat.sandbox.control import ControlError, _app, _body, _user, bp

PUSH_TIMEOUT = 5  # WeChat waits 5 s for the server's answer
XML_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

# ---- pushes to the official account's server -----------------------------------------------------

@bp.post("/push")
def push():
    """Act as WeChat pushing a message or event to the account's server; answer with its reply."""
    body = _body()
    app = _app(body, "mp")
    mode = body.get("mode", "plain")
    if mode not in ("plain", "aes"):
        raise ControlError("mode 只能是 plain 或 aes")
    if mode == "aes" and not app.aes_key:
        raise ControlError("此公众号没有配置 EncodingAESKey")
    if body.get("xml"):
        xml, openid = body["xml"], _xml_field(body["xml"], "FromUserName")
    else:
        user = _user(body)
        openid = state.openid_for(app.appid, user["uid"])
        xml = push_xml(app, openid, body)
        _follow_event(app, user, body)
    try:
        return jsonify(deliver_push(app, body.get("target_url") or app.callback_url, xml, openid, mode))
    except requests.RequestException as exc:
        raise ControlError(f"推送失败：{exc}", 502) from None


@bp.post("/verify-url")
def verify_url():
    """WeChat's server URL check: GET with signature/timestamp/nonce/echostr; echostr must come back as is."""
    body = _body()
    app = _app(body, "mp")
    target = body.get("target_url") or app.callback_url
    timestamp, nonce, echostr = str(int(time.time())), _nonce(), str(secrets.randbelow(10 ** 19))
    params = {"signature": push_signature(app.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
              "echostr": echostr}
    try:
        resp = requests.get(target, params=params, timeout=PUSH_TIMEOUT)
    except requests.RequestException as exc:
        raise ControlError(f"请求失败：{exc}", 502) from None
    return jsonify({"target_url": target, "status": resp.status_code, "echostr": echostr, "body": resp.text[:1000],
                    "ok": resp.status_code == 200 and resp.text == echostr})


def push_xml(app, openid, body):
    """The XML WeChat pushes: a text message or an event (extra elements from body["fields"])."""
    msg_type = body.get("type") or ("event" if body.get("event") else "text")
    fields = {"ToUserName": mp.gh_id(app), "FromUserName": openid, "CreateTime": _create_time(openid),
              "MsgType": msg_type}
    if msg_type == "text":
        fields.update(Content=body.get("content") or "", MsgId=secrets.randbelow(8 * 10 ** 18) + 10 ** 18)
    elif msg_type == "event":
        if not body.get("event"):
            raise ControlError("event 不能为空")
        fields["Event"] = body["event"]
        if body.get("event_key") is not None:
            fields["EventKey"] = body["event_key"]
    else:
        raise ControlError("type 只能是 text 或 event（其他消息请直接传 xml）")
    extra = body.get("fields") or {}
    if not all(XML_NAME.fullmatch(name) for name in extra):
        raise ControlError("fields 的键必须是合法的 XML 元素名")
    return to_xml({**fields, **extra})


def _create_time(openid):
    """Now, in seconds, but later than this user's previous push: servers dedupe events on
    FromUserName + CreateTime (as WeChat advises), so two pushes must not share a second."""
    redis_key = state.key("push_time", openid)
    last = state.r().get(redis_key)
    create_time = max(int(time.time()), int(last) + 1 if last else 0)
    state.r().set(redis_key, create_time, ex=3600)
    return create_time


def _follow_event(app, user, body):
    event = (body.get("event") or "").lower()
    if event in ("subscribe", "unsubscribe"):
        mp.set_flag("unsubscribed", app.appid, user["uid"], on=event == "unsubscribe")


def deliver_push(app, target_url, xml, openid=None, mode="plain"):
    """POST the XML as WeChat does, then read the reply (decrypted in safe mode)."""
    params, body = signed_push(app, xml, openid, mode)
    resp = requests.post(target_url, params=params, data=body.encode(), headers={"Content-Type": "text/xml"},
                         timeout=PUSH_TIMEOUT)
    reply_xml, error = read_reply(app, resp.text, mode)
    return {"target_url": target_url, "status": resp.status_code, "sent_xml": xml, "reply_xml": reply_xml,
            "reply": parse_xml(reply_xml), "error": error}


def signed_push(app, xml, openid=None, mode="plain", timestamp=None, nonce=None):
    """The query string and body of a push (plain or safe mode); works with any HTTP or test client."""
    timestamp, nonce = timestamp or str(int(time.time())), nonce or _nonce()
    params = {"signature": push_signature(app.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    if openid:
        params["openid"] = openid
    if mode != "aes":
        return params, xml
    crypto = WeChatCrypto(app.token, app.aes_key, app.appid)
    envelope = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]
    params.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
    return params, to_xml({"ToUserName": mp.gh_id(app), "Encrypt": envelope["Encrypt"]})


def read_reply(app, text, mode="plain"):
    """(reply XML, error): (None, None) for an empty or "success" reply; decrypted in safe mode."""
    text = (text or "").strip()
    if not text or text == "success":
        return None, None
    if mode != "aes":
        return text, None
    try:
        envelope = xmltodict.parse(text)["xml"]
        crypto = WeChatCrypto(app.token, app.aes_key, app.appid)
        return crypto.decrypt_message(envelope, envelope["MsgSignature"], envelope["TimeStamp"],
                                      envelope["Nonce"]), None
    except (ExpatError, KeyError, TypeError, ValueError, IndexError, InvalidSignatureException,
            InvalidAppIdException) as exc:
        return None, f"回复无法解密或验签失败：{type(exc).__name__}"


def push_signature(token, timestamp, nonce):
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def to_xml(fields):
    """WeChat's message XML: numbers bare, text in CDATA."""
    def element(name, value):
        if isinstance(value, int):
            return f"<{name}>{value}</{name}>"
        return f"<{name}><![CDATA[{str(value).replace(']]>', ']]]]><![CDATA[>')}]]></{name}>"
    return "<xml>" + "".join(element(k, v) for k, v in fields.items()) + "</xml>"


def parse_xml(xml):
    try:
        return dict(xmltodict.parse(xml)["xml"]) if xml else None
    except (ExpatError, KeyError, TypeError):
        return None


def _xml_field(xml, name):
    parsed = parse_xml(xml)
    if parsed is None:
        raise ControlError("xml 无法解析")
    return parsed.get(name)


def _nonce():
    return str(secrets.randbelow(10 ** 10))
