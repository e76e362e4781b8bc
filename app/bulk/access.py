"""Who may act for a unit: its approved contacts (app.units.service), and staff of the service desk."""
from app.errors import ApiError
from app.units import service
from app.units.models import Unit

NOT_CONTACT = "只有审核通过的单位经办人才能登记或查看本单位学员，请先在“我的单位”申请成为经办人"


def is_service_desk(user):
    from app.staff.roles import has_role

    return has_role(user, "service_desk")


def is_contact(user, unit):
    return any(u.id == unit.id for u in service.contact_units(user))


def unit_for(user, unit_id, staff=True):
    """The unit when `user` is its approved contact (or service-desk staff); 403 otherwise, the same for any unit."""
    try:
        return service.require_contact(user, unit_id)
    except ApiError:
        unit = Unit.get_or_none(Unit.id == unit_id) if staff and is_service_desk(user) else None
        if unit is None:
            raise ApiError(NOT_CONTACT, code="not_unit_contact", status=403) from None
        return unit


def contact_units(user):
    """The active units this account is an approved contact of."""
    return service.contact_units(user)
