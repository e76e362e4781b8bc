"""Purchase API under /api/v1: orders, paying, group purchase, staff refunds."""
import time

from flask import current_app, request

from app.accounts.policy import current_user, require_owner
from app.api import ApiBlueprint, json_body, ok, parse_model
from app.errors import ApiError
from app.jobs import enqueue
from app.pay import orders
from app.pay.models import Order
from app.pay.schemas import (
    GroupCheckIn,
    GroupCheckJobOut,
    GroupCheckOut,
    GroupOrderIn,
    GroupOrderOut,
    OrderIn,
    OrderOut,
    PayIn,
    PayOut,
    RefundIn,
    RefundOut,
)
from app.units import service as units

bp = ApiBlueprint("pay_api", __name__)
GROUP_BODY_LIMIT = 2 * 1024 * 1024  # a list of 10,000 ID numbers, or the unit's xlsx
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHECKS_PER_HOUR = 30


def find_order(order_no):
    order = Order.get_or_none(Order.order_no == str(order_no)[:32])
    if order is None:
        raise ApiError("订单不存在", status=404)
    return require_owner(order, owner_field="buyer_id")


def settle_soon(order):
    """An open order being watched (the result page polls): ask WeChat Pay at most every 5 seconds."""
    from app.pay.settle import settle_order

    if order.status == "pending" and order.prepay_id:
        enqueue(settle_order, order.order_no, job_id=f"settle-{order.order_no}-{int(time.time() // 5)}")


def openid_for(user, channel):
    """The payer's openid: from the official account (JSAPI) or the mini-program."""
    from app.wechat.models import WechatIdentity

    kind = "mp" if channel == "jsapi" else "mini"
    identity = WechatIdentity.get_or_none(WechatIdentity.user == user.id, WechatIdentity.app_kind == kind)
    if identity is None:
        where = "微信公众号" if kind == "mp" else "小程序"
        raise ApiError(f"请先从{where}登录并绑定账号后再使用微信支付", code="wechat_not_bound", status=409)
    return identity.openid


def pay_order(order, channel):
    """Prepay through WeChat Pay; the same order number every time the learner pays again."""
    from app.pay import checkout

    openid = openid_for(current_user(), channel) if channel in ("jsapi", "mini") else None
    return checkout.prepay(order, channel, openid=openid, client_ip=request.remote_addr)


@bp.endpoint("/orders", methods=["POST"], body=OrderIn, response=OrderOut, status=201)
def create_order(data):
    """Buy a plan for myself (R-6): the order and its number exist before WeChat Pay is called."""
    order = orders.create_individual_order(current_user(), data.project_id, data.invoice)
    return ok(orders.order_view(order), "订单已创建", 201)


@bp.endpoint("/orders", response=list[OrderOut])
def my_orders():
    """My orders (individual and group)."""
    return ok(orders.order_views(orders.orders_of(current_user())))


@bp.endpoint("/orders/<order_no>", response=OrderOut)
def order_detail(order_no):
    """One order; its state comes only from WeChat Pay's verified notification or an active query."""
    order = find_order(order_no)
    settle_soon(order)
    return ok(orders.order_view(order, with_seats=order.kind == "group"))


@bp.endpoint("/orders/<order_no>/pay", methods=["POST"], body=PayIn, response=PayOut)
def pay(order_no, data):
    """Parameters to pay: wx.requestPayment / WeixinJSBridge (jsapi, mini) or a QR code_url (native)."""
    return ok(pay_order(find_order(order_no), data.channel))


def limit_checks(user):
    """Counted before anything is parsed: at most 30 checks an hour per account."""
    from app import ratelimit

    count, left = ratelimit.hit(f"group-check:{user.id}", 3600)
    if count > CHECKS_PER_HOUR:
        raise ApiError(f"名单校验过于频繁，请 {ratelimit.minutes(left)} 分钟后再试", status=429)


def _answer(result, user, unit, project, source):
    from app.pay.group import store

    result["unit_id"], result["source"] = unit.id, source
    check_id = store.save_check(result, user, unit, project)
    store.record_check(result, user, unit, project)
    return {**store.public_view(result), "check_id": check_id,
            "errors_url": f"/api/v1/group-orders/checks/{check_id}/errors.xlsx"}


@bp.endpoint("/group-orders/checks", methods=["POST"], max_body=GROUP_BODY_LIMIT, doc_body=GroupCheckIn,
             response=GroupCheckOut)
def group_check():
    """Check a pasted list (R-7): "身份证号" or "姓名 身份证号" a line; approved unit contacts only."""
    from app.pay.group import check, lines

    user = current_user()
    limit_checks(user)
    data = parse_model(GroupCheckIn, json_body())
    unit = units.require_contact(user, data.unit_id)
    project = orders.on_sale_project(data.project_id)
    result = check.check_lines(project, lines.split_lines(data.lines))
    return ok(_answer(result, user, unit, project, "text"))


@bp.endpoint("/group-orders/checks/upload", methods=["POST"], max_body=GROUP_BODY_LIMIT,
             response=GroupCheckOut | GroupCheckJobOut, status=(200, 202))
def group_check_upload():
    """Check the unit's xlsx list (附件2): multipart file, project_id, unit_id; large files in the worker (202)."""
    from app.pay.group import uploads

    user = current_user()
    limit_checks(user)
    unit = units.require_contact(user, _int(request.form.get("unit_id"), "请选择单位"))
    project = orders.on_sale_project(_int(request.form.get("project_id")))
    upload = request.files.get("file")
    if upload is None:
        raise ApiError("请选择要上传的 Excel 文件", status=422)
    data = upload.read(GROUP_BODY_LIMIT + 1)
    if len(data) <= uploads.INLINE_BYTES:
        return ok(uploads.check_workbook(data, user, unit, project))
    from app.units import xlsx_limits

    xlsx_limits.check_xlsx_bounds(data)  # refuse at once what the worker would refuse before parsing
    token = uploads.start(data, user, unit, project)
    return ok({"state": "running", "job": token, "poll_url": f"/api/v1/group-orders/checks/jobs/{token}"},
              "名单较大，正在后台校验", 202)


@bp.endpoint("/group-orders/checks/jobs/<token>", response=GroupCheckJobOut)
def group_check_job(token):
    """The outcome of a workbook checked in the worker: running, done (the check) or failed (the message)."""
    from app.pay.group import uploads

    return ok(uploads.outcome(token, current_user()))


@bp.endpoint("/group-orders/checks/<check_id>/errors.xlsx", media=XLSX)
def group_errors(check_id):
    """The failed lines as an xlsx file (numbers masked), with the reason per line."""
    return errors_file(check_id)


def errors_file(check_id):
    """The error file of one of my checks, as an xlsx download."""
    from app.pay.group import store

    workbook = store.error_workbook(store.load_check(check_id, current_user()))
    return current_app.response_class(workbook, mimetype=XLSX, headers={
        "Content-Disposition": "attachment; filename=group-errors.xlsx"})


@bp.endpoint("/group-orders", methods=["POST"], body=GroupOrderIn, response=GroupOrderOut, status=201)
def create_group_order(data):
    """One order for the valid lines of a check, paid at once by the unit's contact."""
    from app.pay.group import store

    user = current_user()
    saved = store.load_check(data.check_id, user)
    unit = units.require_contact(user, saved["unit_id"])
    order = orders.group_order_from_check(user, saved, data.invoice, unit)
    return ok(orders.order_view(order, with_seats=True), "团购订单已创建", 201)


@bp.endpoint("/group-orders", response=list[GroupOrderOut])
def group_orders():
    """Group orders I placed, with their seats (the names I typed, masked ID numbers)."""
    return ok(orders.order_views(orders.orders_of(current_user(), kind="group"), with_seats=True))


@bp.endpoint("/staff/orders/<order_no>", auth="staff", response=GroupOrderOut)
def staff_order(order_no):
    """Staff (finance, service desk): look up an order with its seats."""
    from app.staff.frame import require_role

    require_role("finance", "service_desk")
    return ok(orders.order_view(find_order(order_no), with_seats=True, staff=True))


@bp.endpoint("/staff/orders/<order_no>/refunds", methods=["POST"], body=RefundIn, auth="staff", response=RefundOut,
             status=201)
def staff_refund(order_no, data):
    """Staff (finance): refund a whole order or some seats (seats in use need override); audited."""
    from app.pay import refunds
    from app.staff import audit
    from app.staff.frame import require_role

    staff = require_role("finance")
    order = find_order(order_no)
    before = {"status": order.status, "refunded_fen": order.refunded_fen}
    refund = refunds.refund_seats(order, data.seat_ids, data.reason, staff, override=data.override)
    fresh = Order.get_by_id(order.id)
    audit.record("order.refund", "order", order.order_no, before,
                 {"status": fresh.status, "refunded_fen": fresh.refunded_fen},
                 {"out_refund_no": refund.out_refund_no, "amount_fen": refund.amount_fen,
                  "seat_ids": refunds.seat_ids_of(refund), "reason": data.reason, "override": refund.override})
    return ok({"out_refund_no": refund.out_refund_no, "amount_fen": refund.amount_fen, "status": refund.status},
              "退款已提交，结果以微信支付通知为准", 201)


def _int(value, message="请选择培训项目"):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(message, status=422) from None


