"""WeChat Pay sandbox: payment and refund notifications, delivered to the merchant's notify_url.

A notification is built once (id, encrypted resource) and stored in Redis; every delivery attempt
signs its exact body bytes afresh and is recorded in the "pay_notify" log. Delivery runs in a
background thread and retries when the merchant does not answer 200/204, after the delays of
WECHAT_SANDBOX_NOTIFY_RETRY (seconds, default "1,2,5"). Flushing the sandbox's Redis cancels
pending retries (each attempt first checks that its notification still exists).

Modes: normal; lost (stored, never sent: the merchant must query); duplicate (N copies at once);
late (sent after delay_seconds); tampered (a forged copy: amount changed after signing, never
retried); signtest (WeChat's own probe: a WECHATPAY/SIGNTEST/ signature first, then retries signed
correctly).
"""
import copy
import os
import threading
import time
import uuid

import requests
from flask import current_app

from app.wechat.sandbox import state
from app.wechat.sandbox.pay_crypto import PayError, dumps, encrypt_resource, platform_headers, sign_test_signature
from app.wechat.sandbox.pay_refunds import refund_notice_payload
from app.wechat.sandbox.pay_store import rfc3339, transaction_view

MODES = ("normal", "lost", "duplicate", "late", "tampered", "signtest")
LOG = "pay_notify"
TIMEOUT = 5  # the merchant must answer within 5 s
REFUND_EVENTS = {"SUCCESS": ("REFUND.SUCCESS", "退款成功"), "ABNORMAL": ("REFUND.ABNORMAL", "退款异常"),
                 "CLOSED": ("REFUND.CLOSED", "退款关闭")}


def setting(name, default):
    return current_app.config.get(name, os.environ.get(name, default))


def retry_delays():
    raw = str(setting("WECHAT_SANDBOX_NOTIFY_RETRY", "1,2,5"))
    return [float(x) for x in raw.split(",") if x.strip()]


# ---- building ------------------------------------------------------------------------------------

def build(url, event_type, summary, original_type, payload, out_trade_no, out_refund_no=None):
    """Build and store a notification (payments, refunds and e-invoices: `out_trade_no` is the
    e-invoice application's id for those); `dispatch` delivers it."""
    notice = {"id": str(uuid.uuid4()), "url": url, "event_type": event_type, "out_trade_no": out_trade_no,
              "out_refund_no": out_refund_no, "original_type": original_type, "payload": payload}
    envelope = {"id": notice["id"], "create_time": rfc3339(), "resource_type": "encrypt-resource",
                "event_type": event_type, "summary": summary,
                "resource": encrypt_resource(payload, original_type, original_type)}
    notice["envelope"] = envelope
    notice["body"] = dumps(envelope)
    state.put(("pay", "notice", notice["id"]), notice)
    state.r().set(state.key("pay", "last_notice", out_trade_no), notice["id"])
    if out_refund_no:
        state.r().set(state.key("pay", "last_refund_notice", out_refund_no), notice["id"])
    return notice


def transaction_notice(order):
    return build(order["notify_url"], "TRANSACTION.SUCCESS", "支付成功", "transaction", transaction_view(order),
                  order["out_trade_no"])


def refund_notice(refund):
    event_type, summary = REFUND_EVENTS[refund["status"]]
    return build(refund["notify_url"], event_type, summary, "refund", refund_notice_payload(refund),
                  refund["out_trade_no"], refund["out_refund_no"])


def last_notice(out_trade_no=None, out_refund_no=None):
    name = ("last_refund_notice", out_refund_no) if out_refund_no else ("last_notice", out_trade_no)
    notice_id = state.r().get(state.key("pay", *name))
    notice = state.get(("pay", "notice", notice_id)) if notice_id else None
    if notice is None:
        raise PayError(404, "RESOURCE_NOT_EXISTS", "该订单/退款还没有通知可以重发")
    return notice


def _forged_body(notice):
    """The notification with its amounts changed, as an attacker would send it (the key is known here,
    so the resource decrypts fine: only the signature check can catch it)."""
    payload = copy.deepcopy(notice["payload"])
    for name in ("total", "payer_total", "refund", "payer_refund"):
        if name in payload.get("amount", {}):
            payload["amount"][name] = 1
    envelope = {**notice["envelope"], "resource": encrypt_resource(payload, notice["original_type"],
                                                                   notice["original_type"])}
    return dumps(envelope)


# ---- delivery ------------------------------------------------------------------------------------

def _attempt(notice, mode, copy_no, attempt, variant):
    """POST one signed copy; record it; True when the merchant acknowledged (200/204)."""
    body, signature = notice["body"], None
    if variant == "signtest":
        signature = sign_test_signature()
    headers = platform_headers(body, signature)
    if variant == "tampered":
        body = _forged_body(notice)
    headers.update({"Content-Type": "application/json", "User-Agent": "Mozilla/4.0"})
    entry = {"notification_id": notice["id"], "event_type": notice["event_type"],
             "out_trade_no": notice["out_trade_no"], "out_refund_no": notice["out_refund_no"], "url": notice["url"],
             "mode": mode, "copy": copy_no, "attempt": attempt, "signature_valid": variant is None,
             "status": None, "response": None, "error": None, "body": body}
    try:
        response = requests.post(notice["url"], data=body.encode(), headers=headers, timeout=TIMEOUT)
        entry.update(status=response.status_code, response=response.text[:500])
    except requests.RequestException as exc:
        entry["error"] = f"{type(exc).__name__}: {exc}"[:300]
    state.record(LOG, entry)
    return entry["status"] in (200, 204)


def run_in_background(target, *args, **kwargs):
    """Run `target` in a daemon thread inside this app's context; a failure is logged, never raised."""
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            try:
                target(*args, **kwargs)
            except Exception:  # noqa: BLE001  (no caller to raise to: log it)
                app.logger.exception("WeChat Pay sandbox: background task failed")

    threading.Thread(target=run, daemon=True).start()


def _deliver(notice, mode, copy_no, delays, first_variant=None, start_delay=0.0, barrier=None):
    """One copy: wait, send, and retry after `delays` until acknowledged (or the state was flushed)."""
    time.sleep(start_delay)
    if barrier is not None:
        barrier.wait(timeout=10)
    variant = first_variant
    for attempt, pause in enumerate([0.0, *delays], start=1):
        time.sleep(pause)
        if state.get(("pay", "notice", notice["id"])) is None:
            return
        if _attempt(notice, mode, copy_no, attempt, variant) or variant == "tampered":
            return
        variant = None


def check_mode(mode):
    if mode not in MODES:
        raise PayError(400, "PARAM_ERROR", f"notify 只能是 {'/'.join(MODES)}")


def dispatch(notice, mode="normal", delay_seconds=None, copies=None):
    """Send a built notification the way `mode` says (in background threads)."""
    check_mode(mode)
    if not notice.get("url") or mode == "lost":
        return
    delays = retry_delays()
    if mode == "duplicate":
        count = int(copies or 2)
        barrier = threading.Barrier(count)
        for copy_no in range(1, count + 1):
            run_in_background(_deliver, notice, mode, copy_no, delays, barrier=barrier)
        return
    start = float(delay_seconds if delay_seconds is not None else 3) if mode == "late" else 0.0
    variant = mode if mode in ("tampered", "signtest") else None
    run_in_background(_deliver, notice, mode, 1, delays, first_variant=variant, start_delay=start)


def log(out_trade_no=None, event_type=None, notification_id=None):
    entries = state.read_log(LOG)
    filters = {"out_trade_no": out_trade_no, "event_type": event_type, "notification_id": notification_id}
    return [e for e in entries if all(v is None or e.get(k) == v for k, v in filters.items())]
