"""The demo unit for a local run: 张三 is its approved contact, so group purchase can be tried at once."""
from app.accounts import rules
from app.db import utcnow
from app.units import service
from app.units.models import Unit, UnitContact

NAME = "重庆市渝中区示例局"
CREDIT_CODE17 = "11500103MB1234567"


def credit_code():
    total = sum(rules.USCC_CHARS.index(c) * w for c, w in zip(CREDIT_CODE17, rules.USCC_WEIGHTS, strict=True))
    return CREDIT_CODE17 + rules.USCC_CHARS[(31 - total % 31) % 31]


def seed_unit(contact):
    """The demo unit, active, with `contact` approved (idempotent); returns a line to print."""
    unit = Unit.get_or_none(Unit.credit_code == credit_code())
    if unit is None:
        unit = Unit.create(name=NAME, credit_code=credit_code(), district_code="500103", created_by=contact.id)
    if unit.status != "active":
        service.activate(unit)
    if not UnitContact.select().where(UnitContact.unit == unit.id, UnitContact.user == contact.id,
                                      UnitContact.state == "approved").exists():
        UnitContact.create(unit=unit.id, user=contact.id, email="hr@example.cn", state="approved",
                           decided_at=utcnow())
    return f"unit     {NAME}  ({credit_code()})  approved contact: {contact.name}"
