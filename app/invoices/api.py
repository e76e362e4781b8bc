"""Invoices under /api/v1 (我的发票): my paid orders with their invoices, apply, change the title, the PDF."""
from flask import current_app, request

from app import storage
from app.accounts.policy import current_user, require_owner
from app.api import ApiBlueprint, ok
from app.errors import ApiError
from app.invoices import gateway, notices, service, views_data
from app.invoices.models import InvoiceTitle
from app.invoices.schemas import InvoiceOrderOut, MailIn, SavedTitleOut, TitleIn, TitleUrlOut
from app.pay.models import Order

bp = ApiBlueprint("invoices_api", __name__)


def _my_order(order_no):
    order = Order.get_or_none(Order.order_no == order_no)
    if order is None:
        raise ApiError("订单不存在", status=404)
    return require_owner(order, "buyer_id")


def _run(func, *args):
    try:
        return func(*args)
    except service.InvoiceError as exc:
        raise ApiError(exc.message, status=exc.status) from None


def _save_title(user, data):
    fields = data.model_dump(exclude_none=True)
    InvoiceTitle.get_or_create(user=user.id, title_type=fields.pop("title_type"), name=fields.pop("name"),
                               tax_no=fields.pop("tax_no", ""), defaults=fields)


@bp.endpoint("/invoices", response=list[InvoiceOrderOut])
def my_invoices():
    """我的发票: every paid order of mine, its invoice state and what I may do."""
    return ok(views_data.my_orders(current_user()))


@bp.endpoint("/invoices/titles", response=list[SavedTitleOut])
def saved_titles():
    """My saved titles, newest first, to pick again."""
    rows = InvoiceTitle.select().where(InvoiceTitle.user == current_user().id).order_by(InvoiceTitle.id.desc())
    return ok([{"title_type": t.title_type, "name": t.name, "tax_no": t.tax_no or None, "email": t.email or None}
               for t in rows])


@bp.endpoint("/invoices/orders/<order_no>/apply", methods=["POST"], body=TitleIn, response=InvoiceOrderOut,
             status=(200, 201))
def apply(order_no, data):
    """Apply for the order's invoice (in the calendar year of payment); pressing twice gives one invoice."""
    order = _my_order(order_no)
    _invoice, created = _run(service.apply_once, order, data.model_dump())
    _save_title(current_user(), data)
    return ok(views_data.order_view(order), "发票申请已提交", 201 if created else 200)


@bp.endpoint("/invoices/orders/<order_no>/change", methods=["POST"], body=TitleIn, response=InvoiceOrderOut)
def change(order_no, data):
    """Change the title once within 15 days of issue (the old invoice is reversed, a new one issued)."""
    order = _my_order(order_no)
    _run(service.change_title, order, data.model_dump())
    _save_title(current_user(), data)
    return ok(views_data.order_view(order), "发票抬头修改已提交")


@bp.endpoint("/invoices/<fapiao_id>/pdf", media="application/pdf")
def invoice_pdf(fapiao_id):
    """The invoice's PDF, kept by the platform (the order's buyer only); `?download=1` as an attachment."""
    invoice = views_data.find_invoice(fapiao_id)
    if invoice is None or not invoice.pdf_key:
        raise ApiError("发票不存在", status=404)
    require_owner(Order.get_by_id(invoice.order_id), "buyer_id")
    try:
        name = f"fapiao-{invoice.fapiao_number}.pdf" if request.args.get("download") == "1" else None
        return storage.send(invoice.pdf_key, "application/pdf", name)  # no name: shown inline, to view or print
    except storage.StorageError as exc:
        current_app.logger.error("invoice %s: serving %s failed: %s", fapiao_id, invoice.pdf_key, exc)
        raise ApiError("发票文件暂时无法下载，请稍后再试", status=503) from None


def _my_invoice(fapiao_id):
    invoice = views_data.find_invoice(fapiao_id)
    if invoice is None:
        raise ApiError("发票不存在", status=404)
    order = require_owner(Order.get_by_id(invoice.order_id), "buyer_id")
    return invoice, order


@bp.endpoint("/invoices/<fapiao_id>/mail", methods=["POST"], body=MailIn, response=InvoiceOrderOut)
def mail_pdf(fapiao_id, data):
    """Send the invoice's PDF to an e-mail address."""
    invoice, order = _my_invoice(fapiao_id)
    if not invoice.pdf_key:
        raise ApiError("发票尚未开具，暂不能发送", status=409)
    notices.queue_mail(invoice, data.email)
    return ok(views_data.order_view(order), "发票已发送到邮箱")


@bp.endpoint("/invoices/<fapiao_id>/booked", methods=["POST"], response=InvoiceOrderOut)
def booked(fapiao_id):
    """A unit's invoice has been booked: a later red-letter reversal waits for the unit's confirmation."""
    invoice, order = _my_invoice(fapiao_id)
    _run(service.mark_booked, invoice)
    return ok(views_data.order_view(order), "已标记为已入账")


@bp.endpoint("/invoices/<fapiao_id>/confirm-reversal", methods=["POST"], response=InvoiceOrderOut)
def confirm_reversal(fapiao_id):
    """The unit confirms the red-letter reversal (红冲) of an invoice it had booked."""
    invoice, order = _my_invoice(fapiao_id)
    _run(service.confirm_reversal, invoice)
    return ok(views_data.order_view(order), "已确认冲红")


@bp.endpoint("/invoices/orders/<order_no>/wechat-title", response=TitleUrlOut)
def wechat_title(order_no):
    """Inside WeChat: the URL of WeChat's own title page for this order's payer (the invoice follows)."""
    order = _my_order(order_no)
    refusal = service.rules.apply_refusal(order, service.utcnow())
    if refusal or service.current(order) is not None:
        raise ApiError(refusal or "已申请发票", status=409)
    if not order.payer_openid or not order.transaction_id:
        raise ApiError("该订单不是在微信内支付的，请填写抬头", status=409)
    try:
        url = gateway.title_url(order)
    except (gateway.Unavailable, gateway.Refused):
        raise ApiError("微信发票抬头页暂时无法打开，请填写抬头", status=502) from None
    return ok({"url": url})
