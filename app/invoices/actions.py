"""What a buyer does with the invoices of their orders, shared by the API (api.py) and the H5 pages (views.py).

Each function checks that the order or invoice is the current user's (404 otherwise, so another learner's
numbers reveal nothing) and raises ApiError with the message the user reads.
"""
from flask import current_app

from app import storage
from app.accounts.policy import current_user, require_owner
from app.db import utcnow
from app.errors import ApiError
from app.invoices import gateway, notices, rules, service, views_data
from app.invoices.models import InvoiceTitle
from app.pay.models import Order


def my_order(order_no):
    order = Order.get_or_none(Order.order_no == order_no)
    if order is None:
        raise ApiError("订单不存在", status=404)
    return require_owner(order, "buyer_id")


def my_invoice(fapiao_id):
    """(invoice, its order) of the current user."""
    invoice = views_data.find_invoice(fapiao_id)
    if invoice is None:
        raise ApiError("发票不存在", status=404)
    order = require_owner(Order.get_by_id(invoice.order_id), "buyer_id")
    return invoice, order


def run(func, *args):
    """A service call, its InvoiceError as the ApiError users read."""
    try:
        return func(*args)
    except service.InvoiceError as exc:
        raise ApiError(exc.message, status=exc.status) from None


def save_title(user, title):
    """Keep the title (a TitleIn) to pick again next time; the same title is kept once."""
    fields = title.model_dump(exclude_none=True)
    InvoiceTitle.get_or_create(user=user.id, title_type=fields.pop("title_type"), name=fields.pop("name"),
                               tax_no=fields.pop("tax_no", ""), defaults=fields)


def apply(order, title):
    """(invoice, created): the order's invoice applied for once; the title is saved."""
    result = run(service.apply_once, order, title.model_dump())
    save_title(current_user(), title)
    return result


def change(order, title):
    run(service.change_title, order, title.model_dump())
    save_title(current_user(), title)


def send_pdf(fapiao_id, download=False):
    """The kept PDF of my invoice as a response (inline to view or print, or as an attachment)."""
    invoice = views_data.find_invoice(fapiao_id)
    if invoice is None or not invoice.pdf_key:
        raise ApiError("发票不存在", status=404)
    require_owner(Order.get_by_id(invoice.order_id), "buyer_id")
    try:
        return storage.send(invoice.pdf_key, "application/pdf", f"fapiao-{invoice.fapiao_number}.pdf" if download
                            else None)
    except storage.StorageError as exc:
        current_app.logger.error("invoice %s: serving %s failed: %s", fapiao_id, invoice.pdf_key, exc)
        raise ApiError("发票文件暂时无法下载，请稍后再试", status=503) from None


def mail(fapiao_id, email):
    """Queue the PDF of my issued invoice to `email`; returns the order."""
    invoice, order = my_invoice(fapiao_id)
    if not invoice.pdf_key:
        raise ApiError("发票尚未开具，暂不能发送", status=409)
    notices.queue_mail(invoice, email)
    return order


def mark_booked(fapiao_id):
    invoice, order = my_invoice(fapiao_id)
    run(service.mark_booked, invoice)
    return order


def confirm_reversal(fapiao_id):
    invoice, order = my_invoice(fapiao_id)
    run(service.confirm_reversal, invoice)
    return order


def wechat_title_url(order_no):
    """The URL of WeChat's own title page for the payer of my order (the invoice follows its callback)."""
    order = my_order(order_no)
    refusal = rules.apply_refusal(order, utcnow())
    if refusal or service.current(order) is not None:
        raise ApiError(refusal or "已申请发票", status=409)
    if not order.payer_openid or not order.transaction_id:
        raise ApiError("该订单不是在微信内支付的，请填写抬头", status=409)
    try:
        return gateway.title_url(order)
    except (gateway.Unavailable, gateway.Refused):
        raise ApiError("微信发票抬头页暂时无法打开，请填写抬头", status=502) from None
