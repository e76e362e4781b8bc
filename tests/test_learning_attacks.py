"""Cheating attacks on crediting, driven through the API the way public cheat scripts drive it.

16x playback, jumps to the end, bursts of fake heartbeats, replayed and out-of-order sequence numbers,
parallel sessions, heartbeats while a question is open, brute-forced answers: each earns no more than
real elapsed time at 1x, most earn nothing. An honest learner who loses the network for a minute loses
at most that minute. Every rejected or clamped heartbeat is recorded with a reason for staff.

The server's clock is virtual (tests/learning_fixtures.py), so every figure here is deterministic.
Run with -s to see what each attack earned against real time.
"""
import threading

import pytest
import requests

from app.learning import playback
from app.learning.flush import flush_dirty, flush_events
from app.learning.keys import script as learning_script
from app.learning.models import ChapterProgress, LearningEvent, Question
from app.learning.schemas import HeartbeatIn
from app.redis_client import get_redis
from tests.learning_fixtures import (  # noqa: F401  (fixtures: plan, learner, prompts_every_10s)
    Player,
    attack_learner_fixture,
    attack_plan_fixture,
    bits,
    covered,
    make_learner,
    make_staff,
    prompts_every_10s_fixture,
    report,
    session_state,
)
from tests.refund_helpers import buy, manual_refunds_fixture, refund  # noqa: F401  (fixture)


@pytest.mark.parametrize("rate,step", [(16, 5), (16, 1), (4, 5), (2, 5), (2, 1), (1.5, 5), (1.25, 5), (1.25, 1)])
def test_fast_playback_earns_no_more_than_real_time(app, clock, plan, learner, rate, step):
    player = Player(learner, clock, plan.chapter)
    player.start()
    started = clock.ms
    player.beat(event="play")
    for _ in range(int(120 / step)):  # two minutes of real time
        clock.advance(step)
        player.pos += rate * step
        data = player.beat()
        assert data["status"] == "ok"
    real = (clock.ms - started) / 1000
    earned = covered(learner, plan.chapter)
    report(f"{rate}x playback, heartbeat every {step}s", earned, real)
    assert earned <= real
    if (rate - 1) * step > 2:  # each heartbeat ran ahead of time by more than twice the tolerance
        assert earned == 0
    assert int(session_state(player.session_id)["credited"]) <= real * 1000


def test_jump_to_the_end_earns_nothing(app, clock, plan, learner):
    chapter = plan.chapters[0][1]  # 60 s
    player = Player(learner, clock, chapter)
    player.start()
    started = clock.ms
    player.play(10)
    assert covered(learner, chapter) == 10
    clock.advance(2)
    data = player.beat(position=60, event="seeked")
    assert (data["credited_seconds"], data["reason"]) == (0, "too_fast")
    clock.advance(2)
    data = player.beat(position=5000, event="timer")  # beyond the end of the chapter
    assert (data["credited_seconds"], data["reason"]) == (0, "beyond_duration")
    clock.advance(1)
    data = player.beat(position=60, playing=False, event="ended")
    assert data["credited_seconds"] == 0 and not data["complete"]
    real = (clock.ms - started) / 1000
    report("jump to the end after 10 s", covered(learner, chapter) - 10, real - 10)
    assert covered(learner, chapter) == 10 and bits(learner, chapter, 10, 60) == []
    flush_dirty()
    status, body = learner.get(f"/courses/{plan.courses[0].id}")
    assert [c["state"] for c in body["data"]["chapters"]] == ["new", "started"]


def test_burst_of_fake_heartbeats_right_after_start_earns_nothing(app, clock, plan, learner):
    player = Player(learner, clock, plan.chapter)
    player.start()
    started = clock.ms
    for _ in range(200):  # 200 heartbeats in 2 s, each claiming 5 s of video
        clock.advance(0.01)
        player.pos += 5
        assert player.beat()["credited_seconds"] <= 0.01 + 1e-9
    report("burst of 200 heartbeats x 5 s in 2 s", covered(learner, plan.chapter), (clock.ms - started) / 1000)
    assert covered(learner, plan.chapter) == 0


def test_burst_after_idling_earns_no_more_than_the_burst_lasted(app, clock, plan, learner):
    """Leave a session open for 10 minutes, then claim 5 minutes of video in 3 seconds."""
    player = Player(learner, clock, plan.chapter)
    player.start()
    clock.advance(600)
    burst_start = clock.ms
    for _ in range(300):
        clock.advance(0.01)
        player.pos += 1
        player.beat()
    burst = (clock.ms - burst_start) / 1000
    earned = covered(learner, plan.chapter)
    report("10 min idle, then 300 heartbeats x 1 s in 3 s", earned, burst)
    # The one heartbeat interval a silence may still carry (5 s), the jitter tolerance, and the burst.
    assert earned <= burst + 5 + 1 + 1
    assert earned < 0.05 * 300


def test_burst_straddling_second_boundaries_earns_nothing(app, clock, plan, learner):
    """Pause just before a second ends, play just past it: two heartbeats, a few ms, for every second."""
    player = Player(learner, clock, plan.chapter)
    player.start()
    started = clock.ms
    for second in range(1, 301):
        clock.advance(0.01)
        player.beat(position=second - 0.002, playing=False, event="pause")
        clock.advance(0.01)
        player.beat(position=second + 0.002, playing=True, event="play")
    real = (clock.ms - started) / 1000
    earned = covered(learner, plan.chapter)
    report("300 pause/play pairs straddling second boundaries", earned, real)
    assert earned <= real


def test_replayed_and_out_of_order_heartbeats_earn_nothing(app, clock, plan, learner):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.play(20)
    assert covered(learner, plan.chapter) == 20
    last = player.seq
    attacks = [(last, "replay"), (last, "replay"), (last - 1, "out_of_order"), (1, "out_of_order")]
    started = clock.ms
    for seq, why in attacks:
        clock.advance(5)
        data = player.beat(position=player.pos + 30, seq=seq)
        assert (data["status"], data["credited_seconds"], data["reason"]) == ("rejected", 0, why)
    report("replayed and out-of-order heartbeats", covered(learner, plan.chapter) - 20, (clock.ms - started) / 1000)
    assert covered(learner, plan.chapter) == 20
    # The session itself is undisturbed: the next honest heartbeat counts from the last accepted one.
    player.pos += 5
    data = player.beat()
    assert data["status"] == "ok" and data["credited_seconds"] == 5


def test_two_sessions_in_parallel_earn_no_more_than_one(app, clock, plan, learner):
    phone = Player(learner, clock, plan.chapter)
    pc = Player(learner, clock, plan.chapter)
    phone.start()
    started = clock.ms
    pc.start()
    statuses = set()
    for _ in range(24):  # both play at 1x for two minutes, heartbeats interleaved
        clock.advance(2.5)
        phone.pos += 2.5
        statuses.add(phone.beat()["status"])
        clock.advance(2.5)
        pc.pos += 5
        pc.beat()
    real = (clock.ms - started) / 1000
    earned = covered(learner, plan.chapter)
    report("two sessions in parallel on one chapter", earned, real)
    assert statuses == {"taken_over"} and earned <= real


def test_sessions_on_two_chapters_in_parallel_earn_no_more_than_one(app, clock, plan, learner):
    long_one = Player(learner, clock, plan.chapters[0][0])
    short_one = Player(learner, clock, plan.chapters[0][1])
    long_one.start()
    started = clock.ms
    short_one.start()
    for _ in range(12):
        clock.advance(5)
        long_one.pos += 5
        short_one.pos = min(60, short_one.pos + 5)
        assert long_one.beat()["status"] == "taken_over"
        short_one.beat(playing=short_one.pos < 60)
    real = (clock.ms - started) / 1000
    earned = covered(learner, plan.chapters[0][0]) + covered(learner, plan.chapters[0][1])
    report("two sessions in parallel on two chapters", earned, real)
    assert earned <= real and covered(learner, plan.chapters[0][0]) == 0


def test_restarting_the_session_before_every_heartbeat_earns_no_more_than_real_time(app, clock, plan, learner):
    player = Player(learner, clock, plan.chapter)
    started = clock.ms
    for _ in range(100):
        player.start()
        clock.advance(0.01)
        player.pos += 1
        player.beat()
    real = (clock.ms - started) / 1000
    earned = covered(learner, plan.chapter)
    report("a new session before each of 100 heartbeats", earned, real)
    assert earned <= real


def test_heartbeats_while_a_question_is_open_earn_nothing(app, clock, plan, learner, prompts_every_10s):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.beat(event="play")
    clock.advance(5)
    player.pos = 5
    assert player.beat()["status"] == "ok"
    clock.advance(5)
    player.pos = 10
    asked = player.beat()
    assert asked["status"] == "ask" and asked["credited_seconds"] == 5
    question = asked["question"]
    opened = clock.ms
    for _ in range(12):  # the script ignores the question and keeps "playing" for a minute
        clock.advance(5)
        player.pos += 5
        data = player.beat()
        assert (data["status"], data["credited_seconds"], data["reason"]) == ("ask", 0, "prompt_pending")
        assert data["question"]["id"] == question["id"]
    report("a minute of heartbeats with a question open", covered(learner, plan.chapter) - 10,
           (clock.ms - opened) / 1000)
    assert covered(learner, plan.chapter) == 10
    status, body = player.answer(question["id"], Question.get_by_id(question["id"]).answer)
    assert status == 200 and body["data"]["correct"]
    clock.advance(5)
    player.pos += 5
    data = player.beat()  # the position ran a minute ahead while the question was open: a jump
    assert (data["status"], data["credited_seconds"], data["reason"]) == ("ok", 0, "too_fast")
    clock.advance(5)
    player.pos += 5
    assert player.beat()["credited_seconds"] == 5  # from there on, 1x counts again
    assert covered(learner, plan.chapter) == 15 and bits(learner, plan.chapter, 10, 75) == []


def test_a_new_session_does_not_skip_an_open_question(app, clock, plan, learner, prompts_every_10s):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.beat(event="play")
    for _ in range(2):
        clock.advance(5)
        player.pos += 5
        data = player.beat()
    assert data["status"] == "ask"
    for chapter in (plan.chapters[0][0], plan.chapters[0][1]):  # same chapter, or another one
        other = Player(learner, clock, chapter)
        other.start()
        other.beat(event="play")
        started = clock.ms
        for _ in range(6):
            clock.advance(5)
            other.pos += 5
            data = other.beat()
            assert (data["status"], data["credited_seconds"]) == ("ask", 0)
        report("restart to skip an open question", covered(learner, chapter) - (10 if chapter == plan.chapter else 0),
               (clock.ms - started) / 1000)
    assert covered(learner, plan.chapters[0][1]) == 0 and covered(learner, plan.chapter) == 10


def test_restarting_before_a_question_does_not_postpone_it(app, clock, plan, learner, prompts_every_10s):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.beat(event="play")
    clock.advance(5)
    player.pos += 5
    assert player.beat()["status"] == "ok"  # 5 s credited, the question is due at 10 s
    player.start()  # a script restarts the session before every question
    player.beat(event="play")
    clock.advance(5)
    player.pos += 5
    assert player.beat()["status"] == "ask"


def test_brute_forcing_the_answer_ends_the_session(app, clock, plan, learner, prompts_every_10s):
    player = Player(learner, clock, plan.chapter)
    player.start()
    answers = player.play(10, answer=False)
    question = answers[-1]["question"]
    seen = {question["id"]}
    started = clock.ms
    for attempt in range(1, 4):
        right = Question.get_by_id(question["id"]).answer
        status, body = player.answer(question["id"], (right + 1) % 4)
        assert status == 200 and body["data"]["correct"] is False
        if attempt < 3:
            assert body["data"]["ended"] is False and body["data"]["attempts_left"] == 3 - attempt
            question = body["data"]["question"]
            assert question["id"] not in seen  # a new question after each wrong answer
            seen.add(question["id"])
        else:
            assert body["data"]["ended"] is True
    # A fourth guess, even the right one, is refused: the session is over.
    status, body = player.answer(question["id"], Question.get_by_id(question["id"]).answer)
    assert status == 409
    for _ in range(6):
        clock.advance(5)
        player.pos += 5
        data = player.beat()
        assert (data["status"], data["credited_seconds"]) == ("ended", 0)
    # Starting again does not wipe the slate: first a cool-down, then a question before anything counts.
    status, body = learner.post(f"/learning/chapters/{plan.chapter.id}/sessions", {"device": "h5"})
    assert (status, body["code"]) == (429, "prompt_cooldown")
    clock.advance(app.config["LEARNING_PROMPT_COOLDOWN_SECONDS"])
    player.start()
    player.beat(event="play")
    clock.advance(5)
    player.pos += 5
    data = player.beat()
    assert (data["status"], data["credited_seconds"]) == ("ask", 0)
    report("brute-forced answers (3 wrong), then a restart", covered(learner, plan.chapter) - 10,
           (clock.ms - started) / 1000)
    assert covered(learner, plan.chapter) == 10


def test_parallel_guesses_get_one_answer_judged(app, clock, plan, learner, prompts_every_10s, live_server):
    """All options sent at once for the open question: one is judged, the others are refused."""
    player = Player(learner, clock, plan.chapter)
    player.start()
    question = player.play(10, answer=False)[-1]["question"]
    url = f"{live_server}/api/v1/learning/sessions/{player.session_id}/answer"
    barrier = threading.Barrier(8)
    results = []

    def guess(choice):
        barrier.wait()
        resp = requests.post(url, json={"question_id": question["id"], "choice": choice}, timeout=10,
                             headers={"Authorization": f"Bearer {learner.token}"})
        results.append((resp.status_code, resp.json()))

    threads = [threading.Thread(target=guess, args=(i % 4,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    judged = [body for status, body in results if status == 200]
    assert len(judged) == 1, results
    assert sorted(status for status, _ in results) == [200] + [409] * 7
    state = session_state(player.session_id)
    assert int(state["attempts"]) <= 1


@pytest.mark.parametrize("offline_from", [30.001, 32.5, 34.999])
def test_honest_learner_offline_for_a_minute_loses_at_most_that_minute(app, clock, plan, learner, offline_from):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.beat(event="play")
    offline_until = offline_from + 60
    t = 0
    while t < 180:  # 3 minutes of watching at 1x; the heartbeats due while offline are lost
        clock.advance(5)
        t += 5
        player.pos += 5
        if not offline_from < t < offline_until:
            player.beat()
    lost = 180 - covered(learner, plan.chapter)
    print(f"\nHONEST offline {offline_from:.3f}..{offline_until:.3f} s: lost {lost} s of 180 s watched")
    assert 0 < lost <= 60


def test_rejected_and_clamped_heartbeats_are_recorded_for_staff(app, clock, plan, learner, prompts_every_10s):
    other = make_learner(app, plan, i=1)
    player = Player(learner, clock, plan.chapters[0][1])
    player.start()
    player.play(5)
    clock.advance(5)
    player.beat(position=50)  # too fast
    clock.advance(5)
    player.beat(position=500)  # beyond the chapter
    player.beat(seq=player.seq)  # replay
    player.beat(seq=1)  # out of order
    Player(other, clock, plan.chapters[0][1]).beat(session_id=player.session_id, seq=99)  # someone else's session
    old = player.session_id
    assert player.start()["resume_position"] == 60  # where the jump left the player
    player.beat(session_id=old, seq=99)  # a session taken over by a newer one
    player.pos = 0  # back to the start
    player.beat(event="play")
    for _ in range(3):
        clock.advance(5)
        player.pos += 5
        data = player.beat()
    assert data["status"] == "ask"
    clock.advance(5)
    player.pos += 5
    player.beat()  # playing with the question open
    wrong = (Question.get_by_id(data["question"]["id"]).answer + 1) % 4
    player.answer(data["question"]["id"], wrong)
    flush_dirty()

    reasons = {e.reason for e in LearningEvent.select().where(LearningEvent.user == learner.user.id)}
    assert {"too_fast", "beyond_duration", "replay", "out_of_order", "stale_session", "prompt_pending",
            "prompt_wrong"} <= reasons
    assert {e.reason for e in LearningEvent.select().where(LearningEvent.user == other.user.id)} == {"stale_session"}
    event = LearningEvent.get(LearningEvent.reason == "too_fast")
    assert event.session_id and event.chapter_id == plan.chapters[0][1].id and "advanced" in event.detail

    staff = make_staff(app)
    status, body = staff.get("/staff/learning/events")
    assert status == 200
    rows = {(r["user_id"], r["reason"]): r["count"] for r in body["data"]}
    assert rows[(learner.user.id, "replay")] == 1 and rows[(other.user.id, "stale_session")] == 1
    status, body = staff.get("/staff/learning/events?reason=out_of_order")
    assert [(r["user_id"], r["reason"]) for r in body["data"]] == [(learner.user.id, "out_of_order")]
    status, body = learner.get("/staff/learning/events")
    assert status == 403 and body["code"] == "forbidden"


# ---- the four holes of issue 13 ----------------------------------------------------------------------

def test_right_answers_buy_no_time(app, clock, plan, learner, prompts_every_10s):
    """A script answers every question right at once, then runs ahead by the tolerance."""
    player = Player(learner, clock, plan.chapter)
    player.start()
    started = clock.ms
    player.beat(event="play")
    answers = 0
    while clock.ms - started < 120_000:
        clock.advance(5)
        player.pos += 5
        data = player.beat()
        if data["status"] == "ask":
            question = Question.get_by_id(data["question"]["id"])
            assert player.answer(question.id, question.answer)[1]["data"]["correct"]
            answers += 1
            clock.advance(1)
            player.pos += 2  # one second later, two seconds further on
            player.beat()
    real_ms = clock.ms - started
    credited_ms = int(session_state(player.session_id)["credited"])
    report(f"{answers} right answers, each followed by a tolerance's run-ahead", credited_ms / 1000, real_ms / 1000)
    assert answers >= 10
    assert credited_ms <= real_ms and covered(learner, plan.chapter) <= real_ms / 1000


def test_guesses_on_throw_away_sessions_are_refused_and_not_judged(app, clock, plan, learner, prompts_every_10s):
    """One session per option, guesses on the old ones, the right answer on the current one."""
    first = Player(learner, clock, plan.chapter)
    first.start()
    question = first.play(10, answer=False)[-1]["question"]
    right = Question.get_by_id(question["id"]).answer
    sessions = [first]
    for _ in range(3):
        sessions.append(Player(learner, clock, plan.chapter))
        sessions[-1].start()
    current = sessions[-1]
    for choice, old in enumerate(sessions[:-1]):
        status, body = old.answer(question["id"], choice)
        assert (status, body["code"]) == (409, "not_current_session"), body
        assert session_state(old.session_id)["prompt_qid"] == str(question["id"])  # not judged: still open
    assert session_state(current.session_id)["prompt_qid"] == str(question["id"])
    assert get_redis().get(f"learn:wrong:{learner.user.id}") is None  # no guess was counted, none judged
    flush_dirty()
    assert not LearningEvent.select().where(LearningEvent.reason.in_(["prompt_wrong", "prompt_passed"])).exists()
    status, body = current.answer(question["id"], right)
    assert status == 200 and body["data"] == {"correct": True}


def test_wrong_answers_count_per_learner_across_devices_then_a_cool_down(app, clock, plan, learner,
                                                                         prompts_every_10s):
    player = Player(learner, clock, plan.chapter)
    player.start()
    question = player.play(10, answer=False)[-1]["question"]
    for attempt in range(1, 4):
        wrong = (Question.get_by_id(question["id"]).answer + 1) % 4
        status, body = player.answer(question["id"], wrong)
        assert status == 200 and body["data"]["correct"] is False
        if attempt < 3:
            assert body["data"]["attempts_left"] == 3 - attempt
            player = Player(learner, clock, plan.chapters[0][attempt % 2])  # another page or device
            player.start()
            player.beat(event="play")
            clock.advance(1)
            player.pos += 1
            asked = player.beat()
            assert asked["status"] == "ask"
            question = asked["question"]
    assert body["data"]["ended"] is True
    status, body = learner.post(f"/learning/chapters/{plan.chapter.id}/sessions", {"device": "h5"})
    assert (status, body["code"]) == (429, "prompt_cooldown")
    clock.advance(app.config["LEARNING_PROMPT_COOLDOWN_SECONDS"] - 1)
    status, body = learner.post(f"/learning/chapters/{plan.chapter.id}/sessions", {"device": "h5"})
    assert (status, body["code"]) == (429, "prompt_cooldown")
    clock.advance(1)
    player = Player(learner, clock, plan.chapter)
    player.start()  # after the cool-down: a question first, with the full number of tries
    player.beat(event="play")
    clock.advance(1)
    player.pos += 1
    asked = player.beat()
    assert (asked["status"], asked["credited_seconds"]) == ("ask", 0)
    wrong = (Question.get_by_id(asked["question"]["id"]).answer + 1) % 4
    assert player.answer(asked["question"]["id"], wrong)[1]["data"]["attempts_left"] == 2


def test_a_refunded_learner_earns_nothing_more(app, clock, plan, sandbox_api, manual_refunds):
    learner = make_learner(app, plan, enroll=False)
    staff = make_staff(app).user
    order = buy(sandbox_api, learner.user, plan.project)
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.play(30)
    flush_dirty()
    player.play(10)  # watched before the refund, not flushed yet: it counts
    player.beat(event="play")
    refund(sandbox_api, order, staff)
    row = ChapterProgress.get(ChapterProgress.user == learner.user.id)
    recorded = (bytes(row.coverage), row.watched_seconds, row.last_position, row.updated_at)
    assert row.watched_seconds == 40
    for _ in range(24):  # the session opened before the refund keeps "playing" for two minutes
        clock.advance(5)
        player.pos += 5
        data = player.beat()
        assert (data["status"], data["credited_seconds"]) == ("ended", 0)
    flush_dirty()
    row = ChapterProgress.get(ChapterProgress.user == learner.user.id)
    assert (bytes(row.coverage), row.watched_seconds, row.last_position, row.updated_at) == recorded
    status, body = learner.post(f"/learning/chapters/{plan.chapter.id}/sessions", {"device": "h5"})
    assert (status, body["code"]) == (403, "not_enrolled")

    buy(sandbox_api, learner.user, plan.project)  # buying again starts from what was recorded
    again = Player(learner, clock, plan.chapter).start()
    assert (again["resume_position"], again["watched_seconds"]) == (40, 40)


def test_one_learners_refusals_cannot_push_out_anothers(app, clock, plan, learner):
    """An abuser sends over 100,000 refused heartbeats (straight to the heartbeat script, pipelined, with
    the arguments the API passes, so the test takes seconds): the victim's one refusal is still recorded."""
    victim = Player(learner, clock, plan.chapter)
    victim.start()
    victim.play(5)
    victim.beat(seq=victim.seq)  # one replay
    abuser = make_learner(app, plan, i=1)
    player = Player(abuser, clock, plan.chapter)
    player.start()
    player.beat(event="play")
    data = HeartbeatIn(session_id=player.session_id, chapter_id=plan.chapter.id, seq=player.seq,
                                position=0, playing=True, event="timer")
    script = learning_script("heartbeat", playback.LUA)
    pipe = get_redis().pipeline(transaction=False)
    sent = 100_001
    for i in range(sent):
        script(*playback.heartbeat_call(abuser.user.id, data, clock.ms), client=pipe)
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    flush_dirty()
    while flush_events():
        pass
    assert LearningEvent.select().where(LearningEvent.user == learner.user.id,
                                        LearningEvent.reason == "replay").count() == 1
    staff = make_staff(app)
    rows = {(r["user_id"], r["reason"]): r["count"] for r in staff.get("/staff/learning/events")[1]["data"]}
    assert rows[(learner.user.id, "replay")] == 1 and rows[(abuser.user.id, "replay")] == sent
