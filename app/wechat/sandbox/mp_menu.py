"""Sandbox: the official account's JS-SDK ticket, user info and custom menu (api.weixin.qq.com/cgi-bin).

Routes join mp.bp; WeChat's own checks of a menu (types, lengths, sub-buttons) are copied with their errcodes.
"""
import secrets

from flask import jsonify, request

from app.wechat.sandbox import state
from app.wechat.sandbox.mp import (
    TOKEN_TTL,
    bp,
    has_flag,
    json_body,
    recipient,
    requires_token,
)
from app.wechat.sandbox.state import wx_error, wx_ok

# ---- official account: JS-SDK ticket, user info, menu --------------------------------------------

@bp.get("/cgi-bin/ticket/getticket")
@requires_token("mp")
def get_ticket(app):
    ticket_type = request.args.get("type", "jsapi")
    if ticket_type not in ("jsapi", "wx_card"):
        return wx_error(40097, "invalid args")
    ticket = secrets.token_urlsafe(64)
    state.put(("ticket", ticket_type, app.appid), ticket, ttl=TOKEN_TTL)  # the latest, for checks
    state.r().incr(state.key("ticket_fetches", app.appid))
    return wx_ok(ticket=ticket, expires_in=TOKEN_TTL)


@bp.get("/cgi-bin/user/info")
@requires_token("mp")
def user_info(app):
    user, error = recipient(app, request.args.get("openid"))
    if error:
        return error
    openid = request.args["openid"]
    if has_flag("unsubscribed", app.appid, user["uid"]):
        return jsonify({"subscribe": 0, "openid": openid, "unionid": user["unionid"]})
    return jsonify({"subscribe": 1, "openid": openid, "language": "zh_CN", "subscribe_time": int(user["created_at"]),
                    "unionid": user["unionid"], "remark": "", "groupid": 0, "tagid_list": [],
                    "subscribe_scene": "ADD_SCENE_OTHERS", "qr_scene": 0, "qr_scene_str": ""})


MENU_TYPES = {"click": ("key",), "view": ("url",), "miniprogram": ("url", "appid", "pagepath"),
              "scancode_push": ("key",), "scancode_waitmsg": ("key",), "pic_sysphoto": ("key",),
              "pic_photo_or_album": ("key",), "pic_weixin": ("key",), "location_select": ("key",),
              "media_id": ("media_id",), "view_limited": ("media_id",),
              "article_id": ("article_id",), "article_view_limited": ("article_id",)}
MENU_NAME_BYTES = (16, 60)  # top level, sub-menu
MENU_FIELD_BYTES = {"key": 128, "url": 1024}
# (top-level, sub-button) error for each kind of problem
MENU_ERRORS = {"type": ((40017, "invalid button type"), (40024, "invalid sub button type")),
               "name": ((40018, "invalid button name size"), (40025, "invalid sub button name size")),
               "key": ((40019, "invalid button key size"), (40026, "invalid sub button key size")),
               "url": ((40020, "invalid button url size"), (40027, "invalid sub button url size"))}


def menu_error(menu):
    """The (errcode, errmsg) WeChat answers for a bad menu, or None."""
    buttons = menu.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return 40016, "invalid button size"
    return next(filter(None, (_button_error(b, 0) for b in buttons)), None)


def _button_error(button, level):
    if not isinstance(button, dict):
        return MENU_ERRORS["type"][level]
    name = button.get("name")
    if not isinstance(name, str) or not 0 < len(name.encode()) <= MENU_NAME_BYTES[level]:
        return MENU_ERRORS["name"][level]
    subs = button.get("sub_button")
    if level == 1 and subs:
        return 40022, "invalid sub menu level"
    if level == 0 and (subs or (subs == [] and "type" not in button)):
        if not isinstance(subs, list) or not 1 <= len(subs) <= 5:
            return 40023, "invalid sub button size"
        return next(filter(None, (_button_error(s, 1) for s in subs)), None)
    return _action_error(button, level)


def _action_error(button, level):
    fields = MENU_TYPES.get(button.get("type"))
    if fields is None:
        return MENU_ERRORS["type"][level]
    for field in fields:
        value = button.get(field)
        ok = isinstance(value, str) and 0 < len(value.encode()) <= MENU_FIELD_BYTES.get(field, 128)
        if ok and field == "url":
            ok = value.startswith(("http://", "https://"))
        if not ok:
            return MENU_ERRORS.get(field, MENU_ERRORS["type"])[level]
    return None




@bp.post("/cgi-bin/menu/create")
@requires_token("mp")
def menu_create(app):
    menu = json_body()
    if menu is None:
        return wx_error(47001, "data format error")
    error = menu_error(menu)
    if error:
        return wx_error(*error)
    state.put(("menu", app.appid), {"button": menu["button"]})
    return wx_ok()


@bp.get("/cgi-bin/menu/get")
@requires_token("mp")
def menu_get(app):
    menu = state.get(("menu", app.appid))
    if menu is None:
        return wx_error(46003, "menu no exist")
    return jsonify({"menu": menu})


@bp.get("/cgi-bin/menu/delete")
@requires_token("mp")
def menu_delete(app):
    state.r().delete(state.key("menu", app.appid))
    return wx_ok()
