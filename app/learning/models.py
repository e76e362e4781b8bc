"""The catalogue (training projects and their courses) and who owns which plan."""
import peewee

from app.accounts.models import User
from app.db import BaseModel, utcnow


class Project(BaseModel):
    """A yearly training project (学习计划), e.g. "2026年公需科目"."""

    year = peewee.IntegerField(index=True)
    name = peewee.CharField(max_length=60)
    description = peewee.TextField(default="")
    price_fen = peewee.IntegerField()
    credit_hours = peewee.IntegerField(default=30)  # requirement of the plan
    sale_start = peewee.DateTimeField()
    sale_end = peewee.DateTimeField()
    is_published = peewee.BooleanField(default=True)
    # An earlier year's plan that is never sold but granted (补学: an approved back-fill application).
    grant_only = peewee.BooleanField(default=False)

    class Meta:
        table_name = "project"

    def on_sale(self, now=None):
        now = now or utcnow()
        return self.is_published and not self.grant_only and self.sale_start <= now < self.sale_end


class Course(BaseModel):
    project = peewee.ForeignKeyField(Project, backref="courses", on_delete="CASCADE")
    title = peewee.CharField(max_length=80)
    lecturer = peewee.CharField(max_length=40, default="")
    summary = peewee.TextField(default="")
    credit_hours = peewee.IntegerField()
    position = peewee.IntegerField(default=0)
    # None: a draft, invisible to learners until staff publish it (app/content). Made in code: published.
    published_at = peewee.DateTimeField(null=True, default=utcnow)
    cover_key = peewee.CharField(max_length=300, null=True)  # storage key of the cover image

    class Meta:
        table_name = "course"

    @classmethod
    def live(cls):
        """The condition for courses learners see and whose completion counts (published ones)."""
        return cls.published_at.is_null(False)


class Enrollment(BaseModel):
    """A learner owns a plan: bought it, was given a seat by their unit, or was granted it by staff."""

    user = peewee.ForeignKeyField(User, backref="enrollments", on_delete="CASCADE")
    project = peewee.ForeignKeyField(Project, backref="enrollments", on_delete="CASCADE")
    source = peewee.CharField(max_length=16)  # purchase / group / grant / backfill
    order_id = peewee.IntegerField(null=True)
    seat_id = peewee.IntegerField(null=True)
    status = peewee.CharField(max_length=16, default="active", index=True)  # active / revoked
    started_at = peewee.DateTimeField(null=True)  # first learning activity
    certified_at = peewee.DateTimeField(null=True)  # certificate issued
    revoked_at = peewee.DateTimeField(null=True)
    # For the yearly reports (one row per learner and plan): hours of the plan's completed courses, and when
    # every course was complete with the hours reached (kept by app/learning/flush.py).
    hours_earned = peewee.IntegerField(default=0)
    completed_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "enrollment"
        indexes = ((("user", "project"), True),)


class Chapter(BaseModel):
    course = peewee.ForeignKeyField(Course, backref="chapters", on_delete="CASCADE")
    title = peewee.CharField(max_length=80)
    position = peewee.IntegerField(default=0)
    video_url = peewee.CharField(max_length=300, default="")  # a plain link (tests); stored videos use video_key
    duration_seconds = peewee.IntegerField()
    # The video in storage (served through an expiring link, app/content/media.py) and its processing:
    # state uploaded / processing / ready / failed, progress in percent, a note (codec, or what failed).
    video_key = peewee.CharField(max_length=300, null=True)
    video_state = peewee.CharField(max_length=12, default="ready")
    video_progress = peewee.IntegerField(default=100)
    video_note = peewee.CharField(max_length=200, default="")
    # While an upload waits or is processed: its key, when the job last showed life, how often it was queued
    # (app/content/video.py `sweep_stalled` queues it again when a worker died mid-job).
    video_upload_key = peewee.CharField(max_length=300, null=True)
    video_touched_at = peewee.DateTimeField(null=True)
    video_attempts = peewee.IntegerField(default=0)

    class Meta:
        table_name = "chapter"


class Question(BaseModel):
    """Anti-idle question bank (R-11): per course, or per project when course is empty."""

    project = peewee.ForeignKeyField(Project, backref="questions", on_delete="CASCADE")
    course = peewee.ForeignKeyField(Course, null=True, backref="questions", on_delete="CASCADE")
    text = peewee.CharField(max_length=200)
    options = peewee.TextField()  # JSON list of strings
    answer = peewee.IntegerField()  # index into options; never sent to the client

    class Meta:
        table_name = "question"


class ChapterProgress(BaseModel):
    """What the server credited for one learner and chapter: unique watched seconds, as a bitmap."""

    user = peewee.ForeignKeyField(User, backref="chapter_progress", on_delete="CASCADE")
    chapter = peewee.ForeignKeyField(Chapter, backref="progress", on_delete="CASCADE")
    coverage = peewee.BlobField(null=True)  # one bit per second of the chapter
    watched_seconds = peewee.IntegerField(default=0)
    last_position = peewee.IntegerField(default=0)
    completed_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "chapter_progress"
        indexes = ((("user", "chapter"), True),)


class CourseCompletion(BaseModel):
    """A course whose every chapter was watched to the end (R-10): its credit hours count."""

    user = peewee.ForeignKeyField(User, backref="course_completions", on_delete="CASCADE")
    course = peewee.ForeignKeyField(Course, backref="completions", on_delete="CASCADE")
    credit_hours = peewee.IntegerField()

    class Meta:
        table_name = "course_completion"
        indexes = ((("user", "course"), True),)


class LearningEvent(BaseModel):
    """Rejected or clamped heartbeats and prompt outcomes, for staff to spot suspicious accounts.

    A learner's first LEARNING_EVENTS_PER_LEARNER records per LEARNING_EVENTS_WINDOW_SECONDS are kept in
    detail; beyond that they are counted per learner and reason, one row per flush with `count`."""

    user = peewee.ForeignKeyField(User, backref="learning_events", on_delete="CASCADE")
    chapter = peewee.ForeignKeyField(Chapter, null=True, on_delete="SET NULL")
    session_id = peewee.CharField(max_length=40, default="")
    reason = peewee.CharField(max_length=24, index=True)
    detail = peewee.CharField(max_length=200, default="")
    count = peewee.IntegerField(default=1)  # > 1: refusals beyond the learner's detailed records, counted

    class Meta:
        table_name = "learning_event"
