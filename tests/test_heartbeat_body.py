"""The heartbeat's body and the coverage it sets, through the real app on a virtual clock.

The body is read straight from the WSGI stream when its length is declared (app/api.py body_text), and
through werkzeug otherwise (chunked, or no Content-Length): the same limit (MAX_CONTENT_LENGTH, small
here) holds on both paths, and a body over it is a 413 that credits nothing.

heartbeat.lua sets a credited run's coverage with BITFIELD, in fields of at most 32 seconds: exactly the
whole seconds inside the run are set, whatever its length and wherever it starts.
"""
import io
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app.db import db
from app.learning.keys import keys, raw_redis
from tests.learning_fixtures import Player, covered, make_learner, make_plan, session_state

LIMIT = 1024
URL = "/api/v1/learning/heartbeat"


@pytest.fixture
def app(app_factory):
    """The real app with a 1 KiB body limit, and silences of up to 300 s still credited."""
    application = app_factory(MAX_CONTENT_LENGTH=LIMIT, LEARNING_MAX_GAP_SECONDS=300)
    with application.app_context():
        yield application
        if not db.is_closed():
            db.close()


@pytest.fixture
def plan(app):
    return make_plan(courses=((300,),))


@pytest.fixture
def learner(app, plan):
    return make_learner(app, plan)


@pytest.fixture
def player(app, clock, plan, learner):
    player = Player(learner, clock, plan.chapter)
    player.start()
    return player


def body(player, seq, position, size=None):
    """A heartbeat's JSON, padded with an ignored field to exactly `size` bytes if given."""
    payload = {"session_id": player.session_id, "chapter_id": player.chapter.id, "seq": seq, "position": position,
               "playing": True, "event": "timer"}
    text = json.dumps(payload, separators=(",", ":")).encode()
    if size is None:
        return text
    pad = size - len(text) - len(b',"pad":""')
    assert pad >= 0
    return text[:-1] + b',"pad":"' + b"x" * pad + b'"}'


def send(learner, data, length=True, chunked=False):
    """POST the bytes as gunicorn passes a request on (its stream ends where the body does); without a
    declared length when `length` is false, with Transfer-Encoding: chunked when `chunked`."""
    environ = EnvironBuilder(path=URL, method="POST", input_stream=io.BytesIO(data), content_type="application/json",
                             headers={"Authorization": f"Bearer {learner.token}"}).get_environ()
    assert environ["CONTENT_LENGTH"] == str(len(data))
    environ["wsgi.input_terminated"] = True
    if not length:
        del environ["CONTENT_LENGTH"]
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    resp = learner.client.open(Request(environ))
    return resp.status_code, resp.get_json()


def state(player, learner):
    s = session_state(player.session_id)
    return s["credited"], s["last_seq"], covered(learner, player.chapter)


def test_a_declared_length_over_the_limit_is_a_413_and_at_the_limit_is_credited(app, clock, learner, player):
    clock.advance(5)
    status, answer = send(learner, body(player, 1, 5, size=LIMIT + 1))
    assert (status, answer["code"], answer["message"], answer["data"]) == (
        413, "payload_too_large", "提交的内容过大", None)
    assert state(player, learner) == ("0", "0", 0)
    status, answer = send(learner, body(player, 1, 5, size=LIMIT))
    assert (status, answer["data"]["status"], answer["data"]["credited_seconds"]) == (200, "ok", 5.0)
    assert state(player, learner) == ("5000", "1", 5)


@pytest.mark.parametrize("length, chunked", [(False, True), (False, False), (True, True)],
                         ids=["chunked", "no-length", "length-and-chunked"])
def test_a_streamed_body_over_the_limit_earns_nothing(app, clock, learner, player, length, chunked):
    """Without a length to trust (a Content-Length next to Transfer-Encoding: chunked is not one), the body
    goes through werkzeug, which stops reading at the limit: the cut JSON is refused as invalid."""
    clock.advance(5)
    status, answer = send(learner, body(player, 1, 5, size=LIMIT + 1), length, chunked)
    assert (status, answer["code"], answer["message"]) == (400, "bad_request", "请求体不是有效的 JSON")
    assert state(player, learner) == ("0", "0", 0)
    status, answer = send(learner, body(player, 1, 5, size=LIMIT), length, chunked)
    assert (status, answer["data"]["status"], answer["data"]["credited_seconds"]) == (200, "ok", 5.0)
    assert state(player, learner) == ("5000", "1", 5)


def test_a_declared_length_far_over_the_limit_is_refused_before_reading(app, clock, plan, learner, player):
    clock.advance(5)
    data = body(player, 1, 5)
    environ = EnvironBuilder(path=URL, method="POST", input_stream=io.BytesIO(data), content_type="application/json",
                             headers={"Authorization": f"Bearer {learner.token}"}).get_environ()
    environ["CONTENT_LENGTH"] = str(10 * 1024 * 1024)  # says 10 MiB, sends a few bytes: nothing waits for the rest
    resp = learner.client.open(Request(environ))
    assert (resp.status_code, resp.get_json()["code"]) == (413, "payload_too_large")
    assert environ["wsgi.input"].tell() == 0
    assert state(player, learner) == ("0", "0", 0)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "no-length"])
def test_a_body_without_a_length_is_read_and_credited(app, clock, plan, learner, player, chunked):
    for seq in (1, 2, 3):
        clock.advance(5)
        status, answer = send(learner, body(player, seq, 5.0 * seq), length=False, chunked=chunked)
        assert (status, answer["data"]["status"], answer["data"]["credited_seconds"]) == (200, "ok", 5.0)
    assert state(player, learner) == ("15000", "3", 15)
    status, answer = send(learner, body(player, 3, 15.0), length=False, chunked=chunked)  # a replay, read whole
    assert (status, answer["data"]["status"], answer["data"]["reason"]) == (200, "rejected", "replay")


def test_a_body_that_is_not_utf8_is_read_as_text_on_both_paths(app, clock, plan, learner, player):
    """Bytes that are not UTF-8 inside a string become U+FFFD, as request.get_data(as_text=True) makes them."""
    clock.advance(5)
    data = body(player, 1, 5).replace(b'"timer"', b'"\xff\xfe"')
    status, answer = send(learner, data)
    assert (status, answer["data"]["status"], answer["data"]["credited_seconds"]) == (200, "ok", 5.0)
    status, answer = send(learner, data, length=False, chunked=True)  # the same seq again: read, refused
    assert (status, answer["data"]["status"], answer["data"]["reason"]) == (200, "rejected", "replay")
    assert state(player, learner) == ("5000", "1", 5)


# Coverage bit by bit.

def coverage_bits(learner, chapter):
    """The seconds set in the learner's coverage bitmap of the chapter."""
    raw = raw_redis().get(keys(learner.user.id, chapter.id)["coverage"]) or b""
    return {i for i in range(len(raw) * 8) if raw[i // 8] >> (7 - i % 8) & 1}


@pytest.mark.parametrize("seconds", [1, 31, 32, 33, 63, 64, 65, 100, 150])
def test_one_heartbeat_sets_exactly_the_seconds_of_its_run(app, clock, plan, learner, player, seconds):
    assert coverage_bits(learner, plan.chapter) == set()
    clock.advance(seconds)
    answer = player.beat(position=seconds)
    assert (answer["status"], answer["credited_seconds"], answer["watched_seconds"]) == ("ok", seconds, seconds)
    assert coverage_bits(learner, plan.chapter) == set(range(seconds))


def test_a_run_that_starts_mid_second_covers_only_whole_seconds(app, clock, plan, learner, player):
    answer = player.beat(position=2.5)  # no time has passed: the position moves, nothing is credited
    assert (answer["credited_seconds"], coverage_bits(learner, plan.chapter)) == (0.0, set())
    clock.advance(70.2)
    answer = player.beat(position=72.7)
    assert (answer["status"], answer["credited_seconds"], answer["reason"]) == ("ok", 70.2, None)
    assert coverage_bits(learner, plan.chapter) == set(range(3, 72))  # [2.5, 72.7): seconds 3 to 71
    clock.advance(40)
    answer = player.beat(position=112.7)  # the run goes on from 72.7: second 72 is now whole
    assert (answer["credited_seconds"], answer["watched_seconds"]) == (40.0, 109)
    assert coverage_bits(learner, plan.chapter) == set(range(3, 112))


def test_a_new_run_after_a_seek_keeps_what_was_covered(app, clock, plan, learner, player):
    clock.advance(40)
    assert player.beat(position=40)["credited_seconds"] == 40.0
    clock.advance(1)
    answer = player.beat(position=100.5)  # a seek forward: a jump earns nothing
    assert (answer["credited_seconds"], answer["reason"]) == (0.0, "too_fast")
    clock.advance(60.2)
    answer = player.beat(position=160.7)
    assert (answer["credited_seconds"], answer["watched_seconds"]) == (60.2, 40 + 59)
    assert coverage_bits(learner, plan.chapter) == set(range(40)) | set(range(101, 160))
    assert covered(learner, plan.chapter) == 99
