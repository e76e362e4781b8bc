"""A credited run longer than one BITFIELD call holds: heartbeat.lua sends at most 1,000 fields of 32 seconds
per call (Lua's unpack refuses about 8,000 values), so a run of 70,000 s takes three calls and sets exactly
its seconds. Only a configured silence of many hours allows such a run; the defaults credit ~15 s at a time."""
import pytest

from app.db import db
from app.learning.keys import keys, raw_redis
from tests.learning_fixtures import Player, make_learner, make_plan

RUN = 70_000


@pytest.fixture
def app(app_factory):
    application = app_factory(LEARNING_MAX_GAP_SECONDS=RUN + 600)
    with application.app_context():
        yield application
        if not db.is_closed():
            db.close()


def test_a_run_of_many_bitfield_calls_sets_exactly_its_seconds(app, clock):
    plan = make_plan(courses=((RUN + 100,),), questions=0)  # no anti-idle question in the way
    learner = make_learner(app, plan)
    player = Player(learner, clock, plan.chapter)
    player.start()
    key = keys(learner.user.id, plan.chapter.id)["coverage"]
    assert raw_redis().bitcount(key) == 0
    clock.advance(RUN)
    answer = player.beat(position=RUN)
    assert (answer["status"], answer["credited_seconds"], answer["watched_seconds"]) == ("ok", RUN, RUN)
    raw = raw_redis().get(key)
    assert len(raw) == RUN // 8 and set(raw) == {0xFF}  # seconds 0 … 69,999, nothing after
