"""Console section "发票" (/staff/invoices) for finance: invoices by state, failed ones with WeChat's reason,
retry, reverse on request (after a confirmation page that shows what will happen), the month's xlsx."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from app.errors import ApiError
from app.invoices import service, staff_desk
from app.invoices.models import Invoice, InvoiceEvent
from app.invoices.views_data import STATUS_TEXT
from app.pay.models import Order
from app.staff import audit
from app.staff.frame import register_section, staff_required
from app.staff.tables import local_time, paginate

bp = Blueprint("staff_invoices", __name__, url_prefix="/staff/invoices")
register_section("invoices", "发票", "staff_invoices.list_page", ("finance",), order=310)
audit.register_action("invoice.retry", "重试开票")
audit.register_action("invoice.reverse", "发票冲红")
audit.register_action("invoice.export", "导出发票")


def _render_list(error=None, status=200, month_error=None):
    values, errors, where = staff_desk.read_filters(request.args)
    page = paginate(staff_desk.query(where), staff_desk.SORTS, "created", True, values)
    page.items = [staff_desk.row(i) for i in page.items]
    return render_template("invoices/staff_list.html", page=page, values=values, errors=errors, error=error,
                           columns=staff_desk.COLUMNS, states=[("", "全部状态"), *STATUS_TEXT.items()],
                           month_error=month_error, active_section="invoices"), status


@bp.route("")
@staff_required("finance")
def list_page():
    return _render_list()


@bp.route("/export.xlsx")
@staff_required("finance")
def export():
    month = (request.args.get("month") or "").strip()[:7]
    if staff_desk.month_bounds(month) is None:
        return _render_list(month_error="请选择月份（年-月）", status=400)
    audit.record("invoice.export", "invoices", month)
    return Response(staff_desk.export_month(month),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=invoices-{month}.xlsx"})


def _invoice_or_list(fapiao_id):
    invoice = Invoice.get_or_none(Invoice.fapiao_id == (fapiao_id or "")[:32])
    if invoice is None:
        return None, _render_list(ApiError(f"未找到发票 {fapiao_id[:32]}，请核对发票单号", status=404), 404)
    return invoice, None


@bp.route("/<fapiao_id>")
@staff_required("finance")
def invoice_page(fapiao_id):
    invoice, missing = _invoice_or_list(fapiao_id)
    if missing:
        return missing
    events = InvoiceEvent.select().where(InvoiceEvent.invoice == invoice.id).order_by(InvoiceEvent.id)
    return render_template("invoices/staff_invoice.html", invoice=invoice, row=staff_desk.row(invoice),
                           order=Order.get_by_id(invoice.order_id), local_time=local_time,
                           events=list(events), active_section="invoices")


@bp.route("/<fapiao_id>/retry", methods=["POST"])
@staff_required("finance")
def retry(fapiao_id):
    invoice, missing = _invoice_or_list(fapiao_id)
    if missing:
        return missing
    try:
        service.retry(invoice)
    except service.InvoiceError as exc:
        flash(exc.message)
        return redirect(url_for("staff_invoices.invoice_page", fapiao_id=fapiao_id))
    audit.record("invoice.retry", "invoice", fapiao_id, {"status": invoice.status}, None,
                 {"last_error": invoice.last_error})
    flash("已重新提交开票")
    return redirect(url_for("staff_invoices.invoice_page", fapiao_id=fapiao_id))


@bp.route("/<fapiao_id>/reverse", methods=["POST"])
@staff_required("finance")
def reverse(fapiao_id):
    """First post: the confirmation page (nothing changes). Confirmed: reverse (红冲) and audit."""
    invoice, missing = _invoice_or_list(fapiao_id)
    if missing:
        return missing
    if request.form.get("confirmed") != "1":
        return render_template("invoices/staff_reverse.html", invoice=invoice, row=staff_desk.row(invoice),
                               active_section="invoices")
    try:
        outcome = staff_desk.staff_reverse(invoice)
    except service.InvoiceError as exc:
        flash(exc.message)
        return redirect(url_for("staff_invoices.invoice_page", fapiao_id=fapiao_id))
    audit.record("invoice.reverse", "invoice", fapiao_id, {"status": "issued"}, {"status": outcome},
                 {"fapiao_number": invoice.fapiao_number, "reason": service.CHANGE_REASON})
    flash("已提交冲红" if outcome == "reversing" else "该单位已入账，须单位确认后冲红")
    return redirect(url_for("staff_invoices.invoice_page", fapiao_id=fapiao_id))
