"""Sandbox: template messages (official account) and subscribe messages (mini-program).

Routes join mp.bp. Data values are checked by key type as WeChat does; a subscribe message needs one
subscription (wx.requestSubscribeMessage's 允许) per send.
"""
import re
import secrets

from app.wechat.sandbox import state
from app.wechat.sandbox.mp import (
    REFUSED,
    TEMPLATE_NAMES,
    bp,
    has_flag,
    json_body,
    recipient,
    requires_token,
)
from app.wechat.sandbox.state import wx_error, wx_ok

# ---- template messages (official account) and subscribe messages (mini-program) ------------------

TIME_CHARS = r"[\d年月日时分秒:：\-/ ~.]+"
VALUE_RULES = {  # key type (data key without its trailing digits) -> (max characters, pattern)
    "thing": (20, None), "character_string": (32, r"[\x20-\x7e]+"), "number": (32, r"\d+(\.\d+)?"),
    "letter": (32, r"[A-Za-z]+"), "symbol": (5, None), "time": (64, TIME_CHARS), "date": (64, TIME_CHARS),
    "amount": (16, r"[¥￥$]?\d{1,10}(\.\d{1,2})?元?"), "phone_number": (17, r"[\d+\-() ]+"),
    "car_number": (8, None), "phrase": (5, r"[\u4e00-\u9fff]+"),
    "name": (20, r"[\u4e00-\u9fff]{1,10}|[\x20-\x7e]{1,20}"),
}
MINIPROGRAM_STATES = ("developer", "trial", "formal")
LANGS = ("zh_CN", "en_US", "zh_HK", "zh_TW")


def data_error(data):
    """Check a message's data the way WeChat does: (47001/47003, errmsg) or None."""
    if not isinstance(data, dict) or not data:
        return 47001, "data format error"
    for name, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        if value is None or not str(value).strip():
            return 47003, f"argument invalid! data.{name}.value is empty"
        if not _value_ok(name, str(value)):
            return 47003, f"argument invalid! data.{name}.value invalid"
    return None


def _value_ok(name, value):
    key_type = re.sub(r"\d+$", "", name)
    if key_type not in VALUE_RULES:
        return True  # legacy keys (first, keyword1, remark...): any non-empty text
    max_chars, pattern = VALUE_RULES[key_type]
    return len(value) <= max_chars and (pattern is None or re.fullmatch(pattern, value) is not None)




def _message_error(app, body):
    """Checks common to both kinds of message: (user, None) or (None, error response)."""
    if body is None:
        return None, wx_error(47001, "data format error")
    user, error = recipient(app, body.get("touser"))
    if error:
        return None, error
    if body.get("template_id") not in TEMPLATE_NAMES:
        return None, wx_error(40037, "invalid template_id")
    problem = data_error(body.get("data"))
    return (None, wx_error(*problem)) if problem else (user, None)


def _sent(kind, app, user, body, fields):
    msgid = secrets.randbelow(8 * 10 ** 18) + 10 ** 18
    state.record(kind, {"msgid": msgid, "appid": app.appid, "uid": user["uid"], "nickname": user["nickname"],
                        "template_name": TEMPLATE_NAMES[body["template_id"]],
                        **{f: body[f] for f in fields if f in body}})
    return wx_ok(msgid=msgid)


@bp.post("/cgi-bin/message/template/send")
@requires_token("mp")
def template_send(app):
    body = json_body()
    user, error = _message_error(app, body)
    if error:
        return error
    if has_flag("blocked", app.appid, user["uid"]) or has_flag("unsubscribed", app.appid, user["uid"]):
        return wx_error(*REFUSED)
    return _sent("template", app, user, body, ("touser", "template_id", "url", "miniprogram", "data"))


@bp.post("/cgi-bin/message/subscribe/send")
@requires_token("mini")
def subscribe_send(app):
    body = json_body()
    user, error = _message_error(app, body)
    if error:
        return error
    if body.get("miniprogram_state", "formal") not in MINIPROGRAM_STATES:
        return wx_error(47003, "argument invalid! miniprogram_state invalid")
    if body.get("lang", "zh_CN") not in LANGS:
        return wx_error(47003, "argument invalid! lang invalid")
    if not use_subscription(app.appid, body["touser"], body["template_id"]):
        return wx_error(*REFUSED)
    return _sent("subscribe", app, user, body,
                 ("touser", "template_id", "page", "miniprogram_state", "lang", "data"))


def grant_subscription(appid, openid, template_id, count=1):
    """The user tapped 允许 in wx.requestSubscribeMessage `count` times: that many sends allowed."""
    return state.r().incrby(state.key("subscription", appid, openid, template_id), count)


def subscriptions_left(appid, openid, template_id):
    return int(state.r().get(state.key("subscription", appid, openid, template_id)) or 0)


def use_subscription(appid, openid, template_id):
    redis_key = state.key("subscription", appid, openid, template_id)
    if state.r().decr(redis_key) < 0:
        state.r().incr(redis_key)  # none left: undo
        return False
    return True
