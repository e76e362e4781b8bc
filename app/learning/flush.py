"""Fold heartbeats from Redis into the database in batches, and what completion then means.

Runs every LEARNING_FLUSH_SECONDS (the clock); a lost Redis or web worker costs at most that interval
of watched time. Coverage is merged (bitwise OR) with what the database has, so nothing is ever lost;
progress of a learner who no longer holds the plan is never written (and dropped from Redis).
"""
import datetime
import json
import logging

from flask import current_app

from app.accounts.models import User
from app.db import db, utcnow
from app.learning.keys import DIRTY_KEY, EVENT_COUNTS_KEY, EVENTS_KEY, keys, raw_redis
from app.learning.models import (
    Chapter,
    ChapterProgress,
    Course,
    CourseCompletion,
    Enrollment,
    LearningEvent,
    Project,
)
from app.redis_client import get_redis

log = logging.getLogger(__name__)
BATCH = 500


def merge(a, b):
    """Bitwise OR of two coverage bitmaps (bytes; Redis bit order)."""
    a, b = bytes(a or b""), bytes(b or b"")
    if len(a) < len(b):
        a, b = b, a
    return bytes(x | y for x, y in zip(a, b.ljust(len(a), b"\0"), strict=True))


def popcount(bitmap):
    return sum(bin(byte).count("1") for byte in bytes(bitmap or b""))


def flush_dirty():
    """Job: write every (learner, chapter) touched since the last flush; returns how many."""
    r = get_redis()
    done = 0
    while True:
        members = r.spop(DIRTY_KEY, BATCH)
        if not members:
            break
        finished = []
        pairs = sorted((int(uid), int(chapter_id)) for uid, _, chapter_id in (m.partition(":") for m in members))
        try:
            with db.atomic():
                held = enrolled_pairs(pairs)
                for uid, chapter_id in pairs:  # one lock order for concurrent flushers
                    finished += flush_one(uid, chapter_id, (uid, chapter_id) in held)
        except BaseException:
            r.sadd(DIRTY_KEY, *members)  # rolled back: still to do, by the next run
            raise
        announce(finished)
        done += len(members)
    flush_events()
    return done


def flush_and_announce(uid, chapter_id):
    """Persist one chapter now (its completion must never be lost), then announce finished courses."""
    with db.atomic():
        finished = flush_one(uid, chapter_id)
    announce(finished)


def flush_one(uid, chapter_id, holds_plan=None):
    """Merge Redis coverage into the database row; returns the (uid, course) pairs completed by it.
    `holds_plan`: whether the learner holds the chapter's plan, if the caller knows (else it is read)."""
    k = keys(uid, chapter_id)
    pipe = raw_redis().pipeline()
    pipe.get(k["coverage"])
    pipe.get(k["position"])
    bitmap, position = pipe.execute()
    chapter = Chapter.get_or_none(Chapter.id == chapter_id)
    if chapter is None:
        return []
    if not (holds_plan if holds_plan is not None else enrolled(uid, chapter)):
        # Earned in a session that outlived the plan (refunded, revoked): never recorded, and dropped from
        # Redis so that buying again starts from what the database holds.
        pipe = raw_redis().pipeline()
        pipe.delete(k["coverage"], k["position"], k["done"])
        pipe.execute()
        log.warning("account %s: progress of chapter %s dropped, no valid enrollment", uid, chapter_id)
        return []
    query = ChapterProgress.select().where(ChapterProgress.user == uid, ChapterProgress.chapter == chapter_id)
    if getattr(db.obj, "for_update", False):
        # Concurrent flushers (the clock's job, a completion in a web request) merge one after the other,
        # so neither overwrites the other's merge with an older bitmap. (SQLite has one writer anyway.)
        query = query.for_update()
    progress = query.get_or_none()
    if progress is None:
        progress, _ = ChapterProgress.get_or_create(user=uid, chapter=chapter_id)
    coverage = merge(progress.coverage, bitmap)
    watched = popcount(coverage)
    complete = watched >= chapter.duration_seconds - current_app.config["LEARNING_COMPLETE_TOLERANCE"]
    changes = {"coverage": coverage, "watched_seconds": watched, "updated_at": utcnow()}
    if position is not None:
        changes["last_position"] = min(int(position), chapter.duration_seconds)
    newly_complete = complete and progress.completed_at is None
    if newly_complete:
        changes["completed_at"] = utcnow()
    ChapterProgress.update(**changes).where(ChapterProgress.id == progress.id).execute()
    if newly_complete and course_check(uid, chapter.course_id):
        return [(uid, chapter.course_id)]
    return []


def enrolled(uid, chapter):
    """Does the learner hold the plan of this chapter now?"""
    return (Enrollment.select().join(Course, on=(Course.project == Enrollment.project))
            .where(Course.id == chapter.course_id, Enrollment.user == uid, Enrollment.status == "active").exists())


def enrolled_pairs(pairs):
    """Of these (uid, chapter id) pairs, those whose learner holds the chapter's plan (one query)."""
    if not pairs:
        return set()
    rows = (Chapter.select(Chapter.id, Enrollment.user).join(Course)
            .join(Enrollment, on=(Enrollment.project == Course.project))
            .where(Chapter.id.in_({c for _, c in pairs}), Enrollment.user.in_({u for u, _ in pairs}),
                   Enrollment.status == "active").tuples())
    return set(pairs) & {(uid, chapter_id) for chapter_id, uid in rows}


def course_check(uid, course_id):
    """R-10: a course counts once every chapter is complete. True when this call recorded it."""
    chapters = [c.id for c in Chapter.select(Chapter.id).where(Chapter.course == course_id)]
    finished = (ChapterProgress.select().where(ChapterProgress.user == uid, ChapterProgress.chapter.in_(chapters),
                                               ChapterProgress.completed_at.is_null(False)).count())
    if not chapters or finished < len(chapters):
        return False
    course = Course.get_by_id(course_id)
    _, created = CourseCompletion.get_or_create(user=uid, course=course_id,
                                                defaults={"credit_hours": course.credit_hours})
    if created:  # the reports' per-enrollment summary (hours earned, completion)
        Enrollment.update(hours_earned=Enrollment.hours_earned + course.credit_hours).where(
            Enrollment.user == uid, Enrollment.project == course.project_id).execute()
        if plan_complete(uid, Project.get_by_id(course.project_id)):
            Enrollment.update(completed_at=utcnow()).where(
                Enrollment.user == uid, Enrollment.project == course.project_id,
                Enrollment.completed_at.is_null()).execute()
    return created


def earned_hours(uid, project_id):
    rows = (CourseCompletion.select(CourseCompletion.credit_hours).join(Course)
            .where(CourseCompletion.user == uid, Course.project == project_id))
    return sum(r.credit_hours for r in rows)


def plan_complete(uid, project):
    """Every course complete and the hours reached."""
    courses = Course.select().where(Course.project == project.id, Course.live()).count()
    done = (CourseCompletion.select().join(Course)
            .where(CourseCompletion.user == uid, Course.project == project.id, Course.live()).count())
    return courses > 0 and done >= courses and earned_hours(uid, project.id) >= project.credit_hours


def announce(finished):
    """After the commit: a message per finished course, and one when the plan's hours are reached."""
    for uid, course_id in finished:
        _course_done_messages(uid, Course.get_by_id(course_id))


def _course_done_messages(uid, course):
    from app.wechat import messages

    user = User.get_by_id(uid)
    now = utcnow() + datetime.timedelta(hours=8)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    messages.notify(f"course-completed:{uid}:{course.id}", user, "course_completed",
                    {"course": course.title, "hours": course.credit_hours, "time": now}, url=base + "/learning")
    project = Project.get_by_id(course.project_id)
    if plan_complete(uid, project):
        messages.notify(f"plan-completed:{uid}:{project.id}", user, "plan_completed",
                        {"project": project.name, "hours": earned_hours(uid, project.id), "time": now},
                        url=base + "/certs")


def flush_events(limit=5000, batches=20):
    """Move refused heartbeat records and prompt outcomes from Redis into learning_event; returns how many
    records (a counted row stands for its count). Up to `batches` of `limit` records per run, then the
    counts kept beyond each learner's share of detailed records, as one row per learner and reason."""
    moved = 0
    for _ in range(batches):
        done = _flush_event_batch(limit)
        moved += done
        if done < limit:
            break
    return moved + _flush_event_counts()


def _flush_event_batch(limit):
    """One batch from the head of the list; if the insert fails, the records go back where they were."""
    r = get_redis()
    pipe = r.pipeline()
    pipe.lrange(EVENTS_KEY, 0, limit - 1)
    pipe.ltrim(EVENTS_KEY, limit, -1)
    raw, _ = pipe.execute()
    if not raw:
        return 0
    try:
        _insert_events([json.loads(item) for item in raw])
    except BaseException:
        r.lpush(EVENTS_KEY, *reversed(raw))  # back where they were, in order
        raise
    return len(raw)


def _flush_event_counts():
    r = get_redis()
    pipe = r.pipeline(transaction=True)
    pipe.hgetall(EVENT_COUNTS_KEY)
    pipe.delete(EVENT_COUNTS_KEY)
    counts, _ = pipe.execute()
    if not counts:
        return 0
    now = int(utcnow().replace(tzinfo=datetime.UTC).timestamp() * 1000)
    events = []
    for field, n in counts.items():
        uid, _, reason = field.partition(":")
        events.append({"uid": uid, "chapter": "", "sid": "", "reason": reason, "count": int(n), "at": now,
                       "detail": f"{n} more beyond the learner's detailed records"})
    try:
        _insert_events(events)
    except BaseException:
        back = r.pipeline()
        for field, n in counts.items():
            back.hincrby(EVENT_COUNTS_KEY, field, int(n))
        back.execute()
        raise
    return sum(int(n) for n in counts.values())


def _insert_events(events):
    """The chapter id in a record comes from the client: one that does not exist is stored as empty rather
    than failing the batch. Records of accounts that are gone are dropped."""
    users = {int(e["uid"]) for e in events}
    chapters = {int(e["chapter"]) for e in events if str(e.get("chapter") or "").isdigit()}
    users &= {u.id for u in User.select(User.id).where(User.id.in_(users))}
    chapters &= {c.id for c in Chapter.select(Chapter.id).where(Chapter.id.in_(chapters))} if chapters else set()
    rows = []
    for e in events:
        if int(e["uid"]) not in users:
            continue  # the account is gone
        chapter = int(e["chapter"]) if str(e.get("chapter") or "").isdigit() else None
        rows.append({"user": int(e["uid"]), "chapter": chapter if chapter in chapters else None,
                     "session_id": (e.get("sid") or "")[:40], "reason": e["reason"][:24],
                     "detail": (e.get("detail") or "")[:200], "count": e.get("count", 1),
                     "created_at": datetime.datetime.fromtimestamp(e["at"] / 1000, datetime.UTC)
                     .replace(tzinfo=None)})
    if rows:
        with db.atomic():
            for start in range(0, len(rows), 500):
                LearningEvent.insert_many(rows[start:start + 500]).execute()
