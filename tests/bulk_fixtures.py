"""Units with an approved contact, and 附件2 lists, for the bulk registration and dashboard tests."""
from app.accounts import service
from app.units.models import Unit, UnitContact
from tests.test_units_roster import form_workbook, make_id  # noqa: F401  (re-exported for the tests)

CONTACT = {"name": "李经办", "id_number": "500108198506121223", "mobile": "13800000002", "gender": "F",
           "password": "Contact123"}


def make_contact(email="hr@unit.example.cn", credit_code="91500000MA5U000000", **person):
    """An account approved as the contact of a new active unit; returns (unit, contact user)."""
    data = {**CONTACT, **person}
    user = service.create_user(**data)
    unit = Unit.create(name="重庆市某某局", credit_code=credit_code, district_code="500103", status="active",
                       created_by=user.id)
    UnitContact.create(unit=unit.id, user=user.id, email=email, state="approved")
    return unit, user


def row(no, name, id_number, mobile, gender="", note=""):
    return [no, name, id_number, mobile, gender, note]
