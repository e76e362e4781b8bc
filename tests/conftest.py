"""Fixtures: the real app on SQLite and on PostgreSQL, real Redis, jobs drained through Redis."""
import os
import uuid

import psycopg2
import pytest
import redis

from app import create_app
from app.db import db, migrate, open_database
from app.redis_client import EmbeddedRedis, reachable

ENGINES = ["sqlite", "postgres"]
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def redis_url():
    """Real Redis: TEST_REDIS_URL, else localhost (database 15), else an embedded redis-server."""
    configured = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if reachable(configured):
        yield configured
        return
    server = EmbeddedRedis()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database for this run, dropped at the end."""
    try:
        admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required for the test suite ({PG_ADMIN_URL}): {exc}. "
                    "Run scripts/test, which starts it, or set TEST_POSTGRES_URL.")
    admin.autocommit = True
    name = f"ce_test_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    database = open_database(url)
    migrate(database)
    database.close()
    yield url
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _truncate_postgres():
    tables = [t for t in db.get_tables() if t != "schema_migration"]
    if tables:
        db.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture(scope="session")
def wechat_dir(tmp_path_factory):
    """Keys made at run time for this test session: the merchant's and the sandbox platform's."""
    return tmp_path_factory.mktemp("wechat")


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory):
    """The development root CA and certificate signer, made once for this test session."""
    return tmp_path_factory.mktemp("pki")


def wechat_settings(wechat_dir, sandbox_url):
    return {"WECHAT_SANDBOX_URL": sandbox_url, "WECHAT_API_BASE": sandbox_url, "WECHAT_OPEN_BASE": sandbox_url,
            "WECHATPAY_GATEWAY": sandbox_url, "WECHAT_SANDBOX_DIR": str(wechat_dir / "sandbox"),
            "WECHATPAY_PRIVATE_KEY_PATH": str(wechat_dir / "apiclient_key.pem"),
            "WECHATPAY_PUBLIC_KEY_PATH": str(wechat_dir / "sandbox" / "pub_key.pem")}


@pytest.fixture(scope="session")
def sandbox(redis_url, wechat_dir):
    """The WeChat sandbox, served over HTTP from a thread for the whole session (state in Redis)."""
    import threading
    from types import SimpleNamespace

    from werkzeug.serving import make_server

    from app.wechat.sandbox import create_sandbox_app

    server = make_server("127.0.0.1", 0, None, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    config = {**make_test_config("sqlite", wechat_dir, redis_url), **wechat_settings(wechat_dir, url)}
    server.app = create_sandbox_app(config)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=url, app=server.app, config=config)
    server.shutdown()


def make_test_config(engine, tmp_path, redis_url, pg_url=None, **extra):
    config = {
        "APP_ENV": "test",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-for-the-test-suite-only",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}" if engine == "sqlite" else pg_url,
        "REDIS_URL": redis_url,
        # Cheap hashing keeps the suite fast; production parameters are the defaults.
        "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 64, "ARGON2_PARALLELISM": 1,
        "SMS_PROVIDER": "outbox",
        "STORAGE_LOCAL_DIR": str(tmp_path / "storage"),
    }
    config.update(extra)
    return config


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


@pytest.fixture
def app_factory(engine, tmp_path, redis_url, request):
    """Build the real app for this engine; the database starts empty and migrated.

    Later builds in the same test (other settings) share the same database.
    """
    pg = request.getfixturevalue("pg_url") if engine == "postgres" else None
    sandbox = request.getfixturevalue("sandbox")
    wechat_dir = request.getfixturevalue("wechat_dir")
    pki_dir = request.getfixturevalue("pki_dir")
    fresh = [True]
    built = []
    request.addfinalizer(lambda: [_close_pool(a) for a in built])

    def build(**extra):
        settings = {**wechat_settings(wechat_dir, sandbox.url), "CERT_PKI_DIR": str(pki_dir), **extra}
        application = create_app(make_test_config(engine, tmp_path, redis_url, pg, **settings))
        if fresh.pop() if fresh else False:
            with application.app_context():
                db.connect(reuse_if_open=True)
                if engine == "sqlite":
                    migrate()
                else:
                    _truncate_postgres()
                db.close()
        built.append(application)
        return application

    redis.Redis.from_url(redis_url).flushdb()
    return build


def _close_pool(application):
    database = application.extensions["database"]
    if hasattr(database, "close_all"):
        database.close_all()


@pytest.fixture
def app(app_factory):
    application = app_factory()
    with application.app_context():
        yield application
        if not db.is_closed():
            db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def drain_factory():
    """drain_factory(app)() runs the queued jobs of that app now, through real Redis."""
    from app.jobs import drain as run

    return lambda application: (lambda: run(application))


@pytest.fixture
def drain(app, drain_factory):
    """Run the queued background jobs now, through real Redis."""
    return drain_factory(app)


VALID_IDS = ["500103199003077657", "500108198506121223", "650102198811200010",
             "11010519491231002X"]


@pytest.fixture
def learner_data():
    return {"name": "张三", "id_number": "500103199003077657", "mobile": "13800000001", "gender": "M",
            "password": "Secret123", "confirm_true": True}


class Api:
    """A tiny JSON client that returns (status, envelope)."""

    def __init__(self, client):
        self.client = client
        self.headers = {}

    def call(self, method, path, json=None, **kw):
        if method != "GET" and self.client.get_cookie("ce_sid") and "Authorization" not in self.headers:
            # Like the H5 page scripts: cookie sessions send their CSRF token.
            self.headers["X-CSRF-Token"] = self.client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]
        resp = self.client.open("/api/v1" + path, method=method, json=json,
                                headers={**self.headers, **kw.pop("headers", {})}, **kw)
        return resp.status_code, resp.get_json()

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def register(self, data):
        """Register as a person does: ask for the SMS code, read it, send the form with the consents."""
        from app import consents

        status, body = self.post("/auth/register-code", {"mobile": data["mobile"]})
        assert status == 200, body
        code = sms_code_for(self.client.application, data["mobile"], "注册账号")
        return self.post("/auth/register", {**data, "sms_code": code, "consents": consents.current()})

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)


def sms_code_for(app, mobile, purpose_text=""):
    """Deliver the queued SMS now and read the newest code sent to this mobile from the outbox."""
    import re

    from app.accounts.sms import read_outbox
    from app.jobs import drain as run

    run(app)
    with app.app_context():
        for entry in read_outbox(200):
            if entry["mobile"] == mobile and purpose_text in entry["text"]:
                return re.search(r"验证码 (\d{6})", entry["text"]).group(1)
    raise AssertionError(f"no SMS code for {mobile} in the outbox")


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def registered(api, learner_data):
    status, body = api.register(learner_data)
    assert status == 201, body
    api.post("/auth/logout")
    return learner_data


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (Playwright's own browser download is not used)."""
    return {**browser_type_launch_args, "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                     "--disable-component-update", "--disable-sync", "--no-first-run"]}


@pytest.fixture
def live_server(app):
    """The real app served over HTTP from a thread (jobs are drained by the test, in the main thread)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = url
    yield url
    server.shutdown()
    thread.join(5)


@pytest.fixture
def sandbox_api(sandbox):
    """Calls to the sandbox's control endpoints (what a phone or WeChat itself would do)."""
    import requests

    class Control:
        def call(self, method, path, **kw):
            resp = requests.request(method, sandbox.url + "/_sandbox" + path, timeout=10, **kw)
            assert resp.status_code < 500, resp.text
            return resp.json()

        def get(self, path, **kw):
            return self.call("GET", path, **kw)

        def post(self, path, json=None, **kw):
            return self.call("POST", path, json=json or {}, **kw)

    return Control()


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: ARTIFACTS_DIR if set (to look at them), else a temporary folder."""
    from pathlib import Path

    folder = Path(os.environ.get("ARTIFACTS_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def clock(monkeypatch):
    """The server's clock, virtual: it moves only when the test advances it (learning tests)."""
    from tests.learning_fixtures import virtual_clock

    return virtual_clock(monkeypatch)
