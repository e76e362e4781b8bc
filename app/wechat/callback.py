"""The official account's message endpoint: URL check, signatures, plain and safe (AES) mode.

WeChat posts follows, menu clicks and text here; we answer within its 5 seconds with a text reply.
The query's signature covers only token, timestamp and nonce (not the body), and the access log records
the query: so a pushed message is taken only with a timestamp inside WECHAT_MP_MAX_AGE of our clock and a
nonce not seen before, and WECHAT_MP_SAFE_MODE_ONLY refuses plain-mode pushes (in safe mode the
message signature covers the encrypted body too).
"""
import logging
import time

from flask import Blueprint, current_app, request
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from app.redis_client import get_redis
from app.security import csrf_exempt
from app.wechat import replies

log = logging.getLogger(__name__)
bp = Blueprint("wechat_callback", __name__)


def _crypto():
    cfg = current_app.config
    return WeChatCrypto(cfg["WECHAT_MP_TOKEN"], cfg["WECHAT_MP_AES_KEY"], cfg["WECHAT_MP_APPID"])


def _text(body, status=200):
    return current_app.response_class(body, status=status, mimetype="text/plain")


@bp.route("/wechat/mp/callback", methods=["GET", "POST"])
@csrf_exempt
def callback():
    args = request.args
    try:
        check_signature(current_app.config["WECHAT_MP_TOKEN"], args.get("signature", ""),
                        args.get("timestamp", ""), args.get("nonce", ""))
    except InvalidSignatureException:
        log.warning("WeChat callback with a bad signature from %s", request.remote_addr)
        return _text("invalid signature", 403)
    if request.method == "GET":
        return _text(args.get("echostr", ""))
    encrypted = args.get("encrypt_type") == "aes"
    if not encrypted and current_app.config["WECHAT_MP_SAFE_MODE_ONLY"]:
        log.warning("WeChat callback in plain mode refused (safe mode required) from %s", request.remote_addr)
        return _text("safe mode required", 403)
    refusal = _stale_or_replayed(args.get("timestamp", ""), args.get("nonce", ""))
    if refusal:
        log.warning("WeChat callback refused (%s) from %s", refusal, request.remote_addr)
        return _text(refusal, 403)
    body = request.get_data()
    if not body.strip():
        return _text("empty body", 400)
    try:
        xml = _crypto().decrypt_message(body, args.get("msg_signature", ""), args["timestamp"], args["nonce"]) \
            if encrypted else body
        message = parse_message(xml) if xml and xml.strip() else None
    except (InvalidSignatureException, InvalidAppIdException):
        return _text("invalid message signature", 403)
    except Exception:  # noqa: BLE001  (malformed XML: refuse, never a 500)
        message = None
    if message is None or not getattr(message, "source", None):
        log.warning("WeChat callback with an empty or unreadable body")
        return _text("bad request", 400)
    if _seen_before(message):
        return _text("success")  # WeChat re-sends when slow; act once
    answer = replies.answer(message)
    if not answer:
        return _text("success")
    reply = create_reply(answer, message).render()
    if encrypted:
        reply = _crypto().encrypt_message(reply, args["nonce"], args["timestamp"])
    return current_app.response_class(reply, mimetype="application/xml")


def _seen_before(message):
    """WeChat retries a push three times: dedupe on MsgId (or sender + time for events)."""
    msg_id = getattr(message, "id", None) or f"{message.source}:{message.create_time}:{message.type}"
    return not get_redis().set(f"wx:push:{msg_id}", 1, nx=True, ex=300)


def _stale_or_replayed(timestamp, nonce):
    """Why a push's signed query must not be taken (None when fresh and first seen)."""
    max_age = current_app.config["WECHAT_MP_MAX_AGE"]
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return "bad timestamp"
    if age > max_age:
        return "stale timestamp"
    if not nonce or len(nonce) > 64:
        return "bad nonce"
    if not get_redis().set(f"wx:nonce:{timestamp}:{nonce}", 1, nx=True, ex=2 * max_age):
        return "replayed nonce"
    return None
