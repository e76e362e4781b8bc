"""My certificates, confirming the data, printing, links and staff actions, on both engines."""
import io
import threading

import pytest
import requests
from pypdf import PdfReader

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.policy import issue_token
from app.certs import orgs, profile, service
from app.certs.models import Certificate, CertProfile
from app.demo import demo_year
from app.learning.models import Enrollment
from app.wechat.models import WechatMessage
from tests.certs_fixtures import demo_project, enrol, finish, finished_learner, serve


@pytest.fixture
def learner(api, registered):
    api.post("/auth/login", {"username": registered["mobile"], "password": registered["password"]})
    return User.get()


@pytest.fixture
def unit(app):
    return orgs.add_unit("重庆示范建筑设计研究院（演示）", "500103")[0]


@pytest.fixture
def staff_api(app):
    from app.staff import roles
    from tests.conftest import Api

    member = accounts.create_user(name="王老师", id_number="11010519491231002X", mobile="13900000009", gender="F",
                                  password="Staff2026", username="admin", role="staff")
    roles.grant(member, "reviewer")
    staff = Api(app.test_client())
    assert staff.post("/auth/login", {"username": "admin", "password": "Staff2026"})[0] == 200
    return staff


def _confirm(api, project, **org):
    return api.post(f"/certificates/{project.id}/profile", {"confirm": True, **org})


def test_only_finished_plans_are_listed(api, learner):
    project = demo_project()
    enrol(learner, project)
    finish(learner, project, skip_last=True)
    assert api.get("/certificates") == (200, {"code": "ok", "message": "ok", "data": []})
    status, body = api.post(f"/certificates/{project.id}/issue")
    assert status == 409 and body["code"] == "not_complete" and "24/30" in body["message"]
    finish(learner, project)
    item = api.get("/certificates")[1]["data"][0]
    assert (item["project_id"], item["state"], item["earned_hours"], item["certificate"]) == (
        project.id, "need_profile", 30, None)


def test_printing_needs_the_data_confirmed_first(api, learner, unit):
    _, project = finished_learner()
    status, body = api.post(f"/certificates/{project.id}/issue")
    assert status == 409 and body["code"] == "profile_required"
    status, body = api.get(f"/certificates/{project.id}/profile")
    assert body["data"] == {"name": "张三", "id_number": "5001**********7657", "confirmed": False, "unit": None,
                            "district": None, "locked": False}
    status, body = _confirm(api, project, unit_id=unit.id)
    assert status == 200 and body["data"]["unit"]["name"] == unit.name and body["data"]["confirmed"]
    assert api.get("/certificates")[1]["data"][0]["state"] == "ready"


@pytest.mark.parametrize("payload, field", [
    ({"confirm": False, "district_code": "500103"}, "confirm"),
    ({"confirm": True}, "unit_id"),
    ({"confirm": True, "unit_id": 999}, "unit_id"),
    ({"confirm": True, "district_code": "110105"}, "district_code"),
    ({"confirm": True, "district_code": "12"}, "district_code"),
])
def test_the_data_form_explains_what_is_wrong(api, learner, payload, field):
    _, project = finished_learner()
    status, body = api.post(f"/certificates/{project.id}/profile", payload)
    assert status == 422 and field in body["data"]["fields"], body


def test_units_and_districts(api, learner, unit):
    orgs.add_unit("渝北区示范中学（演示）", "500112")
    hidden, _ = orgs.add_unit("已撤并的示范单位（演示）")
    orgs.set_unit_active(hidden.id, False)
    names = [u["name"] for u in api.get("/units?q=示范")[1]["data"]]
    assert names == sorted(["重庆示范建筑设计研究院（演示）", "渝北区示范中学（演示）"])
    assert [u["name"] for u in api.get("/units?q=渝北")[1]["data"]] == ["渝北区示范中学（演示）"]
    assert api.get("/units?q=100%")[1]["data"] == []  # wildcards are plain text
    districts = api.get("/districts")[1]["data"]
    assert len(districts) == 38 and {"code": "500103", "name": "渝中区"} in districts


def test_print_once_same_number_and_date_every_time(api, learner, unit, app):
    _, project = finished_learner()
    _confirm(api, project, unit_id=unit.id)
    status, body = api.post(f"/certificates/{project.id}/issue")
    assert status == 201 and body["message"] == "证书已签发"
    first = body["data"]
    assert first["number"].startswith(f"CE{demo_year()}-") and first["status"] == "valid"
    assert first["pdf_url"] == f"/api/v1/certificates/{first['number']}/pdf"
    status, again = api.post(f"/certificates/{project.id}/issue")
    assert status == 200 and (again["data"]["number"], again["data"]["issued_on"]) == (
        first["number"], first["issued_on"])
    assert Certificate.select().count() == 1
    assert Enrollment.get(Enrollment.user == learner.id).certified_at is not None  # refunds look at this
    pdf_a = api.client.get(first["pdf_url"])
    pdf_b = api.client.get(first["pdf_url"])
    assert pdf_a.status_code == 200 and pdf_a.mimetype == "application/pdf"
    assert "no-store" in pdf_a.headers["Cache-Control"]
    texts = [PdfReader(io.BytesIO(r.data)).pages[0].extract_text() for r in (pdf_a, pdf_b)]
    assert texts[0] == texts[1] and first["number"] in texts[0]
    # the data is fixed once printed
    status, body = _confirm(api, project, district_code="500103")
    assert status == 409 and body["code"] == "certificate_issued"


def test_another_learner_cannot_fetch_my_pdf(api, learner, unit, app):
    _, project = finished_learner()
    _confirm(api, project, unit_id=unit.id)
    number = api.post(f"/certificates/{project.id}/issue")[1]["data"]["number"]
    other = accounts.create_user(name="李四", id_number="500108198506121223", mobile="13800000002", gender="F",
                                 password="Secret123")
    headers = {"Authorization": f"Bearer {issue_token(other)}"}
    assert app.test_client().get(f"/api/v1/certificates/{number}/pdf", headers=headers).status_code == 404
    assert app.test_client().get(f"/api/v1/certificates/{number}/pdf").status_code == 401


def test_a_district_when_the_unit_is_not_listed(api, learner):
    _, project = finished_learner()
    status, body = _confirm(api, project, district_code="500243")
    assert body["data"]["district"] == {"code": "500243", "name": "彭水苗族土家族自治县"}
    cert = api.post(f"/certificates/{project.id}/issue")[1]["data"]
    assert (cert["org_label"], cert["organisation"]) == ("档案所在地", "重庆市彭水苗族土家族自治县")


def test_twenty_concurrent_prints_make_one_certificate(app_factory, registered, engine):
    """Twenty simultaneous "print" requests over HTTP, each in its own server thread and connection."""
    app = app_factory(DB_POOL_SIZE=32)
    with app.app_context():
        user, project = finished_learner()
        unit, _ = orgs.add_unit("重庆示范建筑设计研究院（演示）", "500103")
        profile.save_profile(user, project.id, True, unit_id=unit.id)
        token = issue_token(user)
    barrier = threading.Barrier(20)
    results = []

    def press(base):
        with requests.Session() as s:
            barrier.wait(10)
            r = s.post(f"{base}/api/v1/certificates/{project.id}/issue",
                       headers={"Authorization": f"Bearer {token}"}, timeout=60)
            results.append((r.status_code, r.json()["data"]["number"] if r.status_code < 300 else r.text))

    with serve(app) as base:
        threads = [threading.Thread(target=press, args=(base,)) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
    assert len(results) == 20, results
    assert sorted(code for code, _ in results) == [200] * 19 + [201], results
    assert len({number for _, number in results}) == 1
    with app.app_context():
        assert Certificate.select().count() == 1
        assert WechatMessage.select().where(WechatMessage.template == "certificate_ready").count() == 1


def test_staff_revoke_and_reissue(api, learner, unit, staff_api):
    _, project = finished_learner()
    _confirm(api, project, unit_id=unit.id)
    first = api.post(f"/certificates/{project.id}/issue")[1]["data"]
    number = first["number"]
    assert api.post(f"/certificates/{number}/revoke", {"reason": "x"})[0] == 403  # learners cannot
    status, body = staff_api.post(f"/certificates/{number}/revoke", {"reason": "学时记录有误，核查中"})
    assert status == 200 and body["data"]["status"] == "revoked"
    assert staff_api.post(f"/certificates/{number}/revoke", {"reason": "again"})[0] == 409
    item = api.get("/certificates")[1]["data"][0]
    assert item["state"] == "revoked" and "download_url" not in item["certificate"]
    status, body = api.post(f"/certificates/{project.id}/issue")
    assert status == 409 and body["code"] == "certificate_revoked"  # the learner cannot print it again
    assert api.client.get(f"/api/v1/certificates/{number}/pdf").status_code == 410
    new_unit, _ = orgs.add_unit("渝北区示范中学（演示）", "500112")
    status, body = staff_api.post(f"/certificates/{number}/reissue", {"unit_id": new_unit.id})
    assert status == 201 and body["data"]["number"] != number and body["data"]["organisation"] == new_unit.name
    assert Certificate.get(Certificate.number == number).status == "replaced"
    item = api.get("/certificates")[1]["data"][0]
    assert item["state"] == "issued" and item["certificate"]["number"] == body["data"]["number"]
    assert CertProfile.get().unit_id == new_unit.id


def test_h5_pages(api, learner, unit, app):
    client = api.client
    assert client.get("/certs").status_code == 200
    _, project = finished_learner()
    page = client.get("/certs").get_data(as_text=True)
    assert f'id="complete-{project.id}"' in page
    form = client.get(f"/certs/{project.id}/profile?q=示范").get_data(as_text=True)
    assert unit.name in form and "彭水苗族土家族自治县" in form and "5001**********7657" in form
    csrf = api.client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]
    page = client.post(f"/certs/{project.id}/profile", data={"csrf_token": csrf, "org": f"unit:{unit.id}"})
    assert page.status_code == 200 and "请确认姓名和身份证号无误" in page.get_data(as_text=True)
    done = client.post(f"/certs/{project.id}/profile", data={"csrf_token": csrf, "org": f"unit:{unit.id}",
                                                             "confirm": "1"})
    assert done.status_code == 302
    printed = client.post(f"/certs/{project.id}/issue", data={"csrf_token": csrf})
    assert printed.status_code == 302
    page = client.get("/certs").get_data(as_text=True)
    number = Certificate.get().number
    assert "证书已签发" in page and number in page and f"/certs/{number}.pdf" in page
    assert client.get("/certs/0/profile").status_code == 404


def test_cli(app, registered):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["certs", "unit-add", "重庆示范建筑设计研究院（演示）", "--district", "500103"])
    assert result.exit_code == 0 and "added" in result.output
    assert "already listed" in runner.invoke(args=["certs", "unit-add", "重庆示范建筑设计研究院（演示）"]).output
    assert runner.invoke(args=["certs", "unit-add", "x", "--district", "999999"]).exit_code != 0
    assert "重庆示范建筑设计研究院" in runner.invoke(args=["certs", "units"]).output
    assert len(runner.invoke(args=["certs", "districts"]).output.splitlines()) == 38
    user, project = finished_learner()
    profile.save_profile(user, project.id, True, district_code="500103")
    cert, _ = service.issue(user, project.id)
    show = runner.invoke(args=["certs", "show", cert.number])
    assert "valid" in show.output and "record check: ok" in show.output and "张*" in show.output
    assert "张三" not in show.output
    assert runner.invoke(args=["certs", "revoke", cert.number]).exit_code != 0  # a reason is required
    assert "revoked" in runner.invoke(args=["certs", "revoke", cert.number, "--reason", "test"]).output
    out = runner.invoke(args=["certs", "reissue", cert.number]).output
    assert f"replaced by CE{demo_year()}-" in out
    from app.staff.models import AuditEntry

    audited = [(e.action, e.actor_id, e.target_id) for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert audited == [("certificate.revoke", None, cert.number), ("certificate.reissue", None, cert.number)]
    seeded = runner.invoke(args=["certs", "seed-demo-units"])
    assert seeded.exit_code == 0 and len(orgs.search_units("演示")) == 6


def test_the_migration_matches_the_models(app):
    """0006 creates every column of the models and the one-valid-certificate partial unique index."""
    from app.certs.models import Unit
    from app.db import db

    for model in (Unit, CertProfile, Certificate):
        live = {c.name for c in db.get_columns(model._meta.table_name)}
        assert set(model._meta.columns) <= live, model
    indexes = {i.name: i for i in db.get_indexes("certificate")}
    assert indexes["certificate_one_valid"].unique
    assert {"user_id", "project_id"} <= set(indexes["certificate_one_valid"].columns)
