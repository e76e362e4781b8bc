"""Content edited by staff: course drafts and covers, chapter videos in storage with their processing
state, announcements, and the indexes the yearly reports read through."""
import datetime

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    class Meta:
        table_name = "account"


class Announcement(Model):
    created_at = DateTimeField(default=_now)
    title = CharField(max_length=60)
    body = TextField()
    level = CharField(max_length=12, default="notice")
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    is_published = BooleanField(default=False)
    created_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="created_by_id")
    updated_at = DateTimeField(default=_now)

    class Meta:
        table_name = "announcement"
        indexes = ((("starts_at", "ends_at"), False),)


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("course", "published_at", DateTimeField(null=True)),
        migrator.add_column("course", "cover_key", CharField(max_length=300, null=True)),
        migrator.add_column("chapter", "video_key", CharField(max_length=300, null=True)),
        migrator.add_column("chapter", "video_state", CharField(max_length=12, default="ready")),
        migrator.add_column("chapter", "video_progress", IntegerField(default=100)),
        migrator.add_column("chapter", "video_note", CharField(max_length=200, default="")),
    )
    # Courses that existed before drafts were learners' courses: they are published.
    db.execute_sql("UPDATE course SET published_at = created_at WHERE published_at IS NULL")
    with db.bind_ctx([Account, Announcement]):
        db.create_tables([Announcement])
    # Reports read one row per enrollment: the hours it earned and when it was completed, kept by the learning
    # code as courses complete (app/learning/flush.py), filled here from the completions so far.
    migrator.migrate(
        migrator.add_column("enrollment", "hours_earned", IntegerField(default=0)),
        migrator.add_column("enrollment", "completed_at", DateTimeField(null=True)),
    )
    db.execute_sql(
        "UPDATE enrollment SET hours_earned = COALESCE((SELECT SUM(cc.credit_hours) FROM course_completion cc"
        " JOIN course c ON c.id = cc.course_id WHERE cc.user_id = enrollment.user_id"
        " AND c.project_id = enrollment.project_id), 0)")
    db.execute_sql(
        "UPDATE enrollment SET completed_at = (SELECT MAX(cc.created_at) FROM course_completion cc"
        " JOIN course c ON c.id = cc.course_id WHERE cc.user_id = enrollment.user_id"
        " AND c.project_id = enrollment.project_id)"
        " WHERE hours_earned >= (SELECT p.credit_hours FROM project p WHERE p.id = enrollment.project_id)"
        " AND (SELECT COUNT(*) FROM course c WHERE c.project_id = enrollment.project_id) > 0"
        " AND (SELECT COUNT(*) FROM course c WHERE c.project_id = enrollment.project_id) <="
        " (SELECT COUNT(*) FROM course_completion cc JOIN course c ON c.id = cc.course_id"
        "  WHERE cc.user_id = enrollment.user_id AND c.project_id = enrollment.project_id)")
    # Reports: a project's enrollments by state; a year's unit members; certificates, payments and refunds by time.
    db.execute_sql("CREATE INDEX IF NOT EXISTS enrollment_report ON enrollment"
                   " (project_id, status, user_id, hours_earned, completed_at)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS unit_member_year_user ON unit_member (year, user_id, unit_id)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS certificate_project_issued ON certificate (project_id, issued_at)")
    db.execute_sql('CREATE INDEX IF NOT EXISTS order_project_paid ON "order" (project_id, paid_at, amount_fen)')
    db.execute_sql("CREATE INDEX IF NOT EXISTS refund_finished ON refund (status, finished_at, order_id, amount_fen)")
