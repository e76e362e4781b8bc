"""Units and their contacts as plain functions (no Flask request objects).

    apply(user, credit_code, email, name=None, district_code=None) -> UnitContact
        a learner asks to act for the unit with that credit code; an unknown code registers a new
        unit (name and district required), pending until staff approve its first contact
    decide(contact_id, staff, approve, reason="") -> UnitContact     staff approve or reject (reason)
    withdraw(contact_id, actor, reason) -> UnitContact               staff, or the contact itself
    contact_units(user) -> [Unit]          the active units the user is an approved contact of
    require_contact(user, unit_id) -> Unit  the same for one unit, else ApiError 403
    seat_units(user) -> {project_id: unit name}   which unit bought the learner's (paid) seats
    add_seat_members(order)                 a paid unit order's learners become the unit's members

A unit that becomes active gets an entry in the certificate's organisation list (certs' Unit, by
the same name; an existing entry of that name is linked rather than duplicated).
"""
import re

import peewee

from app.accounts import rules
from app.certs import districts
from app.certs.models import Unit as CertUnit
from app.db import db, utcnow
from app.errors import ApiError
from app.learning.models import Project
from app.pay.models import Order, OrderSeat
from app.units.models import OPEN_CONTACT_STATES, Unit, UnitContact, UnitMember

NAME_MAX = 60  # what the certificate's organisation list holds
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
STATE_TEXT = {"pending": "待审核", "approved": "已通过", "rejected": "未通过", "withdrawn": "已撤销"}
UNIT_STATE_TEXT = {"pending": "待审核", "active": "已认证", "rejected": "未通过"}


def clean_email(raw):
    value = str(raw or "").strip()
    if not value:
        raise ValueError("请填写单位联系邮箱")
    if len(value) > 120 or not _EMAIL.match(value):
        raise ValueError("邮箱格式不正确")
    return value


def clean_unit_name(raw):
    value = " ".join(str(raw or "").split())
    if len(value) < 4 or len(value) > NAME_MAX:
        raise ValueError(f"单位全称应为 4 到 {NAME_MAX} 个字")
    return value


def clean_district(raw):
    value = str(raw or "").strip()
    if districts.district_name(value) is None:
        raise ValueError("请选择单位所在区县")
    return value


def _invalid(exc):
    return ApiError(str(exc), status=422)


def apply(user, credit_code, email, name=None, district_code=None):
    """Ask to become a contact of a unit (registering it when its credit code is new)."""
    try:
        code, email = rules.clean_credit_code(credit_code), clean_email(email)
    except ValueError as exc:
        raise _invalid(exc) from None
    with db.atomic():
        unit = Unit.get_or_none(Unit.credit_code == code)
        if unit is None:
            try:
                unit_name, district = clean_unit_name(name), clean_district(district_code)
            except ValueError as exc:
                raise ApiError(f"该统一社会信用代码的单位尚未登记，请填写单位信息：{exc}", status=422,
                               code="unit_unknown") from None
            unit = Unit.create(name=unit_name, credit_code=code, district_code=district, created_by=user.id)
        elif unit.status == "rejected":
            Unit.update(status="pending", updated_at=utcnow()).where(Unit.id == unit.id).execute()
        try:
            with db.atomic():
                return UnitContact.create(unit=unit.id, user=user.id, email=email)
        except peewee.IntegrityError:
            raise ApiError("您已申请或已是该单位的经办人", code="conflict", status=409) from None


def _contact(contact_id):
    contact = UnitContact.get_or_none(UnitContact.id == contact_id)
    if contact is None:
        raise ApiError("申请不存在", status=404)
    return contact


def decide(contact_id, staff, approve, reason=""):
    """Approve (the unit becomes active) or reject (a reason is required) a pending application."""
    reason = " ".join(str(reason or "").split())[:200]
    if not approve and len(reason) < 2:
        raise ApiError("请填写不通过的原因", status=422)
    with db.atomic():
        state = "approved" if approve else "rejected"
        changed = UnitContact.update(state=state, reason="" if approve else reason, decided_by=staff.id,
                                     decided_at=utcnow()).where(
            UnitContact.id == contact_id, UnitContact.state == "pending").execute()
        if not changed:
            _contact(contact_id)
            raise ApiError("该申请已处理", code="conflict", status=409)
        contact = UnitContact.get_by_id(contact_id)
        unit = Unit.get_by_id(contact.unit_id)
        if approve and unit.status != "active":
            activate(unit)
        elif not approve and unit.status == "pending" and not _open_contacts(unit):
            Unit.update(status="rejected", updated_at=utcnow()).where(Unit.id == unit.id).execute()
    return UnitContact.get_by_id(contact_id)


def _open_contacts(unit):
    return UnitContact.select().where(UnitContact.unit == unit.id, UnitContact.state.in_(OPEN_CONTACT_STATES)).count()


def activate(unit):
    """The unit is verified: active, and listed among the certificate's organisations."""
    cert_unit = CertUnit.get_or_none(CertUnit.name == unit.name)
    if cert_unit is None:
        cert_unit = CertUnit.create(name=unit.name, district_code=unit.district_code)
    elif not cert_unit.is_active:
        CertUnit.update(is_active=True).where(CertUnit.id == cert_unit.id).execute()
    taken = Unit.get_or_none(Unit.cert_unit == cert_unit.id, Unit.id != unit.id)
    Unit.update(status="active", updated_at=utcnow(), cert_unit=None if taken else cert_unit.id).where(
        Unit.id == unit.id).execute()


def withdraw(contact_id, actor, reason, by_staff=False):
    """End a pending or approved application: by staff (by_staff, from the console) or by the contact itself."""
    reason = " ".join(str(reason or "").split())[:200]
    contact = _contact(contact_id)
    if not by_staff and contact.user_id != actor.id:
        raise ApiError("申请不存在", status=404)
    if len(reason) < 2:
        raise ApiError("请填写撤销的原因", status=422)
    changed = UnitContact.update(state="withdrawn", reason=reason, decided_by=actor.id, decided_at=utcnow()).where(
        UnitContact.id == contact_id, UnitContact.state.in_(OPEN_CONTACT_STATES)).execute()
    if not changed:
        raise ApiError("该经办人已撤销或申请未通过", code="conflict", status=409)
    return UnitContact.get_by_id(contact_id)


def contact_units(user):
    """Active units the user is an approved contact of, by name."""
    return list(Unit.select().join(UnitContact).where(
        UnitContact.user == user.id, UnitContact.state == "approved", Unit.status == "active").order_by(Unit.name))


def require_contact(user, unit_id):
    """The unit when `user` is its approved contact; otherwise 403 (the same answer for any unit)."""
    unit = None
    if isinstance(unit_id, int) and not isinstance(unit_id, bool):
        unit = Unit.select().join(UnitContact).where(
            Unit.id == unit_id, Unit.status == "active", UnitContact.user == user.id,
            UnitContact.state == "approved").first()
    if unit is None:
        raise ApiError("只有审核通过的单位经办人才能为单位购买，请先在“我的单位”申请成为经办人",
                       code="not_unit_contact", status=403)
    return unit


def applications_of(user):
    """The user's applications, newest first, with their units."""
    return list(UnitContact.select(UnitContact, Unit).join(Unit).where(UnitContact.user == user.id)
                .order_by(UnitContact.id.desc()))


def unit_view(unit):
    return {"id": unit.id, "name": unit.name, "credit_code": unit.credit_code,
            "district": districts.district_name(unit.district_code) or "", "status": unit.status,
            "status_text": UNIT_STATE_TEXT.get(unit.status, unit.status)}


def application_view(contact):
    return {"id": contact.id, "unit": unit_view(contact.unit), "email": contact.email, "state": contact.state,
            "state_text": STATE_TEXT.get(contact.state, contact.state), "reason": contact.reason or None,
            "created_at": contact.created_at.isoformat() + "Z",
            "decided_at": contact.decided_at.isoformat() + "Z" if contact.decided_at else None}


def seat_units(user):
    """{project_id: unit name} for the plans a unit bought the learner's seat in (paid orders)."""
    rows = (OrderSeat.select(Order.project, Unit.name).join(Order).join(Unit, on=(Order.unit == Unit.id))
            .where(OrderSeat.user == user.id, OrderSeat.status == "active",
                   Order.status.in_(("paid", "partially_refunded"))).order_by(Order.paid_at).tuples())
    return {project_id: name for project_id, name in rows}


def add_seat_members(order, seats):
    """Inside the paid transaction: the learners of a unit's paid group order become its members."""
    if not order.unit_id or not seats:
        return
    year = Project.get_by_id(order.project_id).year
    rows = [{"unit": order.unit_id, "user": s.user_id, "source": "seat", "year": year, "project": order.project_id,
             "created_at": utcnow()} for s in seats]
    for start in range(0, len(rows), 500):
        UnitMember.insert_many(rows[start:start + 500]).on_conflict_ignore().execute()
