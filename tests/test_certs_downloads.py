"""Getting the signed PDF again: the message's link opens through login only (OAuth inside WeChat), and
我的证书 downloads every year's certificate as the same stored file."""
import hashlib
import io

import pytest
from pypdf import PdfReader

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.policy import issue_token
from app.certs import orgs, profile, service
from app.certs.models import Certificate
from app.demo import demo_year
from app.wechat import login
from tests.certs_fixtures import enrol, finish, finished_learner


@pytest.fixture
def learner(api, registered):
    api.post("/auth/login", {"username": registered["mobile"], "password": registered["password"]})
    return User.get()


@pytest.fixture
def org_unit(app):
    return orgs.add_unit("重庆示范建筑设计研究院（演示）", "500103")[0]


def _confirm(api, project, **org):
    return api.post(f"/certificates/{project.id}/profile", {"confirm": True, **org})


def _query(url):
    from urllib.parse import parse_qs, urlsplit

    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


WECHAT_UA = {"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50"}


def test_certificate_ready_link_opens_through_login_only(app, registered, sandbox_api, drain):
    """The PDF carries the full ID number: the message's link yields it only to its owner, logged in
    (inside WeChat through the official account's OAuth, one tap once bound); a forwarded link does not."""
    wx = sandbox_api.post("/users", {"nickname": "小张"})
    user, project = finished_learner()
    login.bind(login.identity_for("mp", app.config["WECHAT_MP_APPID"], wx["openids"][app.config["WECHAT_MP_APPID"]]),
               user)
    unit, _ = orgs.add_unit("重庆示范建筑设计研究院（演示）", "500103")
    profile.save_profile(user, project.id, True, unit_id=unit.id)
    cert, _ = service.issue(user, project.id)
    service.issue(user, project.id)  # printing again sends nothing more
    drain()
    sent = [m for m in sandbox_api.get("/messages?kind=template") if m["template_name"] == "certificate_ready"]
    assert len(sent) == 1, sent
    message = sent[0]
    assert message["data"]["character_string2"]["value"] == cert.number
    assert message["data"]["thing1"]["value"] == f"{demo_year()}年公需科目"
    url = message["url"]
    assert url.startswith(app.config["PUBLIC_BASE_URL"] + "/certs/download/")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]

    # a PC browser without a session: the login page, coming back here afterwards
    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")
    assert anonymous.mimetype != "application/pdf"

    # WeChat's browser: OAuth with the bound WeChat user, then straight back to the PDF
    phone = app.test_client()
    start = phone.get(path, headers=WECHAT_UA)
    assert start.status_code == 302 and start.headers["Location"].startswith("/wechat/login?next=")
    oauth = phone.get(start.headers["Location"], headers=WECHAT_UA)
    state = _query(oauth.headers["Location"])["state"]
    code = sandbox_api.post("/oauth/code", {"uid": wx["uid"], "scope": "snsapi_base"})["code"]
    back = phone.get(f"/wechat/oauth/callback?code={code}&state={state}", headers=WECHAT_UA)
    assert back.status_code == 302 and back.headers["Location"] == path
    response = phone.get(path, headers=WECHAT_UA)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    stored = Certificate.get_by_id(cert.id)
    assert hashlib.sha256(response.data).hexdigest() == stored.pdf_sha256  # the bytes stored at issue
    assert "500103199003077657" in PdfReader(io.BytesIO(response.data)).pages[0].extract_text()

    # another learner logged in gets nothing from the forwarded link
    other = accounts.create_user(name="李四", id_number="500108198506121223", mobile="13800000002", gender="F",
                                 password="Secret123")
    stranger = app.test_client().get(path, headers={"Authorization": f"Bearer {issue_token(other)}"})
    assert stranger.status_code == 404 and stranger.mimetype != "application/pdf"
    assert phone.get(path[:-3] + "abc").status_code == 404
    app.config["CERT_LINK_DAYS"] = -1
    expired = phone.get(path, headers={"Accept": "application/json"})
    assert expired.status_code == 410 and expired.get_json()["code"] == "link_expired"


def test_my_certificates_of_every_year_download_again_the_same_signed_file(api, learner, org_unit, app):
    from app.learning.models import Project

    this_year = finished_learner()[1]
    last_year = Project.get(Project.year == demo_year() - 1)
    enrol(learner, last_year)
    finish(learner, last_year)
    for project in (last_year, this_year):
        _confirm(api, project, unit_id=org_unit.id)
        assert api.post(f"/certificates/{project.id}/issue")[0] == 201
    items = api.get("/certificates")[1]["data"]
    assert [(i["year"], i["state"]) for i in items] == [(demo_year(), "issued"), (demo_year() - 1, "issued")]
    page = api.client.get("/certs").get_data(as_text=True)
    for item in items:
        cert = Certificate.get(Certificate.number == item["certificate"]["number"])
        assert f'href="/certs/{cert.number}.pdf"' in page
        first = api.client.get(f"/certs/{cert.number}.pdf")
        second = api.client.get(item["certificate"]["pdf_url"])  # the API's link, as the mini-program uses it
        assert first.status_code == 200 and first.mimetype == "application/pdf"
        assert first.data == second.data
        assert hashlib.sha256(first.data).hexdigest() == cert.pdf_sha256
        assert f"证书编号：{cert.number}" in PdfReader(io.BytesIO(first.data)).pages[0].extract_text()
    # another learner gets nothing; the home page links to my certificates
    other = accounts.create_user(name="李四", id_number="500108198506121223", mobile="13800000002", gender="F",
                                 password="Secret123")
    headers = {"Authorization": f"Bearer {issue_token(other)}"}
    assert app.test_client().get(f"/certs/{items[0]['certificate']['number']}.pdf", headers=headers).status_code == 404
    assert app.test_client().get(f"/certs/{items[0]['certificate']['number']}.pdf").status_code == 302
    assert 'href="/certs"' in api.client.get("/").get_data(as_text=True)
