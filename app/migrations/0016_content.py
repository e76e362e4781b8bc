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
    # Reports: a year's enrollments by state, completions per course, a year's unit members.
    db.execute_sql("CREATE INDEX IF NOT EXISTS enrollment_project_status ON enrollment (project_id, status, user_id)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS course_completion_course_user ON course_completion (course_id, user_id)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS unit_member_year_user ON unit_member (year, user_id, unit_id)")
