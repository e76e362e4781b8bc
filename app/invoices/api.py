"""Invoices under /api/v1 (我的发票): my paid orders with their invoices, apply, change the title, the PDF.

The rules of each step are in actions.py (shared with the H5 pages) and service.py."""
from flask import request

from app.accounts.policy import current_user
from app.api import ApiBlueprint, ok
from app.invoices import actions, views_data
from app.invoices.models import InvoiceTitle
from app.invoices.schemas import InvoiceOrderOut, MailIn, SavedTitleOut, TitleIn, TitleUrlOut

bp = ApiBlueprint("invoices_api", __name__)


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
    order = actions.my_order(order_no)
    _invoice, created = actions.apply(order, data)
    return ok(views_data.order_view(order), "发票申请已提交", 201 if created else 200)


@bp.endpoint("/invoices/orders/<order_no>/change", methods=["POST"], body=TitleIn, response=InvoiceOrderOut)
def change(order_no, data):
    """Change the title once within 15 days of issue (the old invoice is reversed, a new one issued)."""
    order = actions.my_order(order_no)
    actions.change(order, data)
    return ok(views_data.order_view(order), "发票抬头修改已提交")


@bp.endpoint("/invoices/<fapiao_id>/pdf", media="application/pdf")
def invoice_pdf(fapiao_id):
    """The invoice's PDF, kept by the platform (the order's buyer only); `?download=1` as an attachment."""
    return actions.send_pdf(fapiao_id, download=request.args.get("download") == "1")


@bp.endpoint("/invoices/<fapiao_id>/mail", methods=["POST"], body=MailIn, response=InvoiceOrderOut)
def mail_pdf(fapiao_id, data):
    """Send the invoice's PDF to an e-mail address."""
    return ok(views_data.order_view(actions.mail(fapiao_id, data.email)), "发票已发送到邮箱")


@bp.endpoint("/invoices/<fapiao_id>/booked", methods=["POST"], response=InvoiceOrderOut)
def booked(fapiao_id):
    """A unit's invoice has been booked: a later red-letter reversal waits for the unit's confirmation."""
    return ok(views_data.order_view(actions.mark_booked(fapiao_id)), "已标记为已入账")


@bp.endpoint("/invoices/<fapiao_id>/confirm-reversal", methods=["POST"], response=InvoiceOrderOut)
def confirm_reversal(fapiao_id):
    """The unit confirms the red-letter reversal (红冲) of an invoice it had booked."""
    return ok(views_data.order_view(actions.confirm_reversal(fapiao_id)), "已确认冲红")


@bp.endpoint("/invoices/orders/<order_no>/wechat-title", response=TitleUrlOut)
def wechat_title(order_no):
    """Inside WeChat: the URL of WeChat's own title page for this order's payer (the invoice follows)."""
    return ok({"url": actions.wechat_title_url(order_no)})
