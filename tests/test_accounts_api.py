"""Register, log in, lock out, reset by SMS, change password: through the API, on both engines."""
import re

from app import consents
from app.accounts.models import AuthEvent, User
from app.consents.models import Consent
from tests.conftest import Api, sms_code_for


def _code_from_outbox(api):
    status, body = api.get("/dev/sms")
    assert status == 200
    return re.search(r"验证码 (\d{6})", body["data"][0]["text"]).group(1)


def test_register_then_me(api, learner_data):
    status, body = api.register(learner_data)
    assert status == 201 and body["code"] == "ok"
    assert body["data"]["user"]["id_number"] == "5001**********7657"
    assert body["data"]["user"]["mobile"] == "138****0001"
    status, body = api.get("/me")
    assert status == 200 and body["data"]["name"] == "张三"
    assert body["data"]["username"] == "5001**********7657"


def test_register_lowercase_x_stored_upper(api, learner_data, app):
    learner_data.update(id_number="11010519491231002x", gender="F", mobile="13900000000")
    status, _ = api.register(learner_data)
    assert status == 201
    status, body = api.post("/auth/login", {"username": "11010519491231002X", "password": "Secret123"})
    assert status == 200, body


def test_duplicate_registration_is_a_clear_conflict(api, registered):
    status, body = api.register({**registered, "mobile": "13700000000"})
    assert status == 409 and body["code"] == "conflict"
    assert "身份证号已注册" in body["message"] and "请致电客服申诉" in body["message"]
    assert "id_number" in body["data"]["fields"]
    assert User.select().count() == 1


def test_a_registered_mobile_learns_nothing_and_its_owner_is_told(app, api, registered):
    app.extensions["redis"].delete(*app.extensions["redis"].keys("sms:cool:*"))  # a minute later
    status, body = api.post("/auth/register-code", {"mobile": registered["mobile"]})
    assert status == 200 and body["message"] == "验证码已发送，请注意查收"  # as for a new number
    status, fresh = api.post("/auth/register-code", {"mobile": "13700000000"})
    assert (status, fresh["message"]) == (200, body["message"])
    notice = [m for m in _outbox(app) if m["mobile"] == registered["mobile"]][0]
    assert "该手机号已注册" in notice["text"] and "验证码" not in notice["text"]
    other = {**registered, "id_number": "500108198506121223", "gender": "F", "sms_code": "123456",
             "consents": consents.current()}
    status, body = api.post("/auth/register", other)
    assert status == 422 and "验证码" in body["message"]
    assert User.select().count() == 1


def test_registration_needs_the_code_and_both_consents(api, learner_data):
    status, body = api.post("/auth/register", {**learner_data, "consents": consents.current()})
    assert status == 422 and body["data"]["fields"] == {"sms_code": "必填"}
    status, body = api.post("/auth/register-code", {"mobile": learner_data["mobile"]})
    code = sms_code_for(api.client.application, learner_data["mobile"])
    wrong = "000000" if code != "000000" else "111111"
    status, body = api.post("/auth/register", {**learner_data, "sms_code": wrong, "consents": consents.current()})
    assert status == 422 and "验证码不正确" in body["message"]
    status, body = api.post("/auth/register", {**learner_data, "sms_code": code,
                                               "consents": {"privacy": consents.current()["privacy"]}})
    assert status == 422 and set(body["data"]["fields"]) == {"sensitive_pi"}
    assert User.select().count() == 0
    status, body = api.post("/auth/register", {**learner_data, "sms_code": code, "consents": consents.current()})
    assert status == 201
    rows = {(c.document, c.version) for c in Consent.select().where(Consent.user == User.get().id)}
    assert rows == set(consents.current().items())


def test_registration_is_throttled_per_network(app_factory, learner_data):
    app = app_factory(REGISTER_IP_HOURLY_LIMIT=3)
    with app.app_context():
        api = Api(app.test_client())
        for i in range(3):
            assert api.post("/auth/register-code", {"mobile": f"1370000000{i}"})[0] == 200
        status, body = api.post("/auth/register-code", {"mobile": "13700000009"})
        assert status == 429 and "该网络注册过于频繁" in body["message"]


def _outbox(app):
    from app.accounts.sms import read_outbox
    from app.jobs import drain

    drain(app)
    return read_outbox(50)


def test_gender_must_match_id_number(api, learner_data):
    status, body = api.register({**learner_data, "gender": "F"})
    assert status == 422 and "性别与身份证号不一致" in body["message"]
    assert User.select().count() == 0


def test_login_by_id_mobile_and_username(api, learner_data):
    api.register({**learner_data, "username": "zhangsan"})
    for ident in ("500103199003077657", "13800000001", "zhangsan"):
        api.post("/auth/logout")
        status, body = api.post("/auth/login", {"username": ident, "password": "Secret123"})
        assert status == 200, (ident, body)
        assert api.get("/me")[0] == 200


def _fail(api, username, times):
    out = []
    for _ in range(times):
        out.append(api.post("/auth/login", {"username": username, "password": "Wrong1234"}))
    return out


def test_wrong_password_offers_reset_then_waits_grow(app, registered):
    api = Api(app.test_client())  # a browser that never logged in to this account
    answers = _fail(api, registered["mobile"], 4)
    assert [(s, b["data"]["attempts_left"]) for s, b in answers] == [(401, 4), (401, 3), (401, 2), (401, 1)]
    assert all(b["code"] == "bad_credentials" and b["data"]["can_reset"] for _, b in answers)
    status, body = api.post("/auth/login", {"username": registered["id_number"], "password": "Wrong1234"})
    assert status == 423 and "请 30 秒后再试" in body["message"] and "短信验证码" in body["message"]
    assert body["data"] == {"retry_after": 30, "can_sms": True, "can_reset": True}
    # A stranger's browser is made to wait, with the right password too, whichever identifier is used.
    status, body = api.post("/auth/login", {"username": registered["mobile"], "password": "Secret123"})
    assert status == 423 and body["data"]["retry_after"] <= 30
    assert AuthEvent.select().where(AuthEvent.kind == "locked").count() == 1
    # Each further failure doubles the wait (the test lets the current wait pass).
    r, uid = app.extensions["redis"], User.get().id
    r.delete(f"login:wait:acct:{uid}")
    status, body = api.post("/auth/login", {"username": registered["mobile"], "password": "Wrong1234"})
    assert status == 423 and body["data"]["retry_after"] == 60
    assert 55 <= r.ttl(f"login:wait:acct:{uid}") <= 60


def test_a_known_device_gets_in_while_a_stranger_is_kept_waiting(app, client, api, registered):
    status, _ = api.post("/auth/login", {"username": registered["mobile"], "password": "Secret123"})
    assert status == 200 and client.get_cookie("ce_dev") is not None  # this browser is now known
    api.post("/auth/logout")
    stranger = app.test_client()
    for _ in range(7):
        stranger.post("/api/v1/auth/login", json={"username": registered["mobile"], "password": "Wrong1234"})
    assert stranger.post("/api/v1/auth/login", json={"username": registered["mobile"],
                                                     "password": "Secret123"}).status_code == 423
    status, body = api.post("/auth/login", {"username": registered["mobile"], "password": "Secret123"})
    assert status == 200 and body["data"]["user"]["name"] == "张三"


def test_an_sms_code_lets_the_right_password_through(app, api, registered, drain):
    stranger = app.test_client()
    for _ in range(6):
        stranger.post("/api/v1/auth/login", json={"username": registered["mobile"], "password": "Wrong1234"})
    status, body = api.post("/auth/login-code", {"username": registered["id_number"]})
    assert status == 200 and "验证码已发送" in body["message"]
    status, body = api.post("/auth/login-code", {"username": "nobody-here"})
    assert status == 200 and "验证码已发送" in body["message"]  # the same answer for unknown accounts
    drain()
    code = _code_from_outbox(api)
    status, body = api.post("/auth/login", {"username": registered["mobile"], "password": "Wrong1234",
                                            "sms_code": code})
    assert status == 401  # the code lifts the wait, not the password
    status, body = api.post("/auth/login-code", {"username": registered["id_number"]})
    assert status == 429  # one code a minute per account
    app.extensions["redis"].delete(*app.extensions["redis"].keys("sms:cool:*"))
    api.post("/auth/login-code", {"username": registered["id_number"]})
    drain()
    status, body = api.post("/auth/login", {"username": registered["mobile"], "password": "Secret123",
                                            "sms_code": _code_from_outbox(api)})
    assert status == 200


def test_a_network_is_slowed_down_but_known_devices_still_get_in(app_factory, learner_data):
    app = app_factory(LOGIN_IP_MAX_FAILURES=3)
    with app.app_context():
        member = app.test_client()
        assert Api(member).register(learner_data)[0] == 201
        member.post("/api/v1/auth/logout", headers={"X-CSRF-Token": _csrf(member)})
        client = app.test_client()
        for i in range(3):
            client.post("/api/v1/auth/login", json={"username": f"nobody{i}", "password": "x"})
        resp = client.post("/api/v1/auth/login", json={"username": "nobody9", "password": "x"})
        assert resp.status_code == 429 and "该网络登录失败次数较多" in resp.get_json()["message"]
        resp = member.post("/api/v1/auth/login", json={"username": learner_data["mobile"], "password": "Secret123"},
                           headers={"X-CSRF-Token": _csrf(member)})
        assert resp.status_code == 200


def _csrf(client):
    return client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]


def test_unknown_user_gets_the_same_answer(api):
    status, body = api.post("/auth/login", {"username": "13811112222", "password": "Secret123"})
    assert status == 401 and body["code"] == "bad_credentials"


def test_me_requires_login(api):
    status, body = api.get("/me")
    assert status == 401 and body == {"code": "unauthorized", "message": "请先登录", "data": None}


def test_bearer_token_for_the_mini_program(client, registered):
    resp = client.post("/api/v1/auth/login?token=1", json={"username": registered["mobile"], "password": "Secret123"})
    token = resp.get_json()["data"]["token"]
    assert token and "Set-Cookie" not in resp.headers
    other = client.application.test_client()
    assert other.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert other.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert other.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert other.get("/api/v1/me", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_password_reset_by_sms_then_login_with_mobile(api, registered, drain, client):
    old = client.application.test_client()
    old.post("/api/v1/auth/login", json={"username": registered["mobile"], "password": "Secret123"})
    assert old.get("/api/v1/me").status_code == 200

    status, body = api.post("/auth/reset-code", {"mobile": registered["mobile"]})
    assert status == 200 and "验证码已发送" in body["message"]
    drain()  # the SMS goes out through the job queue
    code = _code_from_outbox(api)
    status, body = api.post("/auth/reset-password", {"mobile": registered["mobile"], "code": code,
                                                      "password": "NewSecret456"})
    assert status == 200, body
    # The code is single use, the old password is gone, the new one works, old sessions ended.
    status, body = api.post("/auth/reset-password", {"mobile": registered["mobile"], "code": code,
                                                      "password": "Another789"})
    assert status == 422 and "过期" in body["message"]
    assert api.post("/auth/login", {"username": registered["mobile"], "password": "Secret123"})[0] == 401
    assert api.post("/auth/login", {"username": registered["mobile"], "password": "NewSecret456"})[0] == 200
    assert old.get("/api/v1/me").status_code == 401


def test_reset_code_limits(api, registered, drain):
    assert api.post("/auth/reset-code", {"mobile": registered["mobile"]})[0] == 200
    status, body = api.post("/auth/reset-code", {"mobile": registered["mobile"]})
    assert status == 429 and "秒后再重新获取" in body["message"]
    drain()
    for _ in range(4):
        status, body = api.post("/auth/reset-password", {"mobile": registered["mobile"], "code": "000000",
                                                          "password": "NewSecret456"})
        assert status == 422 and body["message"] == "验证码不正确"
    status, body = api.post("/auth/reset-password", {"mobile": registered["mobile"], "code": "000000",
                                                      "password": "NewSecret456"})
    assert "错误次数过多" in body["message"]
    status, body = api.post("/auth/reset-password", {"mobile": registered["mobile"], "code": _code_from_outbox(api),
                                                      "password": "NewSecret456"})
    assert status == 422  # the code was voided by too many wrong tries


def test_reset_code_for_unknown_mobile_sends_nothing(api, drain):
    status, body = api.post("/auth/reset-code", {"mobile": "13911112222"})
    assert status == 200
    drain()
    assert api.get("/dev/sms")[1]["data"] == []


def test_change_password(api, registered):
    api.post("/auth/login", {"username": registered["mobile"], "password": "Secret123"})
    status, body = api.post("/me/password", {"old_password": "nope", "password": "NewSecret456"})
    assert status == 422 and body["data"]["fields"] == {"old_password": "原密码不正确"}
    status, body = api.post("/me/password", {"old_password": "Secret123", "password": "NewSecret456"})
    assert status == 200
    assert api.get("/me")[0] == 200  # this session continues
    api.post("/auth/logout")
    assert api.post("/auth/login", {"username": registered["mobile"], "password": "NewSecret456"})[0] == 200


def test_contact_lines_are_public(api):
    status, body = api.get("/contact")
    assert status == 200 and body["data"]["account_phone"] and body["data"]["tech_phone"]


def test_login_page_offers_the_sms_code_when_waiting(app, registered, drain):
    browser = app.test_client()
    token = _csrf(browser)
    form = {"username": registered["mobile"], "password": "Wrong1234", "csrf_token": token}
    for _ in range(4):
        assert browser.post("/login", data=form).status_code == 401
    page = browser.post("/login", data=form)
    assert page.status_code == 423 and 'id="sms-row"' in page.get_data(as_text=True)
    sent = browser.post("/login/code", data={"username": registered["mobile"], "csrf_token": token})
    assert sent.status_code == 200 and "验证码已发送" in sent.get_data(as_text=True)
    drain()
    code = _code_from_outbox(Api(browser))
    done = browser.post("/login", data={**form, "password": "Secret123", "sms_code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/account"
