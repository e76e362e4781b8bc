"""Bad input on every endpoint: a 4xx with the envelope and a clear message; nothing half-saved."""
import pytest

from app import consents
from app.accounts.models import User

POST_ENDPOINTS = ["/auth/register", "/auth/login", "/auth/reset-code", "/auth/reset-password",
                  "/me/password", "/staff/accounts/lookup"]


def _is_envelope(body):
    return set(body) == {"code", "message", "data"} and body["code"] != "ok" and body["message"]


@pytest.fixture
def logged_in(api, registered):
    api.post("/auth/login", {"username": registered["mobile"], "password": "Secret123"})
    return api


def _requires_login(path):
    return path.startswith("/me") or path.startswith("/staff")


def _expected(path, status):
    """A learner is refused staff endpoints before the body is read; elsewhere the body is judged."""
    return 403 if path.startswith("/staff") else status


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_missing_fields(logged_in, path):
    status, body = logged_in.post(path, {})
    expected = 403 if path.startswith("/staff") else 422
    assert status == expected and _is_envelope(body)
    if expected == 422:
        assert body["data"]["fields"] and all(v for v in body["data"]["fields"].values())


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_wrong_types(logged_in, path):
    payload = {"name": 1, "id_number": 5001, "mobile": ["1"], "gender": True, "password": 12345678,
               "username": {"a": 1}, "code": 1, "old_password": None, "q": 3, "confirm_true": "yes"}
    status, body = logged_in.post(path, payload)
    assert status == _expected(path, 422) and _is_envelope(body)


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_body_that_is_not_an_object(logged_in, path):
    status, body = logged_in.post(path, ["a", "b"])
    assert status == _expected(path, 400) and _is_envelope(body)


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_invalid_json_and_wrong_content_type(logged_in, path):
    status, body = logged_in.call("POST", path, data="{not json", content_type="application/json")
    assert status == _expected(path, 400) and _is_envelope(body)
    status, body = logged_in.call("POST", path, data="a=1", content_type="application/x-www-form-urlencoded")
    assert status == _expected(path, 415) and _is_envelope(body)


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_oversized_body(logged_in, path):
    status, body = logged_in.post(path, {"name": "张" * 70000})
    if path.startswith("/staff"):  # refused for the learner before the body is read
        assert status == 403 and _is_envelope(body)
    else:
        assert status == 413 and body["code"] == "payload_too_large" and body["message"] == "提交的内容过大"


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_long_strings_and_extra_fields(logged_in, path):
    status, body = logged_in.post(path, {"name": "张" * 300, "unexpected": 1})
    assert status == _expected(path, 422) and _is_envelope(body)


@pytest.mark.parametrize("path", ["/auth/register", "/auth/login", "/auth/reset-code", "/auth/reset-password"])
def test_anonymous_bad_input(api, path):
    status, body = api.post(path, {"mobile": "12"})
    assert status == 422 and _is_envelope(body)


def test_protected_endpoints_without_login(api):
    for path in ["/me/password", "/staff/accounts/lookup"]:
        status, body = api.post(path, {})
        assert status == 401 and body["code"] == "unauthorized"


def test_unknown_route_and_method(api):
    status, body = api.get("/nope")
    assert status == 404 and body["code"] == "not_found" and body["message"]
    status, body = api.call("DELETE", "/me")
    assert status == 405 and body["code"] == "method_not_allowed"


def test_failed_registration_saves_nothing(api, learner_data):
    bad = {**learner_data, "mobile": "123", "sms_code": "123456", "consents": consents.current()}
    status, body = api.post("/auth/register", bad)
    assert status == 422 and body["data"]["fields"] == {"mobile": "手机号应为 1 开头的 11 位数字"}
    assert "注册信息有误" in body["message"]
    assert User.select().count() == 0
    status, body = api.post("/auth/register", {**bad, "mobile": learner_data["mobile"], "confirm_true": False})
    assert status == 422 and "真实有效" in body["data"]["fields"]["confirm_true"]
    assert User.select().count() == 0


def test_html_pages_get_a_page_not_json(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert "请求的内容不存在" in resp.get_data(as_text=True)
