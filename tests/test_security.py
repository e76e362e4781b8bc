"""CSRF, cookies, headers, roles and ownership, production refusal."""
import datetime
import json

import pytest

from app import create_app
from app.accounts import service
from app.db import utcnow
from app.demo import seed_catalogue
from app.learning.models import Project
from app.pay.models import Order
from tests.certs_fixtures import finished_learner, issued
from tests.conftest import Api


def _csrf_from(resp):
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', resp.get_data(as_text=True)).group(1)


def test_forms_need_the_csrf_token(client, registered):
    resp = client.post("/login", data={"username": registered["mobile"], "password": "Secret123"})
    assert resp.status_code == 400 and "页面已过期" in resp.get_data(as_text=True)
    token = _csrf_from(client.get("/login"))
    resp = client.post("/login", data={"username": registered["mobile"], "password": "Secret123",
                                       "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/account"


def test_cookie_api_calls_need_the_csrf_header(client, registered):
    client.post("/api/v1/auth/login", json={"username": registered["mobile"], "password": "Secret123"})
    resp = client.post("/api/v1/me/password", json={"old_password": "Secret123", "password": "NewSecret456"})
    assert resp.status_code == 400 and resp.get_json()["code"] == "csrf_failed"


def test_session_cookie_flags_and_security_headers(client, registered, app):
    token = _csrf_from(client.get("/login"))
    resp = client.post("/login", data={"username": registered["mobile"], "password": "Secret123",
                                       "csrf_token": token})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/account")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"


def test_secure_cookie_in_production_like_settings(app_factory, registered):
    app = app_factory(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    with app.app_context():
        resp = client.post("/api/v1/auth/login", json={"username": registered["mobile"], "password": "Secret123"})
    assert "Secure" in resp.headers["Set-Cookie"]
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_id_changes_at_login(client, registered):
    client.get("/login")
    before = client.get_cookie("ce_sid").value
    client.post("/api/v1/auth/login", json={"username": registered["mobile"], "password": "Secret123"},
                headers={"X-CSRF-Token": client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]})
    assert client.get_cookie("ce_sid").value != before


def test_pages_mask_personal_data(client, registered):
    token = _csrf_from(client.get("/login"))
    client.post("/login", data={"username": registered["mobile"], "password": "Secret123", "csrf_token": token})
    html = client.get("/account").get_data(as_text=True)
    assert "5001**********7657" in html and "138****0001" in html
    assert registered["id_number"] not in html and registered["mobile"] not in html


def test_staff_only_and_learner_refused(api, app, registered):
    from app.staff import roles

    with app.app_context():
        staff = service.create_user(name="王老师", id_number="11010519491231002X", mobile="13900000009", gender="F",
                                    password="Staff2026x", username="admin", role="staff")
        roles.grant(staff, "service_desk")
    api.post("/auth/login", {"username": registered["mobile"], "password": "Secret123"})
    status, body = api.post("/staff/accounts/lookup", {"q": registered["mobile"]})
    assert status == 403 and body["message"] == "仅限工作人员访问"
    assert api.client.get("/staff/").status_code == 403
    api.post("/auth/logout")
    api.headers.clear()
    api.post("/auth/login", {"username": "admin", "password": "Staff2026x"})
    status, body = api.post("/staff/accounts/lookup", {"q": registered["id_number"]})
    assert status == 200 and body["data"]["id_number"] == "5001**********7657"
    assert api.client.get("/staff/").status_code == 200
    resp = api.client.get("/staff?q=13800000001")  # the old 工作台 address leads to the console, query dropped
    assert resp.status_code == 302 and resp.headers["Location"] == "/staff/"


def test_anonymous_pages_redirect_to_login(client):
    resp = client.get("/account")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login?next=")


def test_no_open_redirect_after_login(client, registered):
    token = _csrf_from(client.get("/login"))
    resp = client.post("/login?next=//evil.example/x", data={"username": registered["mobile"],
                                                             "password": "Secret123", "csrf_token": token})
    assert resp.headers["Location"] == "/account"


def test_learner_owned_objects_refuse_other_learners(app, api, registered, learner_data):
    """Real orders and certificates of one learner answer 404 to another (and 200 to their owner)."""
    owner_api = Api(app.test_client())
    owner_api.post("/auth/login", {"username": registered["mobile"], "password": "Secret123"})
    owner, project = finished_learner()
    cert = issued(owner, project)
    seed_catalogue()
    next_year = Project.create(year=project.year + 1, name="下一年度公需科目", price_fen=100, credit_hours=30,
                               sale_start=utcnow(), sale_end=utcnow() + datetime.timedelta(days=30))
    status, body = owner_api.post("/orders", {"project_id": next_year.id})
    assert status == 201, body
    order_no = body["data"]["order_no"]
    assert owner_api.get(f"/orders/{order_no}")[0] == 200
    assert owner_api.client.get(f"/api/v1/certificates/{cert.number}/pdf").status_code == 200

    other = {**learner_data, "name": "李四", "id_number": "500108198506121223", "gender": "F", "mobile": "13800000002"}
    assert api.register(other)[0] == 201  # `api` is now the other learner's browser
    status, body = api.get(f"/orders/{order_no}")
    assert status == 404 and body["code"] == "not_found"
    resp = api.client.get(f"/api/v1/certificates/{cert.number}/pdf")
    assert resp.status_code == 404 and resp.mimetype == "application/json"
    assert Order.get(Order.order_no == order_no).buyer_id == owner.id  # nothing changed hands


@pytest.mark.parametrize("env, reason", [
    ({}, "SECRET_KEY"),
    ({"SECRET_KEY": "x" * 40}, "PII_KEYS"),
    ({"SECRET_KEY": "x" * 40, "PII_KEYS": "k:" + "A" * 44}, "PostgreSQL"),
])
def test_production_refuses_development_settings(env, reason):
    with pytest.raises(RuntimeError, match=reason):
        create_app({"APP_ENV": "production", **env})


def test_production_refuses_the_sms_outbox():
    with pytest.raises(RuntimeError, match="SMS_PROVIDER"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "x" * 40, "PII_KEYS": "k:" + "A" * 44,
                    "DATABASE_URL": "postgresql://db/app", "SESSION_COOKIE_SECURE": True})


def test_a_request_that_does_not_use_the_session_does_not_read_it(client, registered, app, monkeypatch):
    """The browser session is read from Redis when a request first uses it (app/security.py RedisSession)."""
    from app.redis_client import get_redis

    client.post("/api/v1/auth/login", json={"username": registered["mobile"], "password": "Secret123"})
    connection_class, sent = get_redis().connection_pool.connection_class, []
    real = connection_class.send_packed_command

    def recording(self, command, check_health=True):
        packed = b"".join(part if isinstance(part, bytes) else part.encode()
                          for part in ([command] if isinstance(command, (bytes, str)) else command))
        sent.append(packed.split(b"\r\n")[4].decode())  # *<n> $<len> NAME $<len> KEY
        return real(self, command, check_health)

    monkeypatch.setattr(connection_class, "send_packed_command", recording)
    with app.app_context():
        assert client.get("/api/v1/ping").status_code == 200
        assert not [key for key in sent if key.startswith("sess:")]
        resp = client.get("/api/v1/me")
    assert (resp.status_code, resp.get_json()["data"]["mobile"]) == (200, "138****0001")
    assert [key for key in sent if key.startswith("sess:")] == ["sess:" + client.get_cookie("ce_sid").value]


def test_a_session_id_the_client_chose_is_never_adopted(client, app):
    from app.redis_client import get_redis

    client.set_cookie("ce_sid", "chosen-by-the-client")
    resp = client.get("/api/v1/auth/csrf")
    assert resp.status_code == 200
    sid = client.get_cookie("ce_sid").value
    assert sid != "chosen-by-the-client"
    with app.app_context():
        assert get_redis().exists("sess:chosen-by-the-client") == 0
        assert json.loads(get_redis().get("sess:" + sid)) == {"csrf": resp.get_json()["data"]["csrf_token"]}


COOKIE_HEADERS = [
    "", "session=abc", "device=x; session=abc", "session=abc; session=def", "  session = abc ;device=y",
    "session=", "session", "session;x=1", "sessionx=1; session=ok", "x=session=1; session=ok", "session=a=b",
    "a b=1; session=ok", "session=a b; session=ok", 'session="quoted"; x=1', 'x="a;session=evil"; session=ok',
    "session=\tab", "session=caf\u00e9", "=x; session=ok", ";;session=ok;;", "Session=upper; session=ok",
    "session=a,b", "session=ok ;", "session =ok", "x=1, session=2",
    "session=\x0babc", "\x0bsession=abc", "session=abc\x0c", "session=abc\x1f; session=x",
]


@pytest.mark.parametrize("header", COOKIE_HEADERS)
def test_the_session_cookie_is_read_as_werkzeug_reads_it(app, header):
    """app.security.session_cookie skips parsing every cookie: it must find what request.cookies finds."""
    from flask import request

    from app.security import session_cookie

    with app.test_request_context("/", environ_base={"HTTP_COOKIE": header}):
        assert session_cookie(request, "session") == request.cookies.get("session"), header
