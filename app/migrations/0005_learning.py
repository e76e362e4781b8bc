"""Chapters, the anti-idle question bank, chapter progress, course completions, learning events."""
import datetime

from peewee import BlobField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    class Meta:
        table_name = "account"


class Project(Model):
    class Meta:
        table_name = "project"


class Course(Model):
    class Meta:
        table_name = "course"


class Chapter(Model):
    created_at = DateTimeField(default=_now)
    course = ForeignKeyField(Course, on_delete="CASCADE", column_name="course_id")
    title = CharField(max_length=80)
    position = IntegerField(default=0)
    video_url = CharField(max_length=300)
    duration_seconds = IntegerField()

    class Meta:
        table_name = "chapter"


class Question(Model):
    created_at = DateTimeField(default=_now)
    project = ForeignKeyField(Project, on_delete="CASCADE", column_name="project_id")
    course = ForeignKeyField(Course, null=True, on_delete="CASCADE", column_name="course_id")
    text = CharField(max_length=200)
    options = TextField()
    answer = IntegerField()

    class Meta:
        table_name = "question"


class ChapterProgress(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    chapter = ForeignKeyField(Chapter, on_delete="CASCADE", column_name="chapter_id")
    coverage = BlobField(null=True)
    watched_seconds = IntegerField(default=0)
    last_position = IntegerField(default=0)
    completed_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=_now)

    class Meta:
        table_name = "chapter_progress"
        indexes = ((("user", "chapter"), True),)


class CourseCompletion(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    course = ForeignKeyField(Course, on_delete="CASCADE", column_name="course_id")
    credit_hours = IntegerField()

    class Meta:
        table_name = "course_completion"
        indexes = ((("user", "course"), True),)


class LearningEvent(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    chapter = ForeignKeyField(Chapter, null=True, on_delete="SET NULL", column_name="chapter_id")
    session_id = CharField(max_length=40, default="")
    reason = CharField(max_length=24, index=True)
    detail = CharField(max_length=200, default="")

    class Meta:
        table_name = "learning_event"


MODELS = [Account, Project, Course, Chapter, Question, ChapterProgress, CourseCompletion, LearningEvent]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS[3:])
