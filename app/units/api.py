"""Units API under /api/v1: my units and applications, applying to act for a unit."""
from app.accounts.policy import current_user
from app.api import ApiBlueprint, ok
from app.units import service
from app.units.schemas import ApplicationIn, ApplicationOut, MyUnitsOut, WithdrawIn

bp = ApiBlueprint("units_api", __name__)


def mine(user):
    """The units I act for, my applications, and which unit bought my seats."""
    seats = service.seat_units(user)
    return {"units": [service.unit_view(u) for u in service.contact_units(user)],
            "applications": [service.application_view(c) for c in service.applications_of(user)],
            "seat_units": [{"project_id": pid, "unit": name} for pid, name in seats.items()]}


@bp.endpoint("/units/mine", response=MyUnitsOut)
def my_units():
    """The units I act for (approved contact), my applications, and the units that bought my seats."""
    return ok(mine(current_user()))


@bp.endpoint("/units/applications", methods=["POST"], body=ApplicationIn, response=ApplicationOut, status=201)
def apply(data):
    """Ask to become a unit's contact (registering the unit when its credit code is new); staff decide."""
    contact = service.apply(current_user(), data.credit_code, data.email, data.name, data.district_code)
    return ok(service.application_view(contact), "申请已提交，请等待平台审核", 201)


@bp.endpoint("/units/applications/<int:contact_id>/withdraw", methods=["POST"], body=WithdrawIn,
             response=ApplicationOut)
def withdraw(contact_id, data):
    """Withdraw my own application or stop acting for the unit."""
    contact = service.withdraw(contact_id, current_user(), data.reason)
    return ok(service.application_view(contact), "已撤销")
