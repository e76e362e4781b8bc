"""The console's 单位 section (service desk): contact applications to approve or reject, contacts to
withdraw, and the record of group checks (who asked about which ID numbers, masked)."""
import json

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.accounts.models import User
from app.accounts.policy import current_user
from app.accounts.service import mobile_of
from app.certs import districts
from app.errors import ApiError
from app.masking import mask_mobile
from app.staff import audit
from app.staff.frame import register_section, staff_required
from app.staff.tables import paginate
from app.units import service
from app.units.models import GroupCheckRecord, Unit, UnitContact

bp = Blueprint("units_staff", __name__, url_prefix="/staff/units")
ROLES = ("service_desk",)
STATES = [("pending", "待审核"), ("approved", "已通过"), ("rejected", "未通过"), ("withdrawn", "已撤销"), ("", "全部")]
ACTIONS = {"approve": "通过申请", "reject": "不通过", "withdraw": "撤销经办人"}

register_section("units", "单位", "units_staff.applications", ROLES, order=40)
for _action, _title in (("unit_contact.approve", "通过单位经办人申请"), ("unit_contact.reject", "驳回单位经办人申请"),
                        ("unit_contact.withdraw", "撤销单位经办人")):
    audit.register_action(_action, _title)


@bp.route("/")
@staff_required(*ROLES)
def applications():
    """Applications, pending first by default; filter by state, or by part of the unit's name or credit code."""
    args = {"state": request.args.get("state", "pending")[:10], "q": request.args.get("q", "").strip()[:40]}
    query = UnitContact.select(UnitContact, Unit).join(Unit)
    if args["state"]:
        query = query.where(UnitContact.state == args["state"])
    if args["q"]:
        query = query.where(Unit.name.contains(args["q"]) | (Unit.credit_code == args["q"].upper()))
    page = paginate(query, {"created": UnitContact.created_at, "unit": Unit.name}, "created", args=args)
    return render_template("units/staff_applications.html", page=page, args=args, states=STATES,
                           state_text=service.STATE_TEXT, active_section="units")


def _application(contact_id):
    contact = UnitContact.select(UnitContact, Unit).join(Unit).where(UnitContact.id == contact_id).first()
    if contact is None:
        raise ApiError("申请不存在", status=404)
    return contact


def _render(contact, status=200, **extra):
    applicant = User.get_by_id(contact.user_id)
    others = (UnitContact.select(UnitContact, User).join(User, on=(UnitContact.user == User.id))
              .where(UnitContact.unit == contact.unit_id, UnitContact.id != contact.id).order_by(UnitContact.id))
    return render_template("units/staff_application.html", contact=contact, unit=contact.unit, applicant=applicant,
                           applicant_mobile=mask_mobile(mobile_of(applicant)), others=list(others),
                           district=districts.district_name(contact.unit.district_code) or "",
                           state_text=service.STATE_TEXT, unit_state_text=service.UNIT_STATE_TEXT,
                           actions=ACTIONS, active_section="units", **extra), status


@bp.route("/applications/<int:contact_id>")
@staff_required(*ROLES)
def application(contact_id):
    return _render(_application(contact_id))


@bp.route("/applications/<int:contact_id>/<any(approve, reject, withdraw):action>", methods=["POST"])
@staff_required(*ROLES)
def act(contact_id, action):
    """First post: the confirmation saying what will happen; the confirmed post acts and is audited."""
    contact = _application(contact_id)
    reason = request.form.get("reason", "")
    error = None
    if request.form.get("confirmed") == "1":
        before = {"state": contact.state, "unit_status": contact.unit.status}
        try:
            if action == "withdraw":
                done = service.withdraw(contact.id, current_user(), reason, by_staff=True)
            else:
                done = service.decide(contact.id, current_user(), action == "approve", reason)
            unit = Unit.get_by_id(contact.unit_id)
            audit.record(f"unit_contact.{action}", "unit_contact", contact.id, before=before,
                         after={"state": done.state, "unit_status": unit.status},
                         detail={"unit": unit.name, "credit_code": unit.credit_code, "reason": done.reason})
            flash(f"{ACTIONS[action]}：{unit.name}")
            return redirect(url_for("units_staff.application", contact_id=contact.id))
        except ApiError as err:
            error = err
    return _render(contact, error.status if error else 200, confirm_action=action, reason=reason, error=error)


@bp.route("/checks")
@staff_required(*ROLES)
def checks():
    """Group checks: who asked, for which unit, about how many and which ID numbers (masked)."""
    query = (GroupCheckRecord.select(GroupCheckRecord, Unit, User).join(Unit)
             .switch(GroupCheckRecord).join(User, on=(GroupCheckRecord.user == User.id)))
    page = paginate(query, {"created": GroupCheckRecord.created_at}, "created", default_desc=True)
    return render_template("units/staff_checks.html", page=page, loads=json.loads, active_section="units")
