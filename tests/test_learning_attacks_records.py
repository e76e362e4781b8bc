"""What staff see of cheating attempts: every rejected or clamped heartbeat and every wrong answer is
recorded with a reason, listed for staff at /staff/learning/events (learners get 403), and one learner's
flood of refused heartbeats cannot push out another learner's record (the flood is counted per learner
and reason).

The attacks themselves: test_learning_attacks_heartbeats.py and test_learning_attacks_questions.py. The
server's clock is virtual (tests/learning_fixtures.py).
"""
from app.learning import playback
from app.learning.flush import flush_dirty, flush_events
from app.learning.models import LearningEvent, Question
from app.learning.schemas import HeartbeatIn
from app.redis_client import get_redis
from tests.learning_fixtures import (  # noqa: F401  (fixtures: plan, learner, prompts_every_10s)
    Player,
    attack_learner_fixture,
    attack_plan_fixture,
    make_learner,
    make_staff,
    prompts_every_10s_fixture,
)


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
        data = player.tick(5)
    assert data["status"] == "ask"
    player.tick(5)  # playing with the question open
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
    script = playback.heartbeat_script()
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
