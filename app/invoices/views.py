"""H5 pages: 我的发票 (per paid order: state, apply, change the title once, view / download / print the PDF)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from pydantic import ValidationError

from app.accounts.policy import current_user, page, require_owner
from app.errors import ApiError
from app.invoices import actions, views_data
from app.invoices.models import InvoiceTitle
from app.invoices.schemas import TitleIn
from app.pay.models import Order

bp = Blueprint("invoice_pages", __name__)


def _title_from_form():
    fields = {k: (request.form.get(k) or "").strip() or None for k in TitleIn.model_fields}
    try:
        return TitleIn(**fields)
    except ValidationError as exc:
        raise ApiError("；".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None


@bp.route("/invoices")
@page()
def my_invoices():
    user = current_user()
    titles = InvoiceTitle.select().where(InvoiceTitle.user == user.id).order_by(InvoiceTitle.id.desc())
    return render_template("invoices/list.html", orders=views_data.my_orders(user), titles=list(titles))


@bp.route("/invoices/<order_no>/<action>", methods=["POST"])
@page()
def act(order_no, action):
    """Apply for the invoice or change its title, from the form on 我的发票."""
    order = Order.get_or_none(Order.order_no == order_no)
    if order is None or action not in ("apply", "change"):
        flash("订单不存在")
        return redirect(url_for("invoice_pages.my_invoices"))
    require_owner(order, "buyer_id")
    try:
        title = _title_from_form()
        if action == "apply":
            actions.apply(order, title)
        else:
            actions.change(order, title)
        flash("发票申请已提交" if action == "apply" else "发票抬头修改已提交")
    except ApiError as exc:
        flash(exc.message)
    return redirect(url_for("invoice_pages.my_invoices") + f"#o-{order_no}")


@bp.route("/invoices/<fapiao_id>/mail", methods=["POST"])
@page()
def mail(fapiao_id):
    """Send the PDF to the e-mail typed under the invoice."""
    from app.invoices.schemas import MailIn

    try:
        data = MailIn(email=(request.form.get("email") or "").strip())
        actions.mail(fapiao_id, data.email)
        flash(f"发票已发送到 {data.email}")
    except ValidationError:
        flash("电子邮箱格式不正确")
    except ApiError as exc:
        flash(exc.message)
    return redirect(url_for("invoice_pages.my_invoices"))


@bp.route("/invoices/<fapiao_id>/unit/<step>", methods=["POST"])
@page()
def unit_step(fapiao_id, step):
    """A unit's invoice: mark it booked, or confirm the red-letter reversal it is waiting for."""
    steps = {"booked": (actions.mark_booked, "已标记为已入账"), "confirm": (actions.confirm_reversal, "已确认冲红")}
    if step not in steps:
        flash("操作不存在")
        return redirect(url_for("invoice_pages.my_invoices"))
    actions.my_invoice(fapiao_id)  # another learner's invoice: 404, as the API answers
    try:
        steps[step][0](fapiao_id)
        flash(steps[step][1])
    except ApiError as exc:
        flash(exc.message)
    return redirect(url_for("invoice_pages.my_invoices"))


@bp.route("/invoices/<fapiao_id>.pdf")
@page()
def invoice_pdf(fapiao_id):
    return actions.send_pdf(fapiao_id, download=request.args.get("download") == "1")


@bp.route("/invoices/<order_no>/wechat-title")
@page()
def wechat_title(order_no):
    """Inside WeChat: open WeChat's own title page; the invoice follows its FAPIAO.USER_APPLIED callback."""
    try:
        url = actions.wechat_title_url(order_no)
    except ApiError as exc:
        flash(exc.message)
        return redirect(url_for("invoice_pages.my_invoices"))
    return redirect(url)
