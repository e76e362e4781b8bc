"""GET /api/v1/me answers from a per-account cache in Redis, and every change to an account shows at once.

Each test first reads /me (so the entry is cached), changes the account through the real endpoint or
console page, and reads /me again straight away.
"""
import json
import re

from app.accounts import sms
from app.accounts.models import User
from app.accounts.policy import PROFILE_PREFIX, PROFILE_STALE, forget_profile
from app.masking import mask_id
from app.redis_client import get_redis
from tests.learning_fixtures import PASSWORD, make_id, make_learner
from tests.staff_fixtures import make_staff_member


def _me(client, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = client.get("/api/v1/me", headers=headers)
    return resp.status_code, resp.get_json()["data"]


def _cached(uid):
    raw = get_redis().get(PROFILE_PREFIX + str(uid))
    return raw if raw in (None, PROFILE_STALE) else json.loads(raw)


def test_me_is_cached_and_answers_from_the_cache(app):
    learner = make_learner(app, i=30)
    client = app.test_client()
    assert _cached(learner.user.id) == PROFILE_STALE  # the login's tombstone: nothing cached yet
    status, data = _me(client, learner.token)
    assert status == 200 and data["name"] == "学员30" and data["mobile"] == "137****0030"
    entry = _cached(learner.user.id)
    assert entry == {"v": "1", "a": True, "p": data}
    assert make_id(30) not in json.dumps(entry) and "13700000030" not in json.dumps(entry)  # masked only
    # A change made behind the application's back is not seen until the entry is forgotten:
    # the answer came from the cache, not from the row.
    User.update(name="改名").where(User.id == learner.user.id).execute()
    assert _me(client, learner.token) == (200, data)
    forget_profile(learner.user.id)
    assert _cached(learner.user.id) == PROFILE_STALE
    status, data = _me(client, learner.token)
    assert status == 200 and data["name"] == "改名"
    assert _cached(learner.user.id)["p"]["name"] == "改名"


def test_cookie_session_and_refusals(app):
    learner = make_learner(app, i=31)
    browser = app.test_client()
    assert _me(browser) == (401, None)
    resp = browser.post("/api/v1/auth/login", json={"username": learner.username, "password": PASSWORD})
    assert resp.status_code == 200
    status, data = _me(browser)
    assert status == 200 and data["id"] == learner.user.id
    assert _me(app.test_client(), "forged") == (401, None)
    assert browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": _csrf(browser)}).status_code == 200
    assert _me(browser) == (401, None)


def _csrf(client):
    return client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]


def test_staff_name_correction_shows_at_once(app, drain):
    desk = make_staff_member(app, ("service_desk",))
    learner = make_learner(app, i=32)
    client = app.test_client()
    assert _me(client, learner.token)[1]["name"] == "学员32"
    form = {"name": "李四", "id_number": "", "gender": "", "mobile": "", "reason": "姓名登记错误", "confirmed": "1"}
    assert desk.post(f"/staff/people/{learner.user.id}/correct", form).status_code == 302
    status, data = _me(client, learner.token)
    assert (status, data["name"]) == (200, "李四")


def test_staff_id_number_gender_and_mobile_correction_shows_at_once(app, drain):
    desk = make_staff_member(app, ("service_desk",))
    learner = make_learner(app, i=33)  # a man's ID number (odd sequence digit)
    client = app.test_client()
    before = _me(client, learner.token)[1]
    assert (before["id_number"], before["gender"], before["mobile"]) == (mask_id(make_id(33)), "M", "137****0033")
    new_id = make_id(34)  # a woman's: the gender is corrected with it
    form = {"id_number": new_id, "gender": "F", "mobile": "13600000033", "reason": "学员提供新证件", "confirmed": "1"}
    assert desk.post(f"/staff/people/{learner.user.id}/correct", form).status_code == 302
    status, data = _me(client, learner.token)
    assert (status, data["id_number"], data["gender"], data["mobile"]) == (200, mask_id(new_id), "F", "136****0033")


def test_login_updates_the_last_login_shown(app):
    learner = make_learner(app, i=35)
    client = app.test_client()
    first = _me(client, learner.token)[1]["last_login_at"]
    User.update(last_login_at=None).where(User.id == learner.user.id).execute()
    forget_profile(learner.user.id)
    assert _me(client, learner.token)[1]["last_login_at"] is None
    resp = client.post("/api/v1/auth/login?token=1", json={"username": learner.username, "password": PASSWORD})
    assert resp.status_code == 200
    shown = _me(client, learner.token)[1]["last_login_at"]
    assert shown is not None and shown >= first


def test_password_change_and_reset_end_old_tokens_at_once(app, drain):
    learner = make_learner(app, i=36)
    client = app.test_client()
    assert _me(client, learner.token)[0] == 200
    resp = client.post("/api/v1/me/password", json={"old_password": PASSWORD, "password": "Changed2026x"},
                       headers={"Authorization": f"Bearer {learner.token}"})
    assert resp.status_code == 200
    new_token = resp.get_json()["data"]["token"]
    assert _me(client, learner.token) == (401, None)
    assert _me(client, new_token)[0] == 200

    resp = client.post("/api/v1/auth/reset-code", json={"mobile": learner.username})
    assert resp.status_code == 200
    drain()
    text = next(m["text"] for m in sms.read_outbox() if m["mobile"] == learner.username)
    code = re.search(r"验证码 (\d{6})", text).group(1)
    resp = client.post("/api/v1/auth/reset-password",
                       json={"mobile": learner.username, "code": code, "password": "Reset2026x"})
    assert resp.status_code == 200
    assert _me(client, new_token) == (401, None)
    assert User.get_by_id(learner.user.id).session_version == 3


def test_disable_enable_and_end_sessions_show_at_once(app):
    desk = make_staff_member(app, ("service_desk",))
    learner = make_learner(app, i=37)
    client = app.test_client()
    assert _me(client, learner.token)[0] == 200
    resp = desk.post(f"/staff/people/{learner.user.id}/disable", {"confirmed": "1", "reason": "冒用他人身份"})
    assert resp.status_code == 302
    assert _me(client, learner.token) == (401, None)
    assert desk.post(f"/staff/people/{learner.user.id}/enable").status_code == 302
    assert _me(client, learner.token)[0] == 200
    assert desk.post(f"/staff/people/{learner.user.id}/end-sessions", {"confirmed": "1"}).status_code == 302
    assert _me(client, learner.token) == (401, None)


def test_role_grant_and_revoke_show_at_once(app):
    admin = make_staff_member(app, ("admin",))
    learner = make_learner(app, i=38)
    client = app.test_client()
    assert _me(client, learner.token)[1]["role"] == "learner"
    resp = admin.post("/staff/roles/grant", {"who": learner.username, "role": "service_desk"})
    assert resp.status_code == 302
    assert _me(client, learner.token)[1]["role"] == "staff"
    resp = admin.post("/staff/roles/revoke", {"user_id": str(learner.user.id), "role": "service_desk",
                                               "confirmed": "1"})
    assert resp.status_code == 302
    assert User.get_by_id(learner.user.id).role == "learner"
    assert _me(client, learner.token)[1]["role"] == "learner"
