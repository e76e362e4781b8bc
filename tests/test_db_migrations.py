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
    from app.content.announcements import Announcement
    from app.finance import models as finance
    from app.invoices import models as invoices
    from app.jobs.durable import DurableJob
    from app.learning import models as learning
    from app.pay import models as pay
    from app.units import models as units
    from app.wechat import models as wechat

    for model in (User, AuthEvent, wechat.WechatIdentity, wechat.WechatMessage, wechat.WechatMessageAttempt,
                  wechat.WechatSubscription, learning.Project, learning.Course, learning.Enrollment, pay.Order,
                  pay.OrderSeat, pay.PaymentTransaction, pay.Refund, *units.MODELS, Consent, BulkRegistration,
                  finance.ReconciliationRun, finance.ReconciliationDiff, *backfill.MODELS, DurableJob,
                  learning.Chapter, Announcement, invoices.InvoiceTitle, invoices.Invoice, invoices.InvoiceEvent):
        live = {c.name for c in db.get_columns(model._meta.table_name)}
        assert set(model._meta.columns) <= live, model


def test_runner_sees_every_migration_file():
    runner = Runner(peewee.SqliteDatabase(":memory:"), MIGRATIONS_DIR)
    names = [m.name for m in runner.migrations()]
    assert names == sorted(names) and names[0] == "0001_accounts"


def test_content_migration_fills_the_report_summary_and_publishes_existing_courses(app, engine):
    """0016: courses made before drafts stay visible; each enrollment's hours and completion come from its
    course completions."""
    _reset_to_empty(engine)
    names = [m.name for m in Runner(db.obj, MIGRATIONS_DIR).migrations()]
    migrate(target=names[names.index("0016_content") - 1])
    now = "'2026-03-01 00:00:00'"
    db.execute_sql("INSERT INTO account (created_at, name, gender, id_number_enc, id_number_hash, mobile_enc,"
                   " mobile_hash,"
                   " pii_key_id, password_hash, role, is_active, session_version, data_confirmed_at, updated_at) VALUES"
                   f" ({now}, 'a', 'M', 'x', 'h1', 'x', 'm1', 'k', 'x', 'learner', {db.param}, 1, {now}, {now}),"
                   f" ({now}, 'b', 'F', 'x', 'h2', 'x', 'm2', 'k', 'x', 'learner', {db.param}, 1, {now}, {now})",
                   (True, True))
    db.execute_sql("INSERT INTO project (created_at, year, name, description, price_fen, credit_hours, sale_start,"
                   f" sale_end, is_published, grant_only) VALUES ({now}, 2026, 'p', '', 100, 10, {now}, {now},"
                   f" {db.param}, {db.param})", (True, False))
    for position in (1, 2):
        db.execute_sql("INSERT INTO course (created_at, project_id, title, lecturer, summary, credit_hours, position)"
                       f" VALUES ({now}, 1, 'c{position}', '', '', 5, {position})")
    for user in (1, 2):
        db.execute_sql(f"INSERT INTO enrollment (created_at, user_id, project_id, source, status) VALUES ({now},"
                       f" {user}, 1, 'grant', 'active')")
    for user, course in ((1, 1), (1, 2), (2, 1)):
        db.execute_sql("INSERT INTO course_completion (created_at, user_id, course_id, credit_hours) VALUES"
                       f" ({now}, {user}, {course}, 5)")
    assert migrate()[0] == "0016_content"
    from app.learning.models import Course, Enrollment

    assert all(c.published_at is not None for c in Course.select())
    rows = {e.user_id: (e.hours_earned, e.completed_at is not None) for e in Enrollment.select()}
    assert rows == {1: (10, True), 2: (5, False)}
