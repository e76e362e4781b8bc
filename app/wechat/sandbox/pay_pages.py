"""WeChat Pay sandbox: what a person's phone shows, the payment sheet ("cashier").

    GET  /_sandbox/pay/cashier?prepay_id=..&return_url=..   (H5's h5_url; JSAPI/APP pages send people here;
         also accepts redirect_url=, and appId/timeStamp/nonceStr/package/paySign to check the paySign)
    GET  /_sandbox/pay/scan?code_url=weixin://wxpay/bizpayurl?pr=..  or  ?pr=..   (Native: "scan" the QR)
    POST /_sandbox/pay/cashier/confirm   form: prepay_id, return_url   → paid, notified, redirected
    POST /_sandbox/pay/cashier/cancel    form: prepay_id, return_url   → unchanged (NOTPAY), redirected
"""
from urllib.parse import parse_qs, urlparse

from flask import Blueprint, current_app, redirect, render_template, request

from app.money import yuan
from app.wechat.sandbox import pay_store
from app.wechat.sandbox.pay_control import pay_and_notify
from app.wechat.sandbox.pay_crypto import PayError, verify_pay_sign

bp = Blueprint("sandbox_pay_pages", __name__)
PAY_SIGN_FIELDS = ("appId", "timeStamp", "nonceStr", "package", "paySign")


def _merchant_name():
    cfg = current_app.config
    return cfg.get("WECHATPAY_MERCHANT_NAME") or cfg.get("PLATFORM_NAME") or "沙箱商户"


def _safe_return_url(url):
    parts = urlparse(url or "")
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _result(title, text, status=200, kind="warn", return_url=None):
    return render_template("sandbox/pay_result.html", title=title, text=text, kind=kind,
                           return_url=_safe_return_url(return_url)), status


def _return_url(values):
    return values.get("return_url") or values.get("redirect_url") or ""


def _sheet(order, return_url):
    """The payment sheet for this order, or a page saying why it cannot be paid."""
    if "paySign" in request.args and not verify_pay_sign(*(request.args.get(k, "") for k in PAY_SIGN_FIELDS)):
        return _result("支付验证签名失败", "paySign 无法用商户公钥验证，请检查签名串："
                       "appId\\ntimeStamp\\nnonceStr\\npackage\\n", 400, return_url=return_url)
    error = pay_store.payable_error(order)
    if error:
        return _result("无法支付", error.message, error.status, return_url=return_url)
    return render_template("sandbox/pay_cashier.html", order=order,
                           merchant=_merchant_name(), return_url=return_url)


@bp.get("/_sandbox/pay/cashier")
def cashier():
    args = request.args
    prepay_id = args.get("prepay_id") or args.get("package", "").removeprefix("prepay_id=")
    order = pay_store.order_by(prepay_id=prepay_id) if prepay_id else None
    return _sheet(order, _return_url(args))


@bp.get("/_sandbox/pay/scan")
def scan():
    args = request.args
    pr = args.get("pr") or parse_qs(urlparse(args.get("code_url", "")).query).get("pr", [None])[0]
    order = pay_store.order_by(pr=pr) if pr else None
    return _sheet(order, _return_url(args))


@bp.post("/_sandbox/pay/cashier/confirm")
def confirm():
    form = request.form
    return_url = _safe_return_url(form.get("return_url"))
    order = pay_store.order_by(prepay_id=form.get("prepay_id", ""))
    try:
        order, _ = pay_and_notify(order["out_trade_no"] if order else "", mode="normal")
    except PayError as error:
        return _result("支付失败", error.message, error.status, return_url=return_url)
    if return_url:
        return redirect(return_url)
    return _result("支付成功", f"已向{_merchant_name()}支付 ¥{yuan(order['total'])}", kind="success")


@bp.post("/_sandbox/pay/cashier/cancel")
def cancel():
    return_url = _safe_return_url(request.form.get("return_url"))
    if return_url:
        return redirect(return_url)
    return _result("已取消支付", "订单未支付，可以回到商户页面重新发起支付。")
