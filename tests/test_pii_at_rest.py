"""ID numbers and mobiles cannot be read in the database or the logs; keys rotate without loss."""
import logging
from pathlib import Path

from app.accounts import service
from app.accounts.models import User
from app.db import db
from app.masking import mask_text
from app.pii import new_key_spec
from tests.conftest import Api

ID_NUMBER, MOBILE = "500103199003077657", "13800000001"


def _raw_database_text(app, engine):
    """Everything the database holds, as an attacker with a copy of it would see it."""
    if engine == "sqlite":
        path = Path(app.config["DATABASE_URL"].split("sqlite:///", 1)[1])
        db.close()
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    rows = []
    for table in db.get_tables():
        cur = db.execute_sql(f'SELECT row_to_json(t)::text FROM "{table}" t')
        rows.extend(r[0] for r in cur.fetchall())
    return "\n".join(rows).encode()


def test_personal_data_not_readable_in_database_or_logs(app, api, learner_data, drain, engine, caplog):
    caplog.set_level(logging.DEBUG)  # includes peewee's SQL log with its parameters
    assert api.register(learner_data)[0] == 201
    api.post("/auth/logout")
    assert api.post("/auth/login", {"username": ID_NUMBER, "password": "wrong-pass1"})[0] == 401
    assert api.post("/auth/login", {"username": ID_NUMBER, "password": "Secret123"})[0] == 200
    api.post("/auth/reset-code", {"mobile": MOBILE})
    drain()
    logging.getLogger("app.test").warning("a careless line: id %s mobile %s", ID_NUMBER, MOBILE)

    raw = _raw_database_text(app, engine)
    assert "张三".encode() in raw  # the name is stored in clear: we did read the data
    assert ID_NUMBER.encode() not in raw and MOBILE.encode() not in raw
    logs = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert ID_NUMBER not in logs and MOBILE not in logs
    assert "5001**********7657" in logs and "138****0001" in logs


def test_mask_text():
    assert mask_text(f"id={ID_NUMBER}, tel {MOBILE}.") == "id=5001**********7657, tel 138****0001."
    assert mask_text("order 20261126000012345678") == "order 20261126000012345678"  # longer digit runs stay


def test_key_rotation_keeps_everyone(app_factory, learner_data, engine):
    old_key = app_factory().config["PII_KEYS"]
    app = app_factory()
    with app.app_context():
        assert Api(app.test_client()).register(learner_data)[0] == 201
        old_id = User.get().pii_key_id

    new_key = new_key_spec("k2")
    rotating = app_factory(PII_KEYS=f"{new_key},{old_key}")
    with rotating.app_context():
        # Before the rotation, the person is still found by ID number and mobile.
        assert service.find_by_id_number(ID_NUMBER) and service.find_by_mobile(MOBILE)
        assert service.rotate_pii_keys() == 1
        assert service.rotate_pii_keys() == 0
        assert User.get().pii_key_id == "k2" != old_id

    rotated = app_factory(PII_KEYS=new_key)
    with rotated.app_context():
        client = rotated.test_client()
        resp = client.post("/api/v1/auth/login", json={"username": ID_NUMBER, "password": "Secret123"})
        assert resp.status_code == 200
        assert client.get("/api/v1/me").get_json()["data"]["id_number"] == "5001**********7657"
        assert service.id_number_of(User.get()) == ID_NUMBER
