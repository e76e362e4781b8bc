"""H5 pages for buying: confirm, pay (JSAPI inside WeChat, QR on a PC), result, orders, group purchase."""
import base64
import io
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from app.accounts.policy import current_user, page
from app.api import parse_model
from app.errors import ApiError
from app.learning import catalog
from app.pay import orders
from app.pay.api import GROUP_BODY_LIMIT, errors_file, find_order, limit_checks, pay_order
from app.pay.schemas import InvoiceIn
from app.security import large_body
from app.units import service as units

bp = Blueprint("pay_pages", __name__)


def _invoice_from_form():
    fields = {k: request.form.get(f"invoice_{k}") or None for k in ("choice", "title_type", "title", "tax_no")}
    fields["choice"] = fields["choice"] or "later"
    return parse_model(InvoiceIn, fields)


def in_wechat():
    return "MicroMessenger" in request.headers.get("User-Agent", "")


def device():
    """Where the learner is: "wechat" (JSAPI), "phone" (H5 payment opens WeChat) or "pc" (a QR code)."""
    agent = request.headers.get("User-Agent", "")
    if "MicroMessenger" in agent:
        return "wechat"
    if any(word in agent for word in ("Mobile", "Android", "iPhone", "iPad", "HarmonyOS")):
        return "phone"
    return "pc"


CHANNELS_BY_DEVICE = {"wechat": ("jsapi",), "phone": ("h5", "native"), "pc": ("native",)}


@bp.route("/projects/<int:project_id>/buy", methods=["GET", "POST"])
@page()
def buy(project_id):
    """Confirm the project and the invoice choice, then make the order (R-6)."""
    project = orders.on_sale_project(project_id)
    if project.id in catalog.owned_project_ids(current_user()):  # never offer to buy a plan twice
        flash("您已拥有该培训项目，无需重复购买")
        return redirect(url_for("learning.my_learning"))
    error = None
    if request.method == "POST":
        try:
            order = orders.create_individual_order(current_user(), project.id, _invoice_from_form())
            return redirect(url_for("pay_pages.pay", order_no=order.order_no))
        except ApiError as err:
            if err.status == 409 and err.code == "conflict" and "已拥有" in err.message:
                flash(err.message)
                return redirect(url_for("learning.my_learning"))
            error = err
    return render_template("pay/buy.html", project=catalog.project_view(project), error=error,
                           form=request.form), 422 if error else 200


@bp.route("/orders/<order_no>/pay", methods=["GET", "POST"])
@page()
def pay(order_no):
    """Choose how to pay; inside WeChat the page goes straight to JSAPI."""
    order = find_order(order_no)
    view = orders.order_view(order)
    if not view["payable"]:
        return redirect(url_for("pay_pages.result", order_no=order_no))
    where = device()
    channel = request.form.get("channel") if request.method == "POST" else ("jsapi" if where == "wechat" else None)
    if channel not in CHANNELS_BY_DEVICE[where]:
        return render_template("pay/choose.html", order=view, device=where)
    try:
        params = pay_order(order, channel)
    except ApiError as err:
        if err.code == "wechat_not_bound":  # JSAPI needs the openid: go through OAuth once
            return redirect(url_for("wechat.start", next=url_for("pay_pages.pay", order_no=order_no)))
        if err.code == "order_closed":  # opened elsewhere with another payer or channel: start afresh
            flash("原订单已关闭，请重新下单")
            target = url_for("pay_pages.buy", project_id=order.project_id) if order.kind == "individual" else \
                url_for("pay_pages.group", project_id=order.project_id)
            return redirect(target)
        raise
    if channel == "native":
        return render_template("pay/native.html", order=view, qr=_qr_data_uri(params["code_url"]),
                               sandbox_scan=_sandbox_url("/_sandbox/pay/scan", code_url=params["code_url"]))
    result_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("pay_pages.result", order_no=order_no)
    if channel == "h5":  # WeChat's page opens the WeChat app, then comes back to the result page
        return redirect(params["h5_url"] + "&redirect_url=" + quote(result_url, safe=""))
    cashier = _sandbox_url("/_sandbox/pay/cashier", prepay_id=params["package"].split("=", 1)[1],
                           return_url=result_url, **params)
    return render_template("pay/jsapi.html", order=view, params=params, sandbox_cashier=cashier)


@bp.route("/orders/<order_no>/cancel", methods=["POST"])
@page()
def cancel(order_no):
    """The learner gives up this payment: the order is closed (at WeChat Pay first when it was opened)."""
    from app.pay import settle

    order = find_order(order_no)
    outcome = settle.abandon_order(order)
    if outcome == "paid":
        flash("该订单已支付")
        return redirect(url_for("pay_pages.result", order_no=order_no))
    flash("订单已取消")
    if order.kind == "individual":
        return redirect(url_for("learning.project", project_id=order.project_id))
    return redirect(url_for("pay_pages.my_orders"))


def _qr_data_uri(text):
    """The code_url as an SVG QR code, inline (no file, no network)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _sandbox_url(path, **params):
    """Outside production, the WeChat sandbox stands in for the phone that pays."""
    base = current_app.config.get("WECHAT_SANDBOX_URL")
    if not base or current_app.config["APP_ENV"] == "production":
        return None
    return f"{base.rstrip('/')}{path}?{urlencode(params)}"


@bp.route("/orders/<order_no>/result")
@page()
def result(order_no):
    """Polls the order: only what WeChat Pay's verified notification or a query set counts."""
    order = find_order(order_no)
    return render_template("pay/result.html", order=orders.order_view(order))


@bp.route("/orders")
@page()
def my_orders():
    return render_template("pay/orders.html", orders=orders.order_views(orders.orders_of(current_user())))


def _group_lines(unit, project):
    """The check of the posted list: pasted text, or a workbook (large ones go to the worker: a token)."""
    from app.pay.api import _answer
    from app.pay.group import check, lines, uploads
    from app.units import xlsx_limits

    upload = request.files.get("file")
    if upload and upload.filename:
        data = upload.read(GROUP_BODY_LIMIT + 1)
        if len(data) <= uploads.INLINE_BYTES:
            return uploads.check_workbook(data, current_user(), unit, project), None
        xlsx_limits.check_xlsx_bounds(data)
        return None, uploads.start(data, current_user(), unit, project)
    result = check.check_lines(project, lines.split_lines(request.form.get("lines", "")))
    return _answer(result, current_user(), unit, project, "text"), None


@bp.route("/group", methods=["GET", "POST"], endpoint="group")
@large_body(GROUP_BODY_LIMIT)
@page()
def group_page():
    """Group purchase (R-7) for a unit's approved contact: paste or upload the list, every line's verdict."""
    my_units = units.contact_units(current_user())
    projects = [p for p in catalog.catalogue(current_user()) if p["on_sale"]]
    selected = request.values.get("project_id", type=int) or (projects[0]["id"] if projects else None)
    unit_id = request.values.get("unit_id", type=int) or (my_units[0].id if my_units else None)
    checked, error = None, None
    if request.method == "POST":
        try:
            limit_checks(current_user())
            unit = units.require_contact(current_user(), unit_id)
            project = orders.on_sale_project(selected or 0)
            checked, token = _group_lines(unit, project)
            if token:
                return redirect(url_for("pay_pages.group_job", token=token))
        except ApiError as err:
            error = err
    return render_template("pay/group.html", projects=projects, selected=selected, checked=checked, error=error,
                           units=my_units, unit_id=unit_id, lines=request.form.get("lines", "")), \
        (error.status if error else 200)


@bp.route("/group/jobs/<token>", endpoint="group_job")
@page()
def group_job(token):
    """A large workbook being checked in the worker: the page refreshes itself until the answer is there."""
    from app.pay.group import uploads

    answer = uploads.outcome(token, current_user())
    if answer["state"] == "running":
        return render_template("pay/group_job.html")
    error = ApiError(answer["message"], status=422) if answer["state"] == "failed" else None
    checked = answer if answer["state"] == "done" else None
    my_units = units.contact_units(current_user())
    projects = [p for p in catalog.catalogue(current_user()) if p["on_sale"]]
    return render_template("pay/group.html", projects=projects, selected=answer.get("project_id"), checked=checked,
                           error=error, units=my_units, unit_id=answer.get("unit_id"), lines="")


@bp.route("/group/order", methods=["POST"])
@page()
def group_order():
    from app.pay.group import store

    saved = store.load_check(request.form.get("check_id", ""), current_user())
    try:
        unit = units.require_contact(current_user(), saved["unit_id"])
        order = orders.group_order_from_check(current_user(), saved, _invoice_from_form(), unit)
    except ApiError as err:
        flash(err.message)
        return redirect(url_for("pay_pages.group", project_id=saved["project_id"]))
    return redirect(url_for("pay_pages.pay", order_no=order.order_no))


@bp.route("/group/checks/<check_id>/errors.xlsx")
@page()
def group_errors(check_id):
    return errors_file(check_id)


@bp.route("/group/orders")
@page()
def group_orders():
    from app.invoices.views_data import state_texts

    rows = orders.order_views(orders.orders_of(current_user(), kind="group"), with_seats=True)
    return render_template("pay/group_orders.html", orders=rows, invoices=state_texts(o["order_no"] for o in rows))


@bp.route("/orders/<order_no>")
@page()
def order_detail(order_no):
    order = find_order(order_no)
    return render_template("pay/order.html", order=orders.order_view(order, with_seats=True))
