"""The organisations a certificate can name: the list of units learners pick from, and the districts."""
import peewee

from app.certs.districts import all_districts, district_name
from app.certs.models import Unit
from app.db import db
from app.errors import ApiError

UNIT_NAME_MAX = 40


def search_units(q="", limit=20):
    """Active units whose name contains `q` (all of them, alphabetically, for an empty query)."""
    query = Unit.select().where(Unit.is_active == True)  # noqa: E712
    q = (q or "").strip()[:30]
    if q:
        query = query.where(Unit.name.contains(q))
    return [unit_view(u) for u in query.order_by(Unit.name).limit(limit)]


def unit_view(unit):
    return {"id": unit.id, "name": unit.name, "district": district_name(unit.district_code) or ""}


def add_unit(name, district_code=""):
    """Staff add an employer to the list; returns (unit, created)."""
    name = " ".join((name or "").split())
    if not name or len(name) > UNIT_NAME_MAX:
        raise ApiError(f"单位名称应为 1-{UNIT_NAME_MAX} 个字符", status=422)
    if district_code and district_name(district_code) is None:
        raise ApiError("区县代码不正确", status=422)
    try:
        with db.atomic():
            return Unit.create(name=name, district_code=district_code or ""), True
    except peewee.IntegrityError:
        unit = Unit.get(Unit.name == name)
        if not unit.is_active:
            Unit.update(is_active=True).where(Unit.id == unit.id).execute()
        return Unit.get_by_id(unit.id), False


def set_unit_active(unit_id, active):
    return Unit.update(is_active=active).where(Unit.id == unit_id).execute() == 1


def districts():
    return all_districts()
