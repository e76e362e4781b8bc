"""Who may act for a unit: its approved contacts, and staff of the service desk."""
from app.errors import ApiError
from app.units.models import Unit, UnitContact


def is_contact(user, unit):
    return UnitContact.select().where(UnitContact.unit == unit.id, UnitContact.user == user.id,
                                      UnitContact.state == "approved").exists()


def is_service_desk(user):
    from app.staff.roles import has_role

    return has_role(user, "service_desk")


def unit_for(user, unit_id, staff=True):
    """The unit when `user` is its approved contact (or service-desk staff); 404 otherwise (nothing revealed)."""
    unit = Unit.get_or_none(Unit.id == unit_id)
    if unit is None or not (is_contact(user, unit) or (staff and is_service_desk(user))):
        raise ApiError("您不是该单位已审核的经办人", code="not_contact", status=403)
    return unit


def contact_units(user):
    """The units this account is an approved contact of."""
    return list(Unit.select().join(UnitContact).where(UnitContact.user == user.id, UnitContact.state == "approved")
                .order_by(Unit.name))
