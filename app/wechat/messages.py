"""Template messages (official account) and subscribe messages (mini-program), sent by a worker.

One row per event (its unique key) makes sending idempotent: however often the triggering job runs,
one message goes out. Transient WeChat errors are retried by the queue with backoff; permanent ones
(the user refused or unsubscribed, no subscription left, bad template) end the message at once.
"""
import json
import logging
from datetime import datetime

import peewee
import requests
from flask import current_app
from wechatpy.exceptions import WeChatClientException

from app.db import db, utcnow
from app.jobs import durable
from app.redis_client import get_redis
from app.wechat.clients import mini_client, mp_client
from app.wechat.models import WechatIdentity, WechatMessage, WechatMessageAttempt, WechatSubscription

log = logging.getLogger(__name__)

# WeChat's 2023 rules: typed keywords only (no first/remark), each value short.
TEMPLATES = {
    "purchase_paid": [("thing1", "project"), ("amount2", "amount"), ("character_string3", "order_no"),
                      ("time4", "time")],
    "seat_granted": [("thing1", "project"), ("thing2", "unit"), ("time3", "time")],
    "course_completed": [("thing1", "course"), ("number2", "hours"), ("time3", "time")],
    "plan_completed": [("thing1", "project"), ("number2", "hours"), ("time3", "time")],
    "certificate_ready": [("thing1", "project"), ("character_string2", "cert_no"), ("time3", "time")],
    "backfill_decided": [("thing1", "project"), ("phrase2", "result"), ("thing3", "note"), ("time4", "time")],
    "invoice_issued": [("thing1", "title"), ("character_string2", "number"), ("amount3", "amount"),
                       ("time4", "time")],
}
LIMITS = {"thing": 20, "character_string": 32, "number": 32, "phrase": 5, "amount": 11, "time": 32}
# Errors after which sending again cannot help.
PERMANENT = {40003, 40037, 43004, 43101, 47003, 41030, 48001}


def template_id(kind, name):
    """The id WeChat gave the template (JSON settings); outside production, the sandbox's ids."""
    cfg = current_app.config
    configured = cfg.get("WECHAT_TEMPLATE_IDS" if kind == "template" else "WECHAT_SUBSCRIBE_IDS") or ""
    if configured:
        return json.loads(configured)[name]
    from app.wechat.sandbox.mp import TEMPLATE_IDS

    return TEMPLATE_IDS[name]


def render_fields(name, values):
    """WeChat's data dict from our values, each shortened to its keyword's limit."""
    data = {}
    for key, field in TEMPLATES[name]:
        value = values[field]
        if isinstance(value, datetime):
            value = value.strftime("%Y-%m-%d %H:%M")
        value = str(value)
        limit = LIMITS[key.rstrip("0123456789")]
        data[key] = {"value": value if len(value) <= limit else value[: limit - 1] + "…"}
    return data


def _channels(user):
    """Where this learner can be reached: the official account if followed, else the mini-program."""
    identities = list(WechatIdentity.select().where(WechatIdentity.user == user.id))
    mp = next((i for i in identities if i.app_kind == "mp" and i.subscribed), None)
    if mp is not None:
        return "template", mp.openid
    mini = next((i for i in identities if i.app_kind == "mini"), None)
    if mini is not None:
        return "subscribe", mini.openid
    return None, ""


def notify(event_key, user, name, values, url=None, page=None):
    """Queue the message for one event; calling it again for the same event sends nothing more."""
    kind, openid = _channels(user)
    payload = {"data": render_fields(name, values), "url": url, "page": page}
    try:
        with db.atomic():
            message = WechatMessage.create(event_key=event_key, user=user.id, kind=kind or "none", template=name,
                                           openid=openid, payload=json.dumps(payload, ensure_ascii=False),
                                           status="pending" if kind else "skipped",
                                           last_error="" if kind else "no WeChat identity")
            job = durable.record(send_message, message.id, key=f"wxmsg-{message.id}") if kind else None
    except peewee.IntegrityError:
        message, job = WechatMessage.get(WechatMessage.event_key == event_key), None
    if job is not None:
        durable.enqueue_recorded(job)  # recorded with the message: the sweep re-queues it if this is lost
    return message


def send_message(message_id):
    """Job: send one message once. Raises on transient errors so that the queue retries."""
    lock = get_redis().lock(f"wxmsg-lock:{message_id}", timeout=60, blocking_timeout=0)
    if not lock.acquire():
        return durable.BUSY  # another worker is sending it right now
    try:
        message = WechatMessage.get_by_id(message_id)
        if message.status != "pending":
            return message.status
        if message.kind == "subscribe" and not _use_subscription(message):
            return _finish(message, "skipped", None, "no subscription left")
        try:
            result = _call_wechat(message)
        except WeChatClientException as exc:
            return _failed(message, exc.errcode, str(exc.errmsg))
        except requests.RequestException as exc:
            return _failed(message, None, f"network: {type(exc).__name__}")
        return _finish(message, "sent", 0, "ok", msgid=str(result.get("msgid", "")))
    finally:
        lock.release()


def _call_wechat(message):
    payload = json.loads(message.payload)
    tid = template_id(message.kind, message.template)
    if message.kind == "template":
        return mp_client().message.send_template(message.openid, tid, payload["data"], url=payload.get("url"))
    return mini_client().wxa.send_subscribe_message(message.openid, tid, payload["data"], page=payload.get("page"))


def _failed(message, errcode, errmsg):
    if errcode in PERMANENT:
        if message.kind == "subscribe" and errcode == 43101:
            _reset_subscription(message)
        elif errcode == 43101:
            WechatIdentity.update(subscribed=False).where(WechatIdentity.openid == message.openid).execute()
        return _finish(message, "failed", errcode, errmsg, outcome="permanent")
    if message.kind == "subscribe":
        _give_back_subscription(message)
    final = message.attempts + 1 >= current_app.config["DURABLE_JOB_MAX_ATTEMPTS"]  # the sweep's last try
    _finish(message, "failed" if final else "pending", errcode, errmsg, outcome="transient")
    raise RuntimeError(f"WeChat message {message.id}: transient error {errcode}: {errmsg}")


def _finish(message, status, errcode, errmsg, msgid="", outcome=None):
    with db.atomic():
        WechatMessageAttempt.create(message=message.id, errcode=errcode, errmsg=(errmsg or "")[:200],
                                    outcome=outcome or status)
        WechatMessage.update(status=status, attempts=WechatMessage.attempts + 1, last_error=(errmsg or "")[:200],
                             msgid=msgid, sent_at=utcnow() if status == "sent" else None,
                             updated_at=utcnow()).where(WechatMessage.id == message.id).execute()
    log.info("wechat message %s (%s): %s %s", message.id, message.template, status, errcode)
    return status


# ---- mini-program subscriptions -----------------------------------------------------------------

def record_subscriptions(user, accepted):
    """Each "允许" in wx.requestSubscribeMessage allows one message of that template."""
    remaining = {}
    for name in dict.fromkeys(accepted):
        if name not in TEMPLATES:
            continue
        with db.atomic():
            row, _ = WechatSubscription.get_or_create(user=user.id, template=name)
            WechatSubscription.update(remaining=WechatSubscription.remaining + 1, updated_at=utcnow()).where(
                WechatSubscription.id == row.id).execute()
        remaining[name] = WechatSubscription.get_by_id(row.id).remaining
    return remaining


def _use_subscription(message):
    return WechatSubscription.update(remaining=WechatSubscription.remaining - 1).where(
        WechatSubscription.user == message.user_id, WechatSubscription.template == message.template,
        WechatSubscription.remaining > 0).execute() == 1


def _give_back_subscription(message):
    WechatSubscription.update(remaining=WechatSubscription.remaining + 1).where(
        WechatSubscription.user == message.user_id, WechatSubscription.template == message.template).execute()


def _reset_subscription(message):
    WechatSubscription.update(remaining=0).where(
        WechatSubscription.user == message.user_id, WechatSubscription.template == message.template).execute()
