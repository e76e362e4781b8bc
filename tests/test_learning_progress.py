"""What an honest learner earns: chapters, courses, the plan, and the messages when they complete.

Driven through the API on a virtual server clock (tests/learning_fixtures.py).
"""
import json

import pytest

from app.learning import playback
from app.learning.flush import flush_dirty
from app.learning.models import ChapterProgress, CourseCompletion, Enrollment, Question
from app.redis_client import get_redis
from app.wechat.models import WechatMessage
from tests.learning_fixtures import (
    Player,
    covered,
    make_learner,
    make_plan,
)


@pytest.fixture
def plan(app):
    """Two courses (6 credit hours each, the plan needs 12): chapters of 60 + 30 s, and 40 s."""
    return make_plan(courses=((60, 30), (40,)), course_hours=6)


@pytest.fixture
def learner(app, plan):
    return make_learner(app, plan)


def coverage_bits(learner, chapter, start, end):
    key = f"learn:cov:{learner.user.id}:{chapter.id}"
    return [s for s in range(start, end) if get_redis().getbit(key, s)]


def messages(kind):
    return {m.event_key: m.status for m in WechatMessage.select() if m.event_key.startswith(kind)}


def test_honest_learner_completes_chapters_courses_and_the_plan(app, clock, plan, learner):
    (first, second), (third,) = plan.chapters
    uid, (course1, course2) = learner.user.id, plan.courses

    status, body = learner.get("/me/plans")
    assert status == 200 and body["data"][0]["progress"]["earned_hours"] == 0

    player = Player(learner, clock, first)
    start = player.start()
    assert (start["duration"], start["resume_position"], start["watched_seconds"]) == (60, 0, 0)
    assert start["complete"] is False
    answers = player.play(60)
    assert answers[-1]["complete"] and sum(a["complete"] for a in answers) == 1  # announced once
    assert covered(learner, first) == 60
    progress = ChapterProgress.get(ChapterProgress.user == uid, ChapterProgress.chapter == first.id)
    assert progress.completed_at is not None and progress.watched_seconds == 60  # written at once, no flush
    assert Enrollment.get(Enrollment.user == uid).started_at is not None
    assert not CourseCompletion.select().exists()

    status, body = learner.get(f"/courses/{course1.id}")
    assert [c["state"] for c in body["data"]["chapters"]] == ["complete", "new"] and not body["data"]["complete"]

    player = Player(learner, clock, second)
    player.start()
    player.play(30)
    completion = CourseCompletion.get(CourseCompletion.user == uid, CourseCompletion.course == course1.id)
    assert completion.credit_hours == 6
    assert messages("course-completed") == {f"course-completed:{uid}:{course1.id}": "skipped"}  # no WeChat
    assert messages("plan-completed") == {}

    status, body = learner.get(f"/me/plans/{plan.project.id}/courses")
    assert [(c["chapters_done"], c["chapters_total"], c["complete"]) for c in body["data"]["items"]] == \
        [(2, 2, True), (0, 1, False)]
    assert body["data"]["progress"]["earned_hours"] == 6 and not body["data"]["progress"]["complete"]

    player = Player(learner, clock, third)
    player.start()
    player.play(40)
    assert messages("course-completed") == {f"course-completed:{uid}:{course1.id}": "skipped",
                                            f"course-completed:{uid}:{course2.id}": "skipped"}
    assert messages("plan-completed") == {f"plan-completed:{uid}:{plan.project.id}": "skipped"}
    payload = json.loads(WechatMessage.get(WechatMessage.event_key.startswith("plan-completed")).payload)
    assert payload["data"]["number2"]["value"] == "12"

    status, body = learner.get("/me/plans")
    assert body["data"][0]["progress"] == {"earned_hours": 12, "credit_hours": 12, "courses_done": 2,
                                           "courses_total": 2, "completion": 100, "complete": True}
    status, body = learner.get(f"/courses/{course2.id}")
    assert body["data"]["complete"] and body["data"]["chapters"][0]["state"] == "complete"

    flush_dirty()  # folding again changes nothing and sends nothing more
    assert CourseCompletion.select().count() == 2 and WechatMessage.select().count() == 3


@pytest.mark.parametrize("watched,complete", [(57, False), (58, True), (60, True)])
def test_a_chapter_completes_when_coverage_reaches_the_end(app, clock, plan, learner, watched, complete):
    chapter = plan.chapters[0][0]  # 60 s; LEARNING_COMPLETE_TOLERANCE is 2 s
    player = Player(learner, clock, chapter)
    player.start()
    answers = player.play(watched)
    assert covered(learner, chapter) == watched
    assert any(a["complete"] for a in answers) is complete
    flush_dirty()
    progress = ChapterProgress.get(ChapterProgress.chapter == chapter.id)
    assert progress.watched_seconds == watched and (progress.completed_at is not None) is complete


def test_the_last_seconds_before_pause_and_end_count(app, clock, plan, learner):
    """The player reports playing=false on pause and at the end; the stretch before still counts."""
    chapter = plan.chapters[0][1]  # 30 s
    player = Player(learner, clock, chapter, step=7)
    player.start()
    player.play(12)  # heartbeats at 7 s, then a pause at 12 s
    assert covered(learner, chapter) == 12
    clock.advance(120)  # paused for two minutes: nothing more
    player.beat(playing=False, event="hide")
    assert covered(learner, chapter) == 12
    answers = player.play(18)  # 19, 26, then the end at 30 s (ended, playing=false)
    assert covered(learner, chapter) == 30 and answers[-1]["complete"]


def test_seeking_back_is_free_and_seeking_forward_earns_nothing_for_the_skipped_part(app, clock):
    plan = make_plan(courses=((120,),))
    learner, chapter = make_learner(app, plan, i=5), plan.chapter
    player = Player(learner, clock, chapter)
    player.start()
    player.play(20)
    assert covered(learner, chapter) == 20
    player.pos = 5  # paused, seek back, watch again: nothing lost, nothing counted twice, nothing flagged
    player.play(25)
    assert player.pos == 30 and covered(learner, chapter) == 30
    assert not [e for e in get_redis().lrange("learn:events", 0, -1) if "too_fast" in e]

    player.pos = 80  # paused, seek 50 s forward, play 20 s
    player.play(20)
    assert coverage_bits(learner, chapter, 30, 80) == [] and covered(learner, chapter) == 50

    player.beat(event="play")  # at 100 s; 2 s later, while playing, a seek to 110 s; 3 s later a heartbeat
    clock.advance(5)
    data = player.beat(position=113)
    assert (data["credited_seconds"], data["reason"]) == (0, "too_fast")  # that heartbeat carried the jump
    player.pos = 113
    player.play(7)
    assert coverage_bits(learner, chapter, 100, 113) == [] and covered(learner, chapter) == 57

    player.pos = 30  # go back and watch the skipped part: now it counts
    player.play(50)
    assert covered(learner, chapter) == 107 and coverage_bits(learner, chapter, 30, 80) == list(range(30, 80))


def test_pausing_and_resuming_lose_nothing(app, clock, plan, learner):
    chapter = plan.chapters[0][0]
    player = Player(learner, clock, chapter)
    player.start()
    for _ in range(5):
        player.play(12)
        clock.advance(17)  # paused
    assert covered(learner, chapter) == 60


def test_a_question_pauses_crediting_until_answered(app, clock):
    app.config.update(LEARNING_PROMPT_MIN_SECONDS=25, LEARNING_PROMPT_MAX_SECONDS=25)
    plan = make_plan(courses=((120,),))
    learner, chapter = make_learner(app, plan, i=6), plan.chapter
    player = Player(learner, clock, chapter, think=30)
    player.start()
    player.play(120)
    assert player.prompts == 4  # at 25, 50, 75 and 100 s of credited time
    assert covered(learner, chapter) == 120  # the time spent reading questions earned nothing, cost nothing


def test_heartbeats_around_a_quick_answer_lose_nothing_and_buy_nothing(app, clock, plan, learner):
    """Two races of a real player around a question; neither may cost a second nor earn one:

    * player.js, when a question arrives some tens of ms after the heartbeat that opened it, goes back to
      `resume_position` (a second before where the question opened) and pauses; its pause heartbeat may
      reach the server after a quick answer;
    * Chromium reports, on resuming, a position some tens of ms past the one it reported on pause.
    """
    app.config.update(LEARNING_PROMPT_MIN_SECONDS=5, LEARNING_PROMPT_MAX_SECONDS=5, LEARNING_HEARTBEAT_SECONDS=1)
    chapter = plan.chapters[0][1]  # 30 s
    player = Player(learner, clock, chapter, step=1)
    player.start()
    for cycle in range(4):
        player.beat(event="play")
        for _ in range(5):
            clock.advance(1)
            player.pos += 1
            asked = player.beat()
            if asked["status"] == "ask":
                break
        assert asked["status"] == "ask" and asked["resume_position"] == max(0, int(player.pos) - 1)
        question = Question.get_by_id(asked["question"]["id"])
        clock.advance(0.06)  # the video plays on for 60 ms with the question open, then goes back and pauses
        player.pos = asked["resume_position"]
        if cycle % 2 == 0:  # the pause heartbeat is still on the way when the answer arrives
            pause = {"position": player.pos, "playing": False, "event": "pause"}
            clock.advance(0.9)
            assert player.answer(question.id, question.answer)[1]["data"]["correct"]
            clock.advance(0.04)
            assert player.beat(**pause)["credited_seconds"] == 0
        else:  # the pause heartbeat arrives first; on resume the position is 70 ms further on
            assert player.beat(playing=False, event="pause")["status"] == "ask"
            clock.advance(0.9)
            assert player.answer(question.id, question.answer)[1]["data"]["correct"]
            clock.advance(0.04)
            player.pos += 0.07
            assert player.beat(event="play")["credited_seconds"] == 0  # behind where crediting stopped
    player.play(30)
    assert covered(learner, chapter) == 30
    assert not [e for e in get_redis().lrange("learn:events", 0, -1) if "too_fast" in e]


def test_honest_watching_with_questions_every_6_to_10_s_is_credited_its_real_time(app, clock):
    """Two minutes of watching at 1x, every question answered right after 4 s of reading, as player.js
    does it: the video plays on for 60 ms after a question arrives, goes back to `resume_position`,
    pauses, and plays again after the answer. Real watching time: playing with no question open."""
    app.config.update(LEARNING_PROMPT_MIN_SECONDS=6, LEARNING_PROMPT_MAX_SECONDS=10)
    plan = make_plan(courses=((600,),))
    learner, chapter = make_learner(app, plan, i=8), plan.chapter
    player = Player(learner, clock, chapter)
    player.start()
    credited, watching, questions = player.beat(event="play")["credited_seconds"], 0.0, 0
    while watching < 120 - 1e-9:
        step = min(5.0, 120 - watching)
        clock.advance(step)
        player.pos += step
        watching += step
        data = player.beat(playing=watching < 120 - 1e-9, event="timer" if watching < 120 - 1e-9 else "pause")
        credited += data["credited_seconds"]
        if data["status"] != "ask":
            continue
        questions += 1
        clock.advance(0.06)  # playing with the question open: not watching time
        player.pos = data["resume_position"]
        credited += player.beat(playing=False, event="pause")["credited_seconds"]
        clock.advance(4)
        question = Question.get_by_id(data["question"]["id"])
        assert player.answer(question.id, question.answer)[1]["data"]["correct"]
        credited += player.beat(event="play")["credited_seconds"]
    print(f"\nHONEST {questions} questions: credited {credited:.3f} s for {watching:.3f} s of watching")
    assert questions >= 10
    assert watching - 1 <= credited <= watching
    assert int(get_redis().hget(f"learn:s:{player.session_id}", "credited")) == round(credited * 1000)
    assert covered(learner, chapter) <= watching


def test_the_answer_is_never_sent_to_the_learner(app, clock, learner, plan):
    """Every body of session start, heartbeat and answer is checked by the Learner helper; here all kinds."""
    app.config.update(LEARNING_PROMPT_MIN_SECONDS=5, LEARNING_PROMPT_MAX_SECONDS=5)
    player = Player(learner, clock, plan.chapters[0][0])
    player.start()
    asked = player.play(5, answer=False)[-1]
    assert asked["status"] == "ask" and set(asked["question"]) == {"id", "text", "options"}
    question = Question.get_by_id(asked["question"]["id"])
    status, wrong = player.answer(question.id, (question.answer + 1) % 4)
    assert status == 200 and set(wrong["data"]) == {"correct", "ended", "attempts_left", "question"}
    follow_up = Question.get_by_id(wrong["data"]["question"]["id"])
    status, right = player.answer(follow_up.id, follow_up.answer)
    assert right["data"] == {"correct": True}
    for body in learner.bodies:
        text = json.dumps(body, ensure_ascii=False)
        assert '"answer"' not in text
    assert len(learner.bodies) >= 5  # start, play, pause (asked), wrong answer, right answer


def test_resume_where_the_learner_left_off(app, clock, plan, learner):
    chapter = plan.chapters[0][0]
    player = Player(learner, clock, chapter)
    player.start()
    player.play(25)
    flush_dirty()
    again = Player(learner, clock, chapter)
    start = again.start()
    assert (start["resume_position"], start["watched_seconds"], start["complete"]) == (25, 25, False)
    again.play(35)
    assert covered(learner, chapter) == 60
    flush_dirty()
    assert Player(learner, clock, chapter).start()["resume_position"] == 0  # complete: start over if watched again


def test_a_learner_without_the_plan_cannot_learn(app, clock, plan):
    stranger = make_learner(app, plan, i=7, enroll=False)
    status, body = stranger.post(f"/learning/chapters/{plan.chapter.id}/sessions", {})
    assert status == 403 and body["code"] == "not_enrolled"
    status, _ = stranger.get(f"/courses/{plan.courses[0].id}")
    assert status == 404
    status, _ = stranger.get(f"/me/plans/{plan.project.id}/courses")
    assert status == 404
    assert playback.covered_seconds(stranger.user.id, plan.chapter.id) == 0


def test_the_course_pages_are_bounded(app, plan, learner):
    """page=2^63 reached the database as an OFFSET and answered 500; now the API names the parameter."""
    path = f"/me/plans/{plan.project.id}/courses"
    status, body = learner.get(f"{path}?page={2**63}")
    assert (status, body["data"]["fields"]) == (422, {"page": "超出允许范围"})
    assert learner.get(f"{path}?per_page=51")[1]["data"]["fields"] == {"per_page": "超出允许范围"}
    assert learner.get(f"{path}?page=x")[1]["data"]["fields"] == {"page": "应为整数"}
    status, body = learner.get(f"{path}?page=2&per_page=1")
    assert (status, [c["id"] for c in body["data"]["items"]], body["data"]["pages"]) == (200, [plan.courses[1].id], 2)
