"""The unit dashboard and the bulk registration API: contacts only, per-year rows, masked export."""
import datetime
import io

import openpyxl
import pytest

from app.accounts import service, sms
from app.bulk.jobs import this_year
from app.certs.models import Certificate
from app.db import utcnow
from app.learning.models import Course, CourseCompletion, Project
from app.pay.models import Order, OrderSeat
from app.units.models import UnitContact, UnitMember
from tests.bulk_fixtures import form_workbook, make_contact, make_id, row
from tests.conftest import Api
from tests.mail_fixtures import smtp_outbox  # noqa: F401  (fixture)

LEARNER_ID = make_id(31, gender="M")
LEARNER_MOBILE = "13900000031"


@pytest.fixture
def app(app_factory, smtp_outbox):  # noqa: F811
    application = app_factory(**smtp_outbox)
    with application.app_context():
        yield application


def _login(client, username, password, token=False):
    api = Api(client)
    status, body = api.post("/auth/login" + ("?token=1" if token else ""), {"username": username,
                                                                              "password": password})
    assert status == 200, body
    return api


def _upload(api, unit, data):
    if api.client.get_cookie("ce_sid"):
        api.headers["X-CSRF-Token"] = api.client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]
    resp = api.client.post(f"/api/v1/units/{unit.id}/bulk-registrations",
                           data={"file": (io.BytesIO(data), "名单.xlsx")}, content_type="multipart/form-data",
                           headers=api.headers)
    return resp.status_code, resp.get_json()


def _plan(year):
    now = utcnow()
    project = Project.create(year=year, name=f"{year}年公需科目", price_fen=9900, credit_hours=4,
                             sale_start=now - datetime.timedelta(days=1), sale_end=now + datetime.timedelta(days=300))
    courses = [Course.create(project=project, title=f"课程{i}", credit_hours=2, position=i) for i in (1, 2)]
    return project, courses


def test_bulk_registered_learner_changes_password_and_appears_on_the_dashboard(app, client, drain):
    unit, contact = make_contact()
    contact_api = _login(app.test_client(), CONTACT_ID, "Contact123")
    status, body = _upload(contact_api, unit, form_workbook([row(1, "郑明", LEARNER_ID, LEARNER_MOBILE, "男")]))
    assert (status, body["data"]["state"], body["data"]["by_staff"]) == (202, "queued", False)
    job_url = f"/units/{unit.id}/bulk-registrations/{body['data']['id']}"
    assert contact_api.get(job_url)[1]["data"]["percent"] == 0
    drain()
    job = contact_api.get(job_url)[1]["data"]
    assert (job["state"], job["percent"], job["created"], job["mailed"]) == ("done", 100, 1, True)
    result = contact_api.client.get(f"/api/v1{job_url}/result", headers=contact_api.headers)
    assert result.status_code == 200 and result.data[:2] == b"PK"

    learner = Api(client)
    status, body = learner.post("/auth/login", {"username": LEARNER_ID, "password": "edu@" + LEARNER_ID[-6:]})
    assert (status, body["code"]) == (403, "first_login_required")
    ticket = body["data"]["ticket"]
    assert learner.post("/auth/first-login/code", {"ticket": ticket})[0] == 200
    drain()
    code = next(m["text"] for m in sms.read_outbox() if m["mobile"] == LEARNER_MOBILE).split("验证码 ")[1][:6]
    status, _ = learner.post("/auth/first-login", {"ticket": ticket, "code": code, "password": "Zheng2026",
                                                   "consents": body["data"]["consents"]})
    assert status == 200 and learner.get("/me")[0] == 200

    status, body = contact_api.get(f"/dashboard/units/{unit.id}/learners?year={this_year()}")
    assert status == 200
    assert [(r["name"], r["id_masked"], r["seat"], r["state"]) for r in body["data"]["learners"]] == [
        ("郑明", LEARNER_ID[:4] + "**********" + LEARNER_ID[-4:], "none", "not_started")]
    assert LEARNER_ID not in str(body)
    page = contact_api.client.get(f"/units/{unit.id}/learners")
    assert page.status_code == 200 and "郑明" in page.get_data(as_text=True)


CONTACT_ID = "500108198506121223"


def test_dashboard_rows_for_a_year_with_seat_hours_courses_and_certificate(app):
    from app.dashboard import service as dashboard

    unit, contact = make_contact()
    year = this_year()
    project, courses = _plan(year)
    old_project, _ = _plan(year - 1)
    names = ("甲一", "乙二", "丙三", "丁四")
    people = [service.create_user(name=n, id_number=make_id(40 + i, gender="M"), mobile=f"1390000004{i}",
                                  gender="M", password="Secret123") for i, n in enumerate(names)]
    for p in people[:3]:
        UnitMember.create(unit=unit, user=p, source="seat", year=year, project=project)
    UnitMember.create(unit=unit, user=people[3], source="bulk", year=year - 1)
    paid = Order.create(order_no="G1", kind="group", buyer=contact, project=project, seat_count=2, unit=unit,
                        unit_price_fen=9900, amount_fen=19800, status="paid", expires_at=utcnow())
    pending = Order.create(order_no="G2", kind="group", buyer=contact, project=project, seat_count=1, unit=unit,
                           unit_price_fen=9900, amount_fen=9900, status="pending", expires_at=utcnow())
    OrderSeat.create(order=paid, user=people[0], amount_fen=9900)
    OrderSeat.create(order=paid, user=people[1], amount_fen=9900)
    OrderSeat.create(order=pending, user=people[2], amount_fen=9900)
    for c in courses:
        CourseCompletion.create(user=people[0], course=c, credit_hours=2)
    CourseCompletion.create(user=people[1], course=courses[0], credit_hours=2)
    Certificate.create(number="CE2026-7K3M9QX2P", user=people[0], project=project, year=year, credit_hours=4,
                       project_name=project.name, name="甲一", id_number_masked="x", organisation=unit.name,
                       issuer="平台", fingerprint="f" * 64, issued_at=datetime.datetime(2026, 3, 1, 17, 0))
    rows = {r["name"]: r for r in dashboard.learners(unit, year)}
    assert set(rows) == {"甲一", "乙二", "丙三"}  # 丁四 belongs to last year
    assert (rows["甲一"]["seat"], rows["甲一"]["hours"], rows["甲一"]["courses_done"], rows["甲一"]["state"],
            rows["甲一"]["cert_number"], rows["甲一"]["cert_date"]) == ("paid", 4, 2, "certified", "CE2026-7K3M9QX2P",
                                                                       "2026-03-02")
    assert (rows["乙二"]["seat"], rows["乙二"]["hours"], rows["乙二"]["state"]) == ("paid", 2, "learning")
    assert (rows["丙三"]["seat_text"], rows["丙三"]["state"]) == ("待支付", "not_started")
    everyone = list(rows.values())
    assert [r["name"] for r in dashboard.search(everyone, status="unpaid")] == ["丙三"]
    assert [r["name"] for r in dashboard.search(everyone, q="乙")] == ["乙二"]
    assert [r["name"] for r in dashboard.search(everyone, q=make_id(42, gender="M")[-4:])] == ["丙三"]
    assert [r["name"] for r in dashboard.learners(unit, year - 1)] == ["丁四"]
    assert old_project.year == year - 1


def test_export_is_masked_and_follows_the_filter(app):
    unit, contact = make_contact()
    year = this_year()
    for i, name in enumerate(("甲一", "乙二")):
        person = service.create_user(name=name, id_number=make_id(50 + i, gender="M"), mobile=f"1390000005{i}",
                                     gender="M", password="Secret123")
        UnitMember.create(unit=unit, user=person, source="bulk", year=year)
    client = app.test_client()
    _login(client, CONTACT_ID, "Contact123")
    resp = client.get(f"/units/{unit.id}/learners.xlsx?year={year}&q=甲")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    lines = list(openpyxl.load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert lines[1][:4] == ("序号", "姓名", "身份证号码", "开通状态")
    assert [line[1] for line in lines[2:]] == ["甲一"]
    assert lines[2][2] == make_id(50, gender="M")[:4] + "**********" + make_id(50, gender="M")[-4:]
    assert make_id(50, gender="M") not in str(lines)


def test_only_approved_contacts_reach_a_unit(app, drain):
    unit, contact = make_contact()
    stranger = service.create_user(name="路人", id_number=make_id(60, gender="M"), mobile="13900000060", gender="M",
                                   password="Secret123")
    pending = service.create_user(name="候审", id_number=make_id(61, gender="M"), mobile="13900000061", gender="M",
                                  password="Secret123")
    UnitContact.create(unit=unit, user=pending, email="p@example.cn", state="pending")
    data = form_workbook([row(1, "郑明", LEARNER_ID, LEARNER_MOBILE)])
    for who in (make_id(60, gender="M"), make_id(61, gender="M")):
        api = _login(app.test_client(), who, "Secret123")
        status, body = _upload(api, unit, data)
        assert (status, body["code"]) == (403, "not_unit_contact")
        assert api.get(f"/dashboard/units/{unit.id}/learners")[0] == 403
        assert api.get("/dashboard/units")[1]["data"] == []
        assert api.client.get(f"/units/{unit.id}/learners").status_code == 403
        assert api.client.get(f"/units/{unit.id}/learners.xlsx").status_code == 403
        assert api.client.get(f"/units/{unit.id}/bulk").status_code == 403
    assert stranger.id != pending.id
    anonymous = app.test_client()
    assert anonymous.get(f"/units/{unit.id}/learners").status_code == 302
    assert anonymous.post(f"/api/v1/units/{unit.id}/bulk-registrations").status_code == 401
    drain()
    assert service.find_by_id_number(LEARNER_ID) is None  # nothing was registered


def test_a_list_that_is_not_an_xlsx_is_refused_in_the_request(app):
    unit, contact = make_contact()
    api = _login(app.test_client(), CONTACT_ID, "Contact123")
    status, body = _upload(api, unit, b"not a workbook at all")
    assert status == 422 and "xlsx" in body["message"]
    status, body = api.get(f"/units/{unit.id}/bulk-registrations")
    assert (status, body["data"]) == (200, [])


def test_a_four_million_cell_list_is_refused_in_the_request_before_parsing(app, monkeypatch):
    from tests.test_units_roster import _four_million_cells

    calls = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: calls.append(a) or real(*a, **k))
    unit, contact = make_contact()
    api = _login(app.test_client(), CONTACT_ID, "Contact123")
    status, body = _upload(api, unit, _four_million_cells())
    assert (status, body["message"]) == (422, "表格单元格过多（超过 200000 个），请只保留名单所需的列和行，或分批上传")
    assert calls == [] and api.get(f"/units/{unit.id}/bulk-registrations")[1]["data"] == []


def test_the_dashboard_costs_the_same_queries_for_3_or_60_learners(app):
    from playhouse.test_utils import count_queries

    from app.dashboard import service as dashboard

    unit, contact = make_contact()
    year = this_year()
    _plan(year)
    people = [service.create_user(name="学员", id_number=make_id(200 + i, gender="M"), mobile=f"139002{i:05d}",
                                  gender="M", password="Secret123") for i in range(60)]
    for person in people[:3]:
        UnitMember.create(unit=unit, user=person, source="bulk", year=year)
    with count_queries() as small:
        assert len(dashboard.learners(unit, year)) == 3
    for person in people[3:]:
        UnitMember.create(unit=unit, user=person, source="bulk", year=year)
    with count_queries() as large:
        assert len(dashboard.learners(unit, year)) == 60
    assert small.count == large.count <= 8


def test_a_list_larger_than_the_usual_body_limit_is_accepted_by_the_page(app):
    unit, contact = make_contact()
    client = app.test_client()
    _login(client, CONTACT_ID, "Contact123")
    data = form_workbook([row(i, "学员", make_id(300 + i, gender="M"), f"139003{i:05d}", "男") for i in range(4000)])
    assert len(data) > 2 * app.config["MAX_CONTENT_LENGTH"]
    csrf = client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]
    resp = client.post(f"/units/{unit.id}/bulk", data={"csrf_token": csrf, "file": (io.BytesIO(data), "名单.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    from app.bulk.models import BulkRegistration

    assert bytes(BulkRegistration.get().source) == data


def test_year_status_and_page_of_the_learner_list_are_bounded(app):
    """year=2^63 reached the database and answered 500 (SQLite cannot bind it); the API names the parameter."""
    unit, contact = make_contact()
    project, _ = _plan(this_year())
    UnitMember.create(unit=unit, user=contact, source="seat", year=this_year(), project=project)
    api = _login(app.test_client(), CONTACT_ID, "Contact123")
    path = f"/dashboard/units/{unit.id}/learners"
    status, body = api.get(f"{path}?year={2**63}")
    assert (status, body["data"]["fields"]) == (422, {"year": "超出允许范围"})
    assert api.get(f"{path}?page=0")[1]["data"]["fields"] == {"page": "超出允许范围"}
    assert api.get(f"{path}?status=everyone")[1]["data"]["fields"] == {"status": "取值不在允许范围内"}
    status, body = api.get(f"{path}?year={this_year()}&status=all&page=1")
    assert (status, body["data"]["year"], body["data"]["total"]) == (200, this_year(), 1)
    resp = api.client.get(f"/units/{unit.id}/learners?year={2**63}")
    assert resp.status_code == 200
    assert "李经办" in resp.get_data(as_text=True)  # this year's list instead
