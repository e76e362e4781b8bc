"""Durability: a killed web worker, a flushed or rolled-back Redis, a failed flush lose at most one flush
interval of watching; a completed chapter stays completed; event records survive bad input.
"""
import pytest
import redis

from app.db import db
from app.jobs.clock import tick
from app.learning import flush as flush_module
from app.learning.flush import flush_dirty
from app.learning.keys import DIRTY_KEY, EVENTS_KEY
from app.learning.models import ChapterProgress, CourseCompletion, LearningEvent
from app.redis_client import get_redis
from app.wechat.models import WechatMessage
from tests.learning_fixtures import (
    Learner,
    Player,
    covered,
    login_token,
    make_learner,
    make_plan,
)


@pytest.fixture
def plan(app):
    """A 120-second chapter and a 30-second chapter, in one course."""
    return make_plan(courses=((120, 30),))


@pytest.fixture
def learner(app, plan):
    return make_learner(app, plan)


def crash(app_factory, learner):
    """Redis loses everything (FLUSHDB) and a new web worker (a new app object) takes over.

    Returns the new app and the learner logged in again (bearer tokens lived in the lost Redis).
    """
    get_redis().flushdb()
    new_app = app_factory()
    with new_app.app_context():
        token = login_token(new_app, learner.username)
    return new_app, Learner(new_app, learner.user, token, learner.username)


def progress_row(learner, chapter):
    return ChapterProgress.get(ChapterProgress.user == learner.user.id, ChapterProgress.chapter == chapter.id)


@pytest.mark.parametrize("unflushed", [1, 5, 9.5])
def test_redis_flushed_and_worker_killed_lose_at_most_one_flush_interval(app, app_factory, clock, plan, learner,
                                                                           unflushed):
    chapter = plan.chapter
    player = Player(learner, clock, chapter, step=1)
    player.start()
    player.play(40)
    flush_dirty()  # the periodic job (every LEARNING_FLUSH_SECONDS)
    player.play(unflushed)  # watched, credited in Redis, not yet flushed
    assert covered(learner, chapter) == int(40 + unflushed)
    old_session = player.session_id

    new_app, again = crash(app_factory, learner)
    with new_app.app_context():
        stale = Player(again, clock, chapter)
        stale.session_id = old_session
        data = stale.beat(position=player.pos + 5, seq=10_000)
        assert (data["status"], data["credited_seconds"]) == ("ended", 0)  # the player is told to start again
        fresh = Player(again, clock, chapter)
        start = fresh.start()
        lost = 40 + unflushed - start["watched_seconds"]
        print(f"\nDURABILITY Redis flushed {unflushed} s after a flush: lost {lost} s")
        assert start["watched_seconds"] == 40 and start["resume_position"] == 40
        assert lost <= new_app.config["LEARNING_FLUSH_SECONDS"]
        fresh.play(80)
        assert start["watched_seconds"] + 80 == covered(again, chapter) == 120
        assert progress_row(again, chapter).completed_at is not None


def test_a_completed_chapter_stays_completed(app, app_factory, clock, plan, learner):
    short = plan.chapters[0][1]
    player = Player(learner, clock, short)
    player.start()
    assert player.play(30)[-1]["complete"]  # persisted at once, without waiting for the flush
    assert progress_row(learner, short).completed_at is not None
    messages_before = WechatMessage.select().count()

    new_app, again = crash(app_factory, learner)
    with new_app.app_context():
        status, body = again.get(f"/courses/{plan.courses[0].id}")
        assert [(c["state"], c["watched_seconds"]) for c in body["data"]["chapters"]] == [("new", 0), ("complete", 30)]
        player = Player(again, clock, short)
        start = player.start()
        assert (start["complete"], start["watched_seconds"], start["resume_position"]) == (True, 30, 0)
        player.play(10)  # watching it again changes nothing
        flush_dirty()
        row = progress_row(again, short)
        assert row.completed_at is not None and row.watched_seconds == 30
        assert WechatMessage.select().count() == messages_before and CourseCompletion.select().count() == 0


def test_a_killed_web_worker_loses_nothing_while_redis_lives(app, app_factory, clock, plan, learner):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.play(20)  # nothing flushed yet
    new_app = app_factory()
    with new_app.app_context():
        again = Learner(new_app, learner.user, learner.token)
        player = Player(again, clock, plan.chapter)
        assert player.start()["watched_seconds"] == 20
        player.play(10)
        flush_dirty()
        assert progress_row(again, plan.chapter).watched_seconds == 30


def test_the_periodic_job_folds_redis_into_the_database(app, clock, plan, learner, drain):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.play(25)
    assert not ChapterProgress.select().exists()
    assert "learning-flush" in tick()
    drain()
    row = progress_row(learner, plan.chapter)
    assert (row.watched_seconds, row.last_position, row.completed_at) == (25, 25, None)
    assert get_redis().scard(DIRTY_KEY) == 0


def test_a_failed_flush_puts_its_work_back(app, clock, plan, learner, monkeypatch):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.play(15)
    real_flush_one = flush_module.flush_one

    def broken(uid, chapter_id, holds_plan=None):
        raise redis.ConnectionError("database went away")  # any failure in the middle of the batch

    monkeypatch.setattr(flush_module, "flush_one", broken)
    with pytest.raises(redis.ConnectionError):
        flush_dirty()
    assert get_redis().scard(DIRTY_KEY) == 1  # still to do
    monkeypatch.setattr(flush_module, "flush_one", real_flush_one)
    flush_dirty()
    assert progress_row(learner, plan.chapter).watched_seconds == 15


def test_redis_rolled_back_to_an_older_snapshot_keeps_what_the_database_has(app, clock, plan, learner):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.play(30)
    flush_dirty()
    key = f"learn:cov:{learner.user.id}:{plan.chapter.id}"
    get_redis().delete(key)
    for second in range(10):  # the snapshot knew only the first 10 seconds
        get_redis().setbit(key, second, 1)
    again = Player(learner, clock, plan.chapter)
    assert again.start()["watched_seconds"] == 30
    again.play(5)
    flush_dirty()
    assert progress_row(learner, plan.chapter).watched_seconds == 35


def test_a_forged_chapter_id_costs_no_event_records(app, clock, plan, learner):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.play(10)
    player.beat(seq=1)  # out of order: a genuine record
    player.beat(chapter_id=999_999, seq=50)  # a chapter that does not exist
    assert get_redis().llen(EVENTS_KEY) == 2
    flush_dirty()
    events = {e.reason: e.chapter_id for e in LearningEvent.select()}
    assert events == {"out_of_order": plan.chapter.id, "stale_session": None}
    assert get_redis().llen(EVENTS_KEY) == 0


def test_event_records_wait_in_redis_while_the_database_is_down(app, clock, plan, learner, monkeypatch):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.play(5)
    player.beat(seq=1)
    assert get_redis().llen(EVENTS_KEY) == 1

    def refuse(*args, **kwargs):
        raise RuntimeError("database down")

    with monkeypatch.context() as patch:
        patch.setattr(flush_module.LearningEvent, "insert_many", refuse)
        with pytest.raises(RuntimeError):
            flush_module.flush_events()
    assert get_redis().llen(EVENTS_KEY) == 1
    assert flush_module.flush_events() == 1 and LearningEvent.select().count() == 1
    assert not db.in_transaction()
