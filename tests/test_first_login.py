"""A bulk-registered account: the initial password starts a first login (SMS code, new password, consents)."""
import datetime
import re

import pytest

from app.accounts import first_login, service, sms
from app.accounts.models import User
from app.bulk import jobs
from app.consents.models import Consent
from app.db import utcnow
from tests.bulk_fixtures import form_workbook, make_contact, make_id, row
from tests.mail_fixtures import smtp_outbox  # noqa: F401  (fixture)

PERSON_ID = make_id(21, gender="F")
INITIAL = "edu@" + PERSON_ID[-6:]
MOBILE = "13900000021"


@pytest.fixture
def app(app_factory, smtp_outbox):  # noqa: F811
    application = app_factory(**smtp_outbox)
    with application.app_context():
        yield application


@pytest.fixture
def bulk_learner(app, drain):
    unit, contact = make_contact()
    jobs.submit(unit, contact, form_workbook([row(1, "周敏", PERSON_ID, MOBILE, "女")]), "名单.xlsx")
    drain()
    return service.find_by_id_number(PERSON_ID)


def _code(mobile=MOBILE):
    from flask import current_app

    from app.jobs import drain

    drain(current_app._get_current_object())  # the SMS goes out through the job queue
    text = next(m["text"] for m in sms.read_outbox() if m["mobile"] == mobile)
    return re.search(r"验证码 (\d{6})", text).group(1)


def _start(api):
    status, body = api.post("/auth/login", {"username": PERSON_ID, "password": INITIAL})
    assert (status, body["code"]) == (403, "first_login_required"), body
    return body["data"]


def test_initial_password_leads_to_sms_code_new_password_and_consents(api, bulk_learner):
    started = _start(api)
    assert started["mobile"] == "139****0021" and started["consents"] == {"privacy": "2026-11-01",
                                                                        "sensitive_pi": "2026-11-01"}
    assert api.get("/me")[0] == 401  # the initial password opened no session
    status, body = api.post("/auth/first-login/code", {"ticket": started["ticket"]})
    assert status == 200 and body["data"]["mobile"] == "139****0021"
    base = {"ticket": started["ticket"], "code": _code(), "consents": started["consents"]}
    status, body = api.post("/auth/first-login", {**base, "password": INITIAL})
    assert (status, body["data"]["fields"]) == (422, {"password": "新密码不能与初始密码相同"})
    only_privacy = {"privacy": "2026-11-01"}
    status, body = api.post("/auth/first-login", {**base, "password": "Mine2026x", "consents": only_privacy})
    assert status == 422 and set(body["data"]["fields"]) == {"sensitive_pi"}
    assert Consent.select().count() == 0 and User.get_by_id(bulk_learner.id).password_hash == first_login.INITIAL
    status, body = api.post("/auth/first-login", {**base, "password": "Mine2026x"})
    assert status == 200, body
    assert api.get("/me")[0] == 200
    user = User.get_by_id(bulk_learner.id)
    assert user.password_hash.startswith("$argon2id$") and user.initial_password_until is None
    assert {(c.document, c.version) for c in Consent.select().where(Consent.user == user.id)} == {
        ("privacy", "2026-11-01"), ("sensitive_pi", "2026-11-01")}
    api.post("/auth/logout")
    assert api.post("/auth/login", {"username": PERSON_ID, "password": INITIAL})[0] == 401
    assert api.post("/auth/login", {"username": MOBILE, "password": "Mine2026x"})[0] == 200
    assert api.post("/auth/first-login", {**base, "password": "Other2026x"})[0] == 410  # the ticket is spent


def test_wrong_code_and_wrong_ticket_change_nothing(api, bulk_learner):
    started = _start(api)
    api.post("/auth/first-login/code", {"ticket": started["ticket"]})
    good = {"ticket": started["ticket"], "consents": started["consents"], "password": "Mine2026x"}
    wrong = "000000" if _code() != "000000" else "111111"
    assert api.post("/auth/first-login", {**good, "code": wrong})[0] == 422
    status, body = api.post("/auth/first-login", {**good, "ticket": "forged", "code": _code()})
    assert (status, body["code"]) == (410, "first_login_expired")
    assert api.post("/auth/first-login/code", {"ticket": "forged"})[0] == 410
    assert User.get_by_id(bulk_learner.id).password_hash == first_login.INITIAL


def test_a_wrong_password_counts_as_a_failure(api, bulk_learner):
    status, body = api.post("/auth/login", {"username": PERSON_ID, "password": "edu@000000"})
    assert (status, body["data"]["attempts_left"]) == (401, 4)


def test_an_unused_initial_password_expires_and_forgot_password_still_works(api, bulk_learner):
    User.update(initial_password_until=utcnow() - datetime.timedelta(seconds=1)).where(
        User.id == bulk_learner.id).execute()
    status, body = api.post("/auth/login", {"username": PERSON_ID, "password": INITIAL})
    assert (status, body["code"]) == (401, "initial_password_expired")
    assert api.post("/auth/reset-code", {"mobile": MOBILE})[0] == 200
    status, _ = api.post("/auth/reset-password", {"mobile": MOBILE, "code": _code(), "password": "Mine2026x"})
    assert status == 200
    user = User.get_by_id(bulk_learner.id)
    assert user.password_hash.startswith("$argon2id$") and user.initial_password_until is None
    assert api.post("/auth/login", {"username": PERSON_ID, "password": "Mine2026x"})[0] == 200


def test_initial_password_lasts_the_configured_days(app, bulk_learner):
    days = app.config["BULK_INITIAL_PASSWORD_DAYS"]
    left = bulk_learner.initial_password_until - utcnow()
    assert datetime.timedelta(days=days) - datetime.timedelta(minutes=5) < left <= datetime.timedelta(days=days)


def test_h5_first_login_page(client, bulk_learner):
    from tests.conftest import Api

    page = client.post("/login", data={"username": PERSON_ID, "password": INITIAL,
                                       "csrf_token": _csrf(client)})
    assert page.status_code == 302 and page.headers["Location"].startswith("/first-login")
    assert "139****0021" in client.get("/first-login").get_data(as_text=True)
    assert client.post("/first-login", data={"step": "code", "csrf_token": _csrf(client)}).status_code == 200
    form = {"step": "set", "code": _code(), "password": "Mine2026x", "password2": "Mine2026x",
            "csrf_token": _csrf(client), "consent_privacy": "on"}
    missing = client.post("/first-login", data=form)
    assert missing.status_code == 422 and "敏感个人信息处理单独同意书" in missing.get_data(as_text=True)
    done = client.post("/first-login", data={**form, "consent_sensitive_pi": "on"})
    assert done.status_code == 302
    assert Api(client).get("/me")[0] == 200


def _csrf(client):
    return client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]


def test_mini_program_bind_with_the_initial_password_goes_through_the_first_login(api, sandbox_api, bulk_learner):
    """What the mini-program does: bind → first_login_required → first login (token) → bind again."""
    wx = sandbox_api.post("/jscode", {"nickname": "小周"})
    ticket = api.post("/wechat/mini/login", {"code": wx["code"]})[1]["data"]["bind_ticket"]
    status, body = api.post("/wechat/mini/bind", {"bind_ticket": ticket, "username": PERSON_ID, "password": INITIAL})
    assert (status, body["code"]) == (403, "first_login_required")
    started = body["data"]
    assert api.post("/auth/first-login/code", {"ticket": started["ticket"]})[0] == 200
    status, body = api.post("/auth/first-login?token=1", {"ticket": started["ticket"], "code": _code(),
                                                          "password": "Zhou2026x", "consents": started["consents"]})
    assert status == 200 and body["data"]["token"]
    status, body = api.post("/wechat/mini/bind", {"bind_ticket": ticket, "username": PERSON_ID,
                                                  "password": "Zhou2026x"})
    assert status == 200 and body["data"]["user"]["name"] == "周敏"
