"""Orders as plain functions: create (individual or group), and what happens once paid or refunded.

The order number is made here, before WeChat Pay is ever called. Payment state only changes in
app/pay/settle.py, from a verified notification or an active query.
"""
import datetime
import logging
import secrets

import peewee
from flask import current_app

from app.accounts.models import User
from app.db import db, utcnow
from app.errors import ApiError
from app.learning import revoke
from app.learning.models import Enrollment, Project
from app.money import yuan
from app.pay.group import store
from app.pay.models import Order, OrderSeat
from app.units.models import Unit

log = logging.getLogger(__name__)
ORDER_TTL = datetime.timedelta(minutes=30)
OPEN_STATES = ("pending",)


def new_order_no(now=None):
    """CE + Shanghai date-time + 6 random digits: 22 characters, unique, sortable by time."""
    now = (now or utcnow()) + datetime.timedelta(hours=8)
    return f"CE{now:%Y%m%d%H%M%S}{secrets.randbelow(10 ** 6):06d}"


def on_sale_project(project_id):
    project = Project.get_or_none(Project.id == project_id)
    if project is None or not project.is_published:
        raise ApiError("培训项目不存在", status=404)
    if not project.on_sale():
        raise ApiError("该培训项目当前不在销售期内", status=422)
    return project


def owners(project, user_ids):
    """The users among `user_ids` who already own the plan."""
    if not user_ids:
        return set()
    rows = Enrollment.select(Enrollment.user).where(
        Enrollment.project == project.id, Enrollment.user.in_(list(user_ids)), Enrollment.status == "active")
    return {r.user_id for r in rows}


def create_individual_order(user, project_id, invoice):
    """An order for the buyer's own seat; their open one for the same plan is reused (same order number).

    A seat in someone else's unpaid order (a unit's group order) reserves nothing: the learner can
    always buy alone; if both are paid, the later-paid seat is refunded (app.pay.duplicates).
    """
    project = on_sale_project(project_id)
    with db.atomic():
        if owners(project, {user.id}):
            raise ApiError("您已拥有该培训项目，无需重复购买", code="conflict", status=409)
        open_order = (Order.select().join(OrderSeat)
                      .where(Order.project == project.id, Order.status == "pending", Order.kind == "individual",
                             Order.buyer == user.id, OrderSeat.user == user.id)
                      .first())
        if open_order is not None:
            _apply_invoice(open_order, invoice)
            return Order.get_by_id(open_order.id)
        order = Order.create(order_no=new_order_no(), kind="individual", buyer=user.id, project=project.id,
                             seat_count=1, unit_price_fen=project.price_fen, amount_fen=project.price_fen,
                             expires_at=utcnow() + ORDER_TTL, **_invoice_fields(invoice))
        OrderSeat.create(order=order.id, user=user.id, amount_fen=project.price_fen)
    log.info("order %s created (individual, %s fen)", order.order_no, order.amount_fen)
    return order


def group_order_from_check(buyer, saved, invoice, unit):
    """The order of a saved check (app.pay.group.store): made once; placing it again returns the same order."""
    if saved.get("order_no"):
        order = Order.get_or_none(Order.order_no == saved["order_no"], Order.buyer == buyer.id)
        if order is not None:
            return order
    order = create_group_order(buyer, saved["project_id"], saved["valid_user_ids"], invoice, unit=unit,
                               labels=saved["labels"])
    store.mark_ordered(saved, order.order_no)
    return order


def create_group_order(buyer, project_id, user_ids, invoice, unit=None, labels=None):
    """One order with a seat per learner, paid at once by the unit's contact.

    Nothing about the learners is checked or said here (whether they own the plan or sit in another
    unpaid order): an unpaid order reserves nobody, and a seat whose learner owns the plan when this
    order is paid is refunded automatically. `labels` {user_id: name typed by the contact} is what
    the contact sees of each seat, with the masked ID number.
    """
    project = on_sale_project(project_id)
    user_ids = list(dict.fromkeys(user_ids))
    if not user_ids:
        raise ApiError("没有可购买的学员", status=422)
    labels = labels or {}
    with db.atomic():
        order = Order.create(order_no=new_order_no(), kind="group", buyer=buyer.id, project=project.id,
                             unit=getattr(unit, "id", None), seat_count=len(user_ids),
                             unit_price_fen=project.price_fen, amount_fen=project.price_fen * len(user_ids),
                             expires_at=utcnow() + ORDER_TTL, **_invoice_fields(invoice))
        rows = [{"order": order.id, "user": uid, "amount_fen": project.price_fen, "created_at": utcnow(),
                 "label": str(labels.get(uid) or labels.get(str(uid)) or "")[:30]} for uid in user_ids]
        for start in range(0, len(rows), 500):
            OrderSeat.insert_many(rows[start:start + 500]).execute()
    log.info("order %s created (group, %s seats)", order.order_no, len(user_ids))
    return order


def _invoice_fields(invoice):
    if invoice is None or invoice.choice == "later":
        return {"invoice_choice": "later", "invoice_title_type": "", "invoice_title": "", "invoice_tax_no": ""}
    return {"invoice_choice": "now", "invoice_title_type": invoice.title_type, "invoice_title": invoice.title,
            "invoice_tax_no": invoice.tax_no or ""}


def _apply_invoice(order, invoice):
    if invoice is not None:
        Order.update(updated_at=utcnow(), **_invoice_fields(invoice)).where(Order.id == order.id).execute()


def on_paid(order):
    """Inside the transaction that marked the order paid: every seat's learner owns the plan (R-8).

    A learner who owns the plan already (through an order paid earlier) keeps that enrollment
    untouched; this order's seat for them is a duplicate, refunded after the commit
    (app.pay.duplicates). The learners of a unit's order become the unit's members.
    """
    from app.units.service import add_seat_members

    seats = list(OrderSeat.select().where(OrderSeat.order == order.id, OrderSeat.status == "active"))
    source = "purchase" if order.kind == "individual" else "group"
    granted = []
    for seat in seats:
        fields = {"source": source, "order_id": order.id, "seat_id": seat.id}
        existing = Enrollment.get_or_none(Enrollment.user == seat.user_id, Enrollment.project == order.project_id)
        if existing is None:
            try:
                with db.atomic():
                    Enrollment.create(user=seat.user_id, project=order.project_id, **fields)
                granted.append(seat)
                continue
            except peewee.IntegrityError:
                existing = Enrollment.get(Enrollment.user == seat.user_id, Enrollment.project == order.project_id)
        if existing.status == "revoked":  # refunded before, bought again
            Enrollment.update(status="active", revoked_at=None, **fields).where(Enrollment.id == existing.id).execute()
            granted.append(seat)
        else:
            log.info("order %s: seat %s is a duplicate (the learner owns the plan already)", order.order_no, seat.id)
    add_seat_members(order, granted)
    return seats


def after_paid(order):
    """After the commit: tell the buyer and every seat's learner (through the message queue)."""
    from app.wechat import messages

    order = Order.get_by_id(order.id)
    project = Project.get_by_id(order.project_id)
    buyer = User.get_by_id(order.buyer_id)
    messages.notify(f"order-paid:{order.id}", buyer, "purchase_paid",
                    {"project": project.name, "amount": yuan(order.amount_fen) + "元", "order_no": order.order_no,
                     "time": _local(order.paid_at)}, url=_url(f"/orders/{order.order_no}"))
    if order.kind == "group":
        unit = (order.unit.name if order.unit_id else
                order.invoice_title if order.invoice_title_type == "unit" and order.invoice_title else buyer.name)
        for seat in OrderSeat.select().where(OrderSeat.order == order.id, OrderSeat.status == "active"):
            messages.notify(f"seat-granted:{seat.id}", User.get_by_id(seat.user_id), "seat_granted",
                            {"project": project.name, "unit": unit, "time": _local(order.paid_at)},
                            url=_url("/learning"))


def on_seats_refunded(order, seat_ids):
    """A refund went through (inside its transaction): those seats stop counting; learners who hold the
    plan through no other valid source lose it (app/learning/revoke.py). Returns [(user id, outcome)] for
    `revoke.after_commit`."""
    OrderSeat.update(status="refunded").where(OrderSeat.id.in_(seat_ids)).execute()
    seats = OrderSeat.select(OrderSeat.id, OrderSeat.user).where(OrderSeat.id.in_(seat_ids)).order_by(OrderSeat.id)
    return [(seat.user_id, revoke.seat_released(seat.user_id, order.project_id, seat.id)) for seat in seats]


def seats_in_use(seat_ids):
    """Seats whose learner started learning or holds a certificate (refund needs an override)."""
    rows = Enrollment.select(Enrollment.seat_id).where(
        Enrollment.seat_id.in_(list(seat_ids)), Enrollment.status == "active",
        (Enrollment.started_at.is_null(False)) | (Enrollment.certified_at.is_null(False)))
    return {r.seat_id for r in rows}


def _local(dt):
    return (dt or utcnow()) + datetime.timedelta(hours=8)


def _url(path):
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


STATUS_TEXT = {"pending": "待支付", "paid": "已支付", "closed": "已关闭", "refunded": "已退款",
               "partially_refunded": "部分退款"}
SEAT_TEXT = {"active": "已开通", "refunding": "退款中", "refunded": "已退款"}
UNPAID_SEAT_TEXT = {"pending": "待支付", "closed": "未支付"}


def order_view(order, with_seats=False, staff=False):
    """What pages and the API show of an order (personal data of seats masked; see seat_views)."""
    return order_views([order], with_seats, staff)[0]


def order_views(orders, with_seats=False, staff=False):
    """order_view of each order; their projects, units and seats are read in one query each."""
    projects = {p.id: p for p in Project.select().where(Project.id.in_({o.project_id for o in orders}))}
    unit_ids = {o.unit_id for o in orders if o.unit_id}
    units = {u.id: u.name for u in Unit.select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))} if unit_ids else {}
    seats = _seat_views(orders, staff) if with_seats else {}
    now = utcnow()
    views = []
    for order in orders:
        project = projects[order.project_id]
        view = {
            "order_no": order.order_no, "kind": order.kind, "status": order.status,
            "status_text": STATUS_TEXT.get(order.status, order.status),
            "project": {"id": project.id, "name": project.name, "year": project.year},
            "unit": units.get(order.unit_id),
            "seat_count": order.seat_count, "unit_price_fen": order.unit_price_fen, "amount_fen": order.amount_fen,
            "amount_yuan": yuan(order.amount_fen), "refunded_fen": order.refunded_fen,
            "invoice": {"choice": order.invoice_choice, "title_type": order.invoice_title_type or None,
                        "title": order.invoice_title or None, "tax_no": order.invoice_tax_no or None},
            "pay_channel": order.pay_channel or None,
            "created_at": order.created_at.isoformat() + "Z", "expires_at": order.expires_at.isoformat() + "Z",
            "paid_at": order.paid_at.isoformat() + "Z" if order.paid_at else None,
            "payable": order.status == "pending" and order.expires_at > now,
        }
        if with_seats:
            view["seats"] = seats.get(order.id, [])
        views.append(view)
    return views


def seat_views(order, staff=False):
    """Seats with the masked ID number; the buyer sees the name they typed (never the account's), staff the name.

    A seat of an unpaid order says 待支付 (未支付 once closed): it grants nothing until paid.
    """
    return _seat_views([order], staff).get(order.id, [])


def _seat_views(orders, staff):
    """seat_views of each order, by order id, from one query."""
    from app.accounts.service import id_number_of
    from app.masking import mask_id

    unpaid = {o.id: UNPAID_SEAT_TEXT.get(o.status) for o in orders}
    rows = (OrderSeat.select(OrderSeat, User).join(User).where(OrderSeat.order.in_(list(unpaid)))
            .order_by(OrderSeat.id))
    views = {}
    for s in rows:
        late = unpaid[s.order_id]
        views.setdefault(s.order_id, []).append({
            "id": s.id, "name": s.user.name if staff else (s.label or None),
            "id_number": mask_id(id_number_of(s.user)), "status": s.status,
            "status_text": late if late and s.status == "active" else SEAT_TEXT.get(s.status, s.status),
            "amount_fen": s.amount_fen})
    return views


def orders_of(user, kind=None):
    query = Order.select().where(Order.buyer == user.id).order_by(Order.id.desc())
    if kind:
        query = query.where(Order.kind == kind)
    return list(query)
