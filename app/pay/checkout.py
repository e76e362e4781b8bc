"""Opening an order at WeChat Pay (prepay) and the payment parameters the front ends need.

Above gateway (the calls) and settle (state changes): a prepay that WeChat refuses because the order was
paid or closed meanwhile is settled or abandoned here.
"""
import datetime
import logging
import secrets
import time

from flask import current_app
from wechatpayv3 import WeChatPayType

from app.db import utcnow
from app.errors import ApiError
from app.learning.models import Project
from app.pay import gateway, settle
from app.pay.models import Order

log = logging.getLogger(__name__)

CHANNELS = ("jsapi", "mini", "native", "h5")
CST = gateway.CST


# ---- prepay --------------------------------------------------------------------------------------

def rfc3339(naive_utc):
    """A stored naive-UTC time as WeChat wants it: RFC 3339 in +08:00."""
    return naive_utc.replace(tzinfo=datetime.UTC).astimezone(CST).isoformat(timespec="seconds")


def payable_problem(order, now=None):
    """Why this order cannot be paid now (a user message), or None."""
    if order.status == "paid" or order.status.endswith("refunded"):
        return "该订单已支付，无需重复付款"
    if order.status != "pending":
        return "该订单已关闭，请重新下单"
    if order.expires_at <= (now or utcnow()):
        return "该订单已超过支付时限，请重新下单"
    return None


def _payer(channel, openid):
    """(appid, pay type) of a channel; jsapi and mini need the payer's openid."""
    cfg = current_app.config
    if channel not in CHANNELS:
        raise ApiError("不支持的支付方式", status=422)
    if channel in ("jsapi", "mini") and not openid:
        raise ApiError("请在微信中打开后再支付", status=422)
    if channel == "mini":
        return cfg["WECHAT_MINI_APPID"], WeChatPayType.MINIPROG
    if channel == "h5":  # a phone browser outside WeChat: WeChat Pay's H5 payment opens the WeChat app
        return cfg["WECHAT_MP_APPID"], WeChatPayType.H5
    return cfg["WECHAT_MP_APPID"], WeChatPayType.JSAPI if channel == "jsapi" else WeChatPayType.NATIVE


def _same_payer(order, channel, appid, openid):
    """A repeat prepay must carry the same content as the first (same out_trade_no)."""
    if not order.prepaid_at:
        return True
    return (order.pay_channel, order.payer_appid, order.payer_openid) == (channel, appid, openid or "")


def prepay(order, channel, openid=None, client_ip=None):
    """Open (or reopen) the order at WeChat Pay; returns the front end's payment parameters.

    `client_ip` is the payer's address, which H5 payment requires (WeChat compares it with the address
    the payment is confirmed from); the other channels do not send it.
    """
    order = Order.get_by_id(order.id)
    problem = payable_problem(order)
    if problem:
        raise ApiError(problem, code="conflict", status=409)
    appid, pay_type = _payer(channel, openid)
    if not _same_payer(order, channel, appid, openid):
        raise _abandoned(order, "该订单已在其他设备或方式发起支付，已为您关闭，请重新下单")
    status, body = _prepay_call(order, channel, appid, pay_type, openid, client_ip)
    if status != 200:
        raise _prepay_refusal(order, status, body)
    Order.update(pay_channel=channel, payer_appid=appid, payer_openid=openid or "", prepay_id=body.get("prepay_id", ""),
                 code_url=body.get("code_url", ""), prepaid_at=utcnow(), updated_at=utcnow()).where(
        Order.id == order.id).execute()
    if channel == "native":
        return {"code_url": body["code_url"]}
    if channel == "h5":
        return {"h5_url": body["h5_url"]}
    return pay_params(appid, body["prepay_id"])


def _prepay_call(order, channel, appid, pay_type, openid, client_ip=None):
    project = Project.get_by_id(order.project_id)
    kwargs = {"description": project.name[:127], "out_trade_no": order.order_no,
              "amount": {"total": order.amount_fen, "currency": "CNY"}, "time_expire": rfc3339(order.expires_at),
              "notify_url": gateway.notify_url(), "appid": appid, "pay_type": pay_type}
    if openid:
        kwargs["payer"] = {"openid": openid}
    if channel == "h5":
        kwargs["scene_info"] = {"payer_client_ip": client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
    summary = {"out_trade_no": order.order_no, "channel": channel, "appid": appid, "amount": order.amount_fen}
    return gateway.call("prepay", order.id, gateway.client().pay, summary, **kwargs)


def _abandoned(order, message):
    """Close an order that cannot be paid as asked (at WeChat Pay first): the learner orders again.

    The same out_trade_no cannot be prepaid with other content (channel, payer), so the order is closed
    and a new order gets a new number; if it was paid meanwhile it is settled paid instead.
    """
    outcome = settle.abandon_order(order)
    if outcome == "paid":
        return ApiError("该订单已支付，无需重复付款", code="conflict", status=409)
    return ApiError(message, code="order_closed", status=409)


def _prepay_refusal(order, status, body):
    code = body.get("code")
    log.warning("WeChat Pay refused prepay of %s: %s %s", order.order_no, code, body.get("message"))
    if code == "ORDERPAID":
        settle.queue_settle([order.order_no])
        return gateway.refused("prepay", status, body, "该订单已支付，正在确认支付结果，请稍后刷新", 409)
    if code in ("ORDER_CLOSED", "INVALID_REQUEST"):
        return _abandoned(order, "该订单已无法支付，已为您关闭，请重新下单")
    return gateway.refused("prepay", status, body)


def pay_params(appid, prepay_id):
    """What WeixinJSBridge / wx.requestPayment need, with paySign by the merchant key."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    package = f"prepay_id={prepay_id}"
    return {"appId": appid, "timeStamp": timestamp, "nonceStr": nonce, "package": package, "signType": "RSA",
            "paySign": gateway.client().sign([appid, timestamp, nonce, package])}
