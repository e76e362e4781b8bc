"""Cheating attacks on the questions asked during playback, driven through the API the way public cheat
scripts drive them (a question every 10 s of playback).

Heartbeats while a question is open earn nothing; a new session, on the same chapter or another, neither
skips an open question nor postpones a due one; brute-forced answers end the session, then a cool-down and
a question come before anything counts; of guesses sent in parallel one is judged; wrong answers count per
learner across pages and devices; right answers buy no time; guesses on throw-away sessions are refused
and not judged.

Attacks made of heartbeats alone: test_learning_attacks_heartbeats.py. The server's clock is virtual
(tests/learning_fixtures.py), so every figure here is deterministic. Run with -s to see what each attack
earned against real time.
"""
import threading

import requests

from app.learning.flush import flush_dirty
from app.learning.models import LearningEvent, Question
from app.redis_client import get_redis
from tests.learning_fixtures import (  # noqa: F401  (fixtures: plan, learner, prompts_every_10s)
    Player,
    attack_learner_fixture,
    attack_plan_fixture,
    bits,
    covered,
    prompts_every_10s_fixture,
    report,
    session_state,
)


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
        data = player.tick(5)
        assert (data["status"], data["credited_seconds"], data["reason"]) == ("ask", 0, "prompt_pending")
        assert data["question"]["id"] == question["id"]
    report("a minute of heartbeats with a question open", covered(learner, plan.chapter) - 10,
           (clock.ms - opened) / 1000)
    assert covered(learner, plan.chapter) == 10
    status, body = player.answer(question["id"], Question.get_by_id(question["id"]).answer)
    assert status == 200 and body["data"]["correct"]
    data = player.tick(5)  # the position ran a minute ahead while the question was open: a jump
    assert (data["status"], data["credited_seconds"], data["reason"]) == ("ok", 0, "too_fast")
    assert player.tick(5)["credited_seconds"] == 5  # from there on, 1x counts again
    assert covered(learner, plan.chapter) == 15 and bits(learner, plan.chapter, 10, 75) == []


def test_a_new_session_does_not_skip_an_open_question(app, clock, plan, learner, prompts_every_10s):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.beat(event="play")
    for _ in range(2):
        data = player.tick(5)
    assert data["status"] == "ask"
    for chapter in (plan.chapters[0][0], plan.chapters[0][1]):  # same chapter, or another one
        other = Player(learner, clock, chapter)
        other.start()
        other.beat(event="play")
        started = clock.ms
        for _ in range(6):
            data = other.tick(5)
            assert (data["status"], data["credited_seconds"]) == ("ask", 0)
        report("restart to skip an open question", covered(learner, chapter) - (10 if chapter == plan.chapter else 0),
               (clock.ms - started) / 1000)
    assert covered(learner, plan.chapters[0][1]) == 0 and covered(learner, plan.chapter) == 10


def test_restarting_before_a_question_does_not_postpone_it(app, clock, plan, learner, prompts_every_10s):
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.beat(event="play")
    assert player.tick(5)["status"] == "ok"  # 5 s credited, the question is due at 10 s
    player.start()  # a script restarts the session before every question
    player.beat(event="play")
    assert player.tick(5)["status"] == "ask"


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
        data = player.tick(5)
        assert (data["status"], data["credited_seconds"]) == ("ended", 0)
    # Starting again does not wipe the slate: first a cool-down, then a question before anything counts.
    status, body = learner.post(f"/learning/chapters/{plan.chapter.id}/sessions", {"device": "h5"})
    assert (status, body["code"]) == (429, "prompt_cooldown")
    clock.advance(app.config["LEARNING_PROMPT_COOLDOWN_SECONDS"])
    player.start()
    player.beat(event="play")
    data = player.tick(5)
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


# ---- three of the four holes of issue 13 (the fourth: test_learning_attacks_heartbeats.py) ----------

def test_right_answers_buy_no_time(app, clock, plan, learner, prompts_every_10s):
    """A script answers every question right at once, then runs ahead by the tolerance."""
    player = Player(learner, clock, plan.chapter)
    player.start()
    started = clock.ms
    player.beat(event="play")
    answers = 0
    while clock.ms - started < 120_000:
        data = player.tick(5)
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
