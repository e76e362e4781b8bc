"""Console section "订单与退款" (/staff/orders): list, export, an order's page, refunds with confirmation.

Finance (and administrators) refund and export; the service desk sees orders read-only. A refund is
two posts: the first shows exactly what will happen (seats, amount, refund number) and changes
nothing; the confirmed one refunds and is audited.
"""
import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from app.accounts.policy import current_user
from app.errors import ApiError
from app.finance import order_list
from app.money import yuan
from app.pay import orders, refunds
from app.pay.models import Order, PaymentTransaction, Refund
from app.staff import audit
from app.staff.frame import register_section, staff_required
from app.staff.roles import has_role
from app.staff.tables import paginate

bp = Blueprint("staff_orders", __name__, url_prefix="/staff/orders")
VIEWERS = ("finance", "service_desk")
register_section("orders", "订单与退款", "staff_orders.list_page", VIEWERS, order=300)
audit.register_action("order.refund", "退款")
audit.register_action("order.export", "导出订单")
COLUMNS = [("no", "订单号", True), ("kind", "类型", False), ("project", "项目", False), ("buyer", "购买人", False),
           ("seats", "名额", False), ("amount", "金额（元）", True), ("state", "状态", True),
           ("created", "下单时间", True), ("paid", "支付时间", True)]


def _render_list(error=None, status=200):
    filters = order_list.read_filters(request.args)
    page = paginate(order_list.query(filters), order_list.SORTS, "created", True, filters.values)
    page.items = [order_list.row(o) for o in page.items]
    return render_template("finance/orders.html", page=page, filters=filters, columns=COLUMNS, error=error,
                           states=[("", "全部状态"), *order_list.STATES.items()],
                           kinds=[("", "全部类型"), *order_list.KINDS.items()],
                           projects=order_list.project_options(), can_export=has_role(current_user(), "finance"),
                           active_section="orders"), status


@bp.route("")
@staff_required(*VIEWERS)
def list_page():
    q = (request.args.get("q") or "").strip()
    if q and Order.select().where(Order.order_no == q).exists():
        return redirect(url_for("staff_orders.order_page", order_no=q))
    return _render_list()


@bp.route("/export.xlsx")
@staff_required("finance")
def export():
    filters = order_list.read_filters(request.args)
    data = order_list.export_xlsx(filters)
    audit.record("order.export", "orders", "", None, None, {k: v for k, v in filters.values.items() if v})
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=orders.xlsx"})


def _order_or_none(order_no):
    return Order.get_or_none(Order.order_no == (order_no or "")[:32])


def _not_found(order_no):
    return _render_list(ApiError(f"未找到订单 {order_no[:32]}，请核对订单号", status=404), 404)


def _transactions(order):
    rows = PaymentTransaction.select().where(PaymentTransaction.order == order.id).order_by(PaymentTransaction.id)
    return [{"at": t.created_at, "kind": t.kind, "direction": "微信→平台" if t.direction == "in" else "平台→微信",
             "status_code": t.status_code or "", "verified": t.verified, "outcome": t.outcome,
             "detail": _brief(t.detail)} for t in rows]


def _brief(detail):
    try:
        data = json.loads(detail or "{}")
    except ValueError:
        return detail[:120]
    keep = ("out_refund_no", "answer_trade_state", "trade_state", "answer_status", "refund_status", "total",
            "refund", "amount", "channel", "error", "source")
    return "；".join(f"{k}={data[k]}" for k in keep if data.get(k) not in (None, ""))[:160]


def _refund_rows(order, names):
    rows = Refund.select().where(Refund.order == order.id).order_by(Refund.id)
    return [{"no": r.out_refund_no, "amount": yuan(r.amount_fen),
             "status": order_list.REFUND_STATES.get(r.status, r.status),
             "seats": "、".join(names.get(i, str(i)) for i in refunds.seat_ids_of(r)), "reason": r.reason,
             "override": r.override, "by": r.created_by.name if r.created_by else "", "at": r.created_at,
             "finished": r.finished_at} for r in rows]


@bp.route("/<order_no>")
@staff_required(*VIEWERS)
def order_page(order_no):
    order = _order_or_none(order_no)
    if order is None:
        return _not_found(order_no)
    view = orders.order_view(order, with_seats=True, staff=True)
    in_use = orders.seats_in_use([s["id"] for s in view["seats"]])
    names = {s["id"]: s["name"] for s in view["seats"]}
    transactions = _transactions(order)
    return render_template("finance/order.html", order=order, view=view, in_use=in_use,
                           transactions=[t for t in transactions if t["direction"] == "平台→微信"],
                           notifications=[t for t in transactions if t["direction"] == "微信→平台"],
                           refund_rows=_refund_rows(order, names), can_refund=has_role(current_user(), "finance"),
                           refundable=order.status in refunds.REFUNDABLE_STATES, channels=order_list.CHANNELS,
                           active_section="orders")


def _seat_ids():
    """None for the whole order (scope=all); else the chosen seats, at least one."""
    ids = request.form.getlist("seat_id")
    if request.form.get("scope") == "all":
        return None
    if not ids:
        raise ApiError("请先勾选要退款的名额；整单退款请点“整单退款”", status=422)
    try:
        return [int(x) for x in ids][:1000]
    except ValueError:
        raise ApiError("所选名额无效", status=422) from None


@bp.route("/<order_no>/refund", methods=["POST"])
@staff_required("finance")
def refund(order_no):
    """First post: the confirmation (nothing changes); the confirmed post refunds, audited."""
    order = _order_or_none(order_no)
    if order is None:
        return _not_found(order_no)
    try:
        seat_ids = _seat_ids()
        plan = refunds.plan_refund(order.id, seat_ids)
    except ApiError as err:
        flash(err.message, "error")
        return redirect(url_for("staff_orders.order_page", order_no=order.order_no))
    reason = (request.form.get("reason") or "").strip()[:80]
    override = request.form.get("override") == "1"
    if request.form.get("confirmed") != "1":
        return _confirm(plan, seat_ids, reason, override)
    if not reason:
        return _confirm(plan, seat_ids, reason, override, {"reason": "请填写退款原因"}, 422)
    if plan.in_use and not override:
        message = "有名额的学员已开始学习或已获得证书，请勾选确认"
        return _confirm(plan, seat_ids, reason, override, {"override": message}, 422)
    before = _state(order)
    try:
        made = refunds.refund_seats(order, seat_ids, reason, current_user(), override)
    except ApiError as err:
        flash(err.message, "error")
        return redirect(url_for("staff_orders.order_page", order_no=order.order_no))
    audit.record("order.refund", "order", order.order_no, before, _state(order),
                 {"out_refund_no": made.out_refund_no, "amount_fen": made.amount_fen,
                  "seat_ids": refunds.seat_ids_of(made), "reason": reason, "override": made.override})
    flash(f"退款 {made.out_refund_no} 已提交（¥{yuan(made.amount_fen)}），结果以微信支付通知为准")
    return redirect(url_for("staff_orders.order_page", order_no=order.order_no))


def _state(order):
    order = Order.get_by_id(order.id)
    seats = {s.id: s.status for s in order.seats}
    return {"status": order.status, "refunded_fen": order.refunded_fen, "seats": seats}


def _confirm(plan, seat_ids, reason, override, errors=None, status=200):
    names = orders.seat_views(plan.order, staff=True)
    chosen = {s.id for s in plan.seats}
    return render_template("finance/refund_confirm.html", plan=plan, seats=[s for s in names if s["id"] in chosen],
                           seat_ids=seat_ids, reason=reason, override=override, errors=errors or {},
                           active_section="orders"), status
