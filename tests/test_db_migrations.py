"""Schema migrations upgrade an existing database without losing rows, on both engines."""
import peewee
from playhouse.migrations import Runner

from app.accounts import service
from app.accounts.models import User
from app.db import MIGRATIONS_DIR, db, migrate, migration_status


def _reset_to_empty(engine):
    for table in reversed(db.get_tables()):
        db.execute_sql(f'DROP TABLE "{table}"' + (" CASCADE" if engine == "postgres" else ""))


def test_upgrade_keeps_existing_rows(app, engine):
    _reset_to_empty(engine)
    assert migrate(target="0001_accounts") == ["0001_accounts"]
    # A row written by the old schema (no session_version column yet).
    columns = {c.name for c in db.get_columns("account")}
    assert "session_version" not in columns
    cols = service._pii_columns("500103199003077657", "13800000001")
    db.execute_sql(
        'INSERT INTO account (created_at, name, gender, id_number_enc, id_number_hash, mobile_enc, mobile_hash, '
        'pii_key_id, password_hash, role, is_active, data_confirmed_at, updated_at) '
        "VALUES ('2025-01-01 00:00:00', '张三', 'M', %s, %s, %s, %s, %s, 'x', 'learner', %s, "
        "'2025-01-01 00:00:00', '2025-01-01 00:00:00')".replace("%s", db.param),
        (cols["id_number_enc"], cols["id_number_hash"], cols["mobile_enc"], cols["mobile_hash"],
         cols["pii_key_id"], True))

    assert migrate()[0] == "0002_sessions_and_auth_events"
    user = User.get()
    assert (user.name, user.session_version) == ("张三", 1)
    assert service.find_by_id_number("500103199003077657").id == user.id
    assert migrate() == []  # idempotent
    assert all(m.applied for m in migration_status())


def test_models_match_the_migrated_schema(app):
    """Every model column exists in the migrated database (catches a forgotten migration)."""
    from app.accounts.models import AuthEvent
    from app.backfill import models as backfill
    from app.bulk.models import BulkRegistration
    from app.consents.models import Consent
    from app.finance import models as finance
    from app.invoices import models as invoices
    from app.learning import models as learning
    from app.pay import models as pay
    from app.units import models as units
    from app.wechat import models as wechat

    for model in (User, AuthEvent, wechat.WechatIdentity, wechat.WechatMessage, wechat.WechatMessageAttempt,
                  wechat.WechatSubscription, learning.Project, learning.Course, learning.Enrollment, pay.Order,
                  pay.OrderSeat, pay.PaymentTransaction, pay.Refund, *units.MODELS, Consent, BulkRegistration,
                  finance.ReconciliationRun, finance.ReconciliationDiff, *backfill.MODELS, invoices.InvoiceTitle,
                  invoices.Invoice, invoices.InvoiceEvent):
        live = {c.name for c in db.get_columns(model._meta.table_name)}
        assert set(model._meta.columns) <= live, model


def test_runner_sees_every_migration_file():
    runner = Runner(peewee.SqliteDatabase(":memory:"), MIGRATIONS_DIR)
    names = [m.name for m in runner.migrations()]
    assert names == sorted(names) and names[0] == "0001_accounts"
