"""Bad input that once gave a 500 or slipped past a check: huge integers, booleans, deep JSON, NUL,
forged log lines, IDs after %3D, an empty bearer header with a session cookie, production settings."""
import logging

import pytest

from app import create_app
from app.accounts.models import User
from app.demo import demo_year, seed_catalogue
from app.learning.models import Project
from app.masking import mask_text
from app.pay.models import Order
from app.production_checks import check_production

HUGE = 2**63


@pytest.fixture
def project(app):
    seed_catalogue()
    return Project.get(Project.year == demo_year())


@pytest.fixture
def buyer(api, registered):
    status, _ = api.post("/auth/login", {"username": registered["mobile"], "password": "Secret123"})
    assert status == 200
    return User.get()


@pytest.mark.parametrize("path", [f"/api/v1/projects/{HUGE}", f"/api/v1/projects/{2**31}",
                                  "/api/v1/projects/99999999999999999999999999"])
def test_huge_integers_in_paths_are_not_found(client, path):
    resp = client.get(path)
    assert resp.status_code == 404
    assert resp.get_json()["code"] == "not_found"


@pytest.mark.parametrize("value, message", [
    (HUGE, "培训项目"), (True, "应为整数"), ("1", "应为整数"), (1.0, "应为整数")])
def test_project_id_must_be_a_real_bounded_integer(api, buyer, project, value, message):
    before = Order.select().count()
    status, body = api.post("/orders", {"project_id": value})
    assert status == 422, body
    assert message in body["message"] or message in str(body["data"]["fields"])
    assert Order.select().count() == before == 0
    status, _ = api.post("/orders", {"project_id": project.id})
    assert status == 201  # the same request with an honest integer goes through


def test_huge_integers_in_bodies_are_refused(api, buyer, project):
    project_id = project.id
    status, body = api.post("/learning/heartbeat", {"session_id": "x" * 16, "chapter_id": HUGE, "seq": 1,
                                                    "position": 0, "playing": True})
    assert status == 422 and "chapter_id" in body["data"]["fields"]
    status, body = api.post(f"/certificates/{project_id}/profile", {"confirm": True, "unit_id": HUGE})
    assert status == 422 and "unit_id" in body["data"]["fields"]


def test_deeply_nested_json_is_a_clear_400(api, buyer):
    deep = "[" * 20_000 + "]" * 20_000  # 40 KB: under the body limit, past Python's recursion limit
    token = api.client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]
    resp = api.client.post("/api/v1/orders", data=deep, content_type="application/json",
                           headers={"X-CSRF-Token": token})
    assert resp.status_code == 400 and resp.get_json()["message"] == "请求体不是有效的 JSON"
    nested = {"project_id": 1}
    for _ in range(30):
        nested = {"a": nested}
    status, body = api.post("/orders", nested)
    assert status == 400 and body["message"] == "请求体嵌套过深"


def test_nul_characters_are_refused_before_the_database(api, learner_data):
    before = User.select().count()
    status, body = api.post("/auth/register", {**learner_data, "name": "张\x00三"})
    assert status == 400 and body["message"] == "提交的内容含有不允许的控制字符"
    status, body = api.post("/auth/login", {"username": "a\x00b", "password": "Secret123"})
    assert status == 400
    assert User.select().count() == before == 0


def test_an_empty_bearer_header_does_not_skip_the_csrf_check(app, client, api, buyer, project):
    # Logged in through the cookie; a forged cross-site request adds "Authorization: Bearer " and no token.
    resp = client.post("/api/v1/orders", json={"project_id": project.id}, headers={"Authorization": "Bearer "})
    assert resp.status_code == 400 and resp.get_json()["code"] == "csrf_failed"
    assert Order.select().count() == 0
    # A made-up token is a token login: the cookie is not read, so nobody is logged in.
    resp = client.post("/api/v1/orders", json={"project_id": project.id}, headers={"Authorization": "Bearer made-up"})
    assert resp.status_code == 401
    assert Order.select().count() == 0


def test_log_lines_cannot_be_forged_and_ids_are_masked_by_shape(caplog):
    caplog.set_level(logging.INFO)
    log = logging.getLogger("app.test")
    log.warning("GET %s", "/x\r\n2026-11-28 INFO forged: staff login ok")
    log.info("redirect to %s", "/login?next=%2Fcerts%3Fid%3D500103199003077657%26m%3D13800000001")
    first, second = (r.getMessage() for r in caplog.records[-2:])
    assert "\n" not in first and "\r" not in first and "\\r\\n2026-11-28 INFO forged" in first
    assert "500103199003077657" not in second and "13800000001" not in second
    assert "%3D5001**********7657" in second
    assert mask_text("idX500103199003077657") == "idX5001**********7657"
    assert mask_text("order 20261126000012345678") == "order 20261126000012345678"


GOOD_PRODUCTION = {
    "SECRET_KEY": "s" * 40, "CERT_SIGNING_KEY": "c" * 40, "PII_KEYS": "k1:" + "A" * 44,
    "DATABASE_URL": "postgresql://db/app", "PUBLIC_BASE_URL": "https://edu.example.cn",
    "SMS_PROVIDER": "http", "SMS_GATEWAY_URL": "https://sms.example.cn/send", "SMS_GATEWAY_SECRET": "x" * 20,
    "SESSION_COOKIE_SECURE": True, "DEBUG": False, "MAIL_SMTP_HOST": "smtp.example.cn", "MAIL_FROM": "edu@example.cn",
    "WECHAT_MP_APPID": "wx1", "WECHAT_MP_SECRET": "s", "WECHAT_MP_TOKEN": "t", "WECHAT_MP_AES_KEY": "a" * 43,
    "WECHAT_MINI_APPID": "wx2", "WECHAT_MINI_SECRET": "s", "WECHAT_TEMPLATE_IDS": "{}", "WECHAT_SUBSCRIBE_IDS": "{}",
    "WECHAT_API_BASE": "https://api.weixin.qq.com", "WECHAT_OPEN_BASE": "https://open.weixin.qq.com",
    "WECHATPAY_GATEWAY": "https://api.mch.weixin.qq.com", "WECHATPAY_MCHID": "1900000109",
    "WECHATPAY_APIV3_KEY": "k" * 32, "WECHATPAY_PRIVATE_KEY_PATH": "/etc/ce/apiclient_key.pem",
    "WECHATPAY_CERT_SERIAL": "5157F09EFDC096DE15EBE81A47057A72", "WECHATPAY_PUBLIC_KEY_PATH": "/etc/ce/pub_key.pem",
    "WECHATPAY_PUBLIC_KEY_ID": "PUB_KEY_ID_0119",
}


@pytest.fixture
def good_production(tmp_path):
    """A production configuration that passes every check (the signer's files exist)."""
    for name in ("signer.p12", "root.pem"):
        (tmp_path / name).write_bytes(b"-")
    return {**GOOD_PRODUCTION, "CERT_SIGNER_P12_PATH": str(tmp_path / "signer.p12"),
            "CERT_SIGNER_P12_PASSPHRASE": "x", "CERT_TRUST_ROOT_PATH": str(tmp_path / "root.pem")}


def test_a_complete_production_configuration_passes(good_production):
    assert check_production(good_production) == []


@pytest.mark.parametrize("change, reason", [
    ({"FLASK_DEBUG": True}, "FLASK_DEBUG"),
    ({"DEBUG": True}, "FLASK_DEBUG"),
    ({"PUBLIC_BASE_URL": "http://127.0.0.1:5000"}, "PUBLIC_BASE_URL"),
    ({"PUBLIC_BASE_URL": "https://localhost"}, "PUBLIC_BASE_URL"),
    ({"PUBLIC_BASE_URL": "http://edu.example.cn"}, "PUBLIC_BASE_URL"),
    ({"WECHATPAY_MCHID": ""}, "WECHATPAY_MCHID"),
    ({"WECHATPAY_APIV3_KEY": ""}, "WECHATPAY_APIV3_KEY"),
    ({"WECHATPAY_APIV3_KEY": "short"}, "WECHATPAY_APIV3_KEY"),
    ({"CERT_SIGNING_KEY": "s" * 40}, "CERT_SIGNING_KEY must differ"),
    ({"WECHAT_MP_AES_KEY": "a"}, "WECHAT_MP_AES_KEY"),
    ({"SMS_GATEWAY_URL": "http://sms.example.cn/send"}, "https://"),
])
def test_production_refuses_each_unsafe_setting(good_production, change, reason):
    problems = check_production({**good_production, **change})
    assert len(problems) == 1 and reason in problems[0], problems
    with pytest.raises(RuntimeError, match="Refusing to start in production"):
        create_app({"APP_ENV": "production", **good_production, **change})


def test_nul_in_pages_and_queries_is_a_clear_400(client, engine):
    token = client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]
    resp = client.post("/login", data={"username": "a\x00b", "password": "x", "csrf_token": token})
    assert resp.status_code == 400 and "不允许的控制字符" in resp.get_data(as_text=True)
    resp = client.get("/api/v1/districts?q=%00")
    assert resp.status_code == 400 and resp.get_json()["message"] == "提交的内容含有不允许的控制字符"
