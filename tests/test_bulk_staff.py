"""The console's bulk registration page: service-desk staff upload a unit's list on its behalf."""
import io

import pytest

from app.accounts import service
from app.bulk.models import BulkRegistration
from app.staff import roles
from app.staff.models import AuditEntry
from tests.bulk_fixtures import form_workbook, make_contact, make_id, row
from tests.mail_fixtures import smtp_outbox  # noqa: F401  (fixture)


@pytest.fixture
def app(app_factory, smtp_outbox):  # noqa: F811
    application = app_factory(**smtp_outbox)
    with application.app_context():
        yield application


def _staff(app, role, n):
    user = service.create_user(name="王老师", id_number=make_id(70 + n, gender="M"), mobile=f"1370000007{n}",
                               gender="M", password="Staff2026x", role="staff")
    roles.grant(user, role)
    client = app.test_client()
    assert client.post("/api/v1/auth/login", json={"username": make_id(70 + n, gender="M"),
                                                   "password": "Staff2026x"}).status_code == 200
    return client


def _csrf(client):
    return client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]


def test_service_desk_uploads_for_a_unit_and_the_action_is_audited(app, drain):
    from app.mail import outbox

    unit, contact = make_contact(email="hr@unit.example.cn")
    client = _staff(app, "service_desk", 1)
    page = client.get("/staff/units/bulk/")
    assert page.status_code == 200 and unit.name in page.get_data(as_text=True)
    data = form_workbook([row(1, "郑明", make_id(31, gender="M"), "13900000031")])
    resp = client.post("/staff/units/bulk/", data={"unit_id": str(unit.id), "csrf_token": _csrf(client),
                                                   "file": (io.BytesIO(data), "名单.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    job = BulkRegistration.get()
    assert (job.unit_id, job.by_staff, job.state) == (unit.id, True, "queued")
    entry = AuditEntry.get()
    assert (entry.action, entry.target_type, entry.target_id) == ("bulk.upload", "unit", str(unit.id))
    drain()
    assert service.find_by_id_number(make_id(31, gender="M")).name == "郑明"
    assert [m["to"] for m in outbox.messages()] == ["hr@unit.example.cn"]  # the unit's contact is told
    download = client.get(f"/staff/units/bulk/{job.id}/result.xlsx")
    assert download.status_code == 200 and download.data[:2] == b"PK"


def test_other_roles_and_a_missing_unit_are_refused(app):
    client = _staff(app, "finance", 2)
    assert client.get("/staff/units/bulk/").status_code == 403
    desk = _staff(app, "service_desk", 3)
    resp = desk.post("/staff/units/bulk/", data={"unit_id": "999", "csrf_token": _csrf(desk),
                                                 "file": (io.BytesIO(b"x"), "a.xlsx")},
                     content_type="multipart/form-data")
    assert resp.status_code == 422 and "请选择已审核的单位" in resp.get_data(as_text=True)
    assert BulkRegistration.select().count() == 0 and AuditEntry.select().count() == 0
