"""The heartbeat endpoint checks its body by HeartbeatIn's rules with strict JSON types (a JSON `1` is not
`true`, `1.0` is not a seq): every body HeartbeatIn refuses is answered with HeartbeatIn's own error,
spends no sequence number and earns nothing; the shapes the players send are credited; a caller who is
not logged in hears 401 before anything about the body.

The usual body takes a faster path (read by orjson, checked by schemas.usual_heartbeat): it keeps these
answers, including for text JSON can spell but UTF-8 cannot carry (a lone surrogate, "\\ud800"), which
once reached Redis and answered 500.
"""
import json

import pydantic
import pytest

from app.api import ok, parse_model
from app.errors import ApiError
from app.learning import playback
from app.learning.schemas import HeartbeatIn, usual_heartbeat
from tests.learning_fixtures import Player, covered, make_learner, make_plan, session_state

GONE = object()  # a field left out of the body
LONE_SURROGATES = json.loads('"' + "\\ud800" * 8 + '"')  # eight unpaired high surrogates: valid JSON

# Changes to a valid body (the session's own id and chapter, seq 1, playing at 5 s) that HeartbeatIn refuses.
REFUSED = [
    {"playing": 1}, {"playing": 0}, {"playing": "true"}, {"playing": None},
    {"seq": True}, {"chapter_id": False}, {"position": True},
    {"seq": 1.0}, {"chapter_id": 1.0},
    {"seq": "1"}, {"chapter_id": "1"}, {"position": "5"},
    {"session_id": 12345678}, {"session_id": None}, {"session_id": "a" * 7}, {"session_id": "a" * 41},
    {"session_id": LONE_SURROGATES}, {"event": LONE_SURROGATES[:1]},
    {"seq": 0}, {"seq": -1}, {"seq": 10_000_001},
    {"chapter_id": 0}, {"chapter_id": 2**31}, {"chapter_id": 10**30},
    {"position": -0.001}, {"position": -1}, {"position": 100_000.001}, {"position": 100_001},
    {"position": float("nan")}, {"position": float("inf")}, {"position": float("-inf")},
    {"event": "e" * 21}, {"event": 5}, {"event": ["timer"]},
    {"seq": 0, "position": -1, "playing": 1},
    {"session_id": GONE}, {"chapter_id": GONE}, {"seq": GONE}, {"position": GONE}, {"playing": GONE},
]
NOT_OBJECTS = [[], ["x"], "x", 5, True]


@pytest.fixture
def plan(app):
    return make_plan(courses=((60,),))


@pytest.fixture
def learner(app, plan):
    return make_learner(app, plan)


def body_of(base, change):
    merged = {**base, **change}
    return {k: v for k, v in merged.items() if v is not GONE}


def post(learner, payload, token=None):
    """The body as text, as the players send it (json.dumps escapes surrogates and writes NaN/Infinity)."""
    headers = {"Authorization": f"Bearer {token or learner.token}"}
    resp = learner.client.post("/api/v1/learning/heartbeat", data=json.dumps(payload),
                               content_type="text/plain", headers=headers)
    return resp.status_code, resp.get_json()


def models_error(payload):
    with pytest.raises(ApiError) as raised:
        parse_model(HeartbeatIn, payload, strict=True)
    return raised.value


@pytest.fixture
def player(app, clock, plan, learner):
    player = Player(learner, clock, plan.chapter)
    player.start()
    clock.advance(5)
    return player


def good(player, **change):
    return {"session_id": player.session_id, "chapter_id": player.chapter.id, "seq": 1, "position": 5,
            "playing": True, "event": "timer", **change}


def test_every_refused_body_gets_the_models_error_and_earns_nothing(app, plan, learner, player):
    base = good(player)
    for change in REFUSED:
        payload = body_of(base, change)
        error = models_error(payload)
        status, answer = post(learner, payload)
        assert (status, answer["code"], answer["message"], answer["data"]) == (
            error.status, error.code, error.message, error.data), change
        assert status == 422 and answer["code"] == "invalid_input", change
    for payload in NOT_OBJECTS:
        status, answer = post(learner, payload)
        assert (status, answer["code"], answer["message"], answer["data"]) == (
            400, "bad_request", "请求体必须是 JSON 对象", None), payload
    assert session_state(player.session_id)["last_seq"] == "0"
    assert covered(learner, plan.chapter) == 0
    assert player.beat(position=5, seq=1)["credited_seconds"] == 5.0  # seq 1 was not spent


def test_the_quick_check_passes_only_bodies_heartbeatin_accepts_and_reads_them_alike():
    """schemas.usual_heartbeat spares the usual body pydantic: whatever it passes, HeartbeatIn accepts with the
    same values; what it does not pass (a refused body, or text beyond ASCII) goes to HeartbeatIn."""
    base = {"session_id": "s" * 20, "chapter_id": 3, "seq": 1, "position": 5, "playing": True, "event": "timer"}
    accepted = [{}, {"position": 5.5}, {"position": 0}, {"position": 100_000}, {"event": None}, {"event": GONE},
                {"event": "e" * 20}, {"extra": [1]}, {"seq": 10_000_000}, {"chapter_id": 2**31 - 1},
                {"session_id": "a" * 8}, {"session_id": "a" * 40}, {"playing": False}]
    for change in [*accepted, *REFUSED, {"event": "暂停"}, {"session_id": "播放会话" * 3}]:
        payload = body_of(base, change)
        try:
            model = HeartbeatIn.model_validate(payload, strict=True)
        except pydantic.ValidationError:
            model = None
        quick = usual_heartbeat(payload)
        assert (quick is not None) == any(change is a for a in accepted), change
        if quick is not None:
            assert tuple(quick) == (model.session_id, model.chapter_id, model.seq, model.position, model.playing,
                                    model.event), change
            assert type(quick.position) is float
        else:
            assert model is None or not all(str(v).isascii() for v in change.values()), change
    assert [usual_heartbeat(payload) for payload in NOT_OBJECTS] == [None] * len(NOT_OBJECTS)


def test_the_answer_names_the_field_in_chinese(app, plan, learner, player):
    status, answer = post(learner, good(player, playing=1))
    assert (status, answer["code"], answer["message"], answer["data"]) == (
        422, "invalid_input", "学习记录有误：是否正在播放应为是或否", {"fields": {"playing": "应为是或否"}})
    status, answer = post(learner, good(player, session_id=LONE_SURROGATES))
    assert (status, answer["message"], answer["data"]) == (
        422, "学习记录有误：播放会话格式不正确", {"fields": {"session_id": "格式不正确"}})
    status, answer = post(learner, good(player, seq=0, position=-1))
    assert (status, answer["message"], answer["data"]) == (
        422, "学习记录有误：序号（递增）超出允许范围（另有 1 处需修改）",
        {"fields": {"seq": "超出允许范围", "position": "超出允许范围"}})


def test_the_shapes_players_send_are_credited(app, clock, plan, learner, player):
    """Integer and fractional positions, any event or none, extra fields, a pause, the largest seq."""
    shapes = [  # (seconds since the last heartbeat, changes to the body)
        (5, {"position": 5}),
        (5, {"position": 10.0, "event": None}),
        (5.5, {"position": 15.5, "event": GONE}),
        (5, {"position": 20.5, "event": "e" * 20}),
        (5, {"position": 25.5, "event": "暂停", "playing": False}),
        (5, {"position": 30.5, "event": "", "extra": [1, {"x": None}], "device": "h5"}),
        (5, {"position": 35.5, "session_id": player.session_id}),
        (5, {"position": 40.5, "seq": 10_000_000}),
    ]
    clock.advance(-5)
    for seq, (seconds, change) in enumerate(shapes, start=1):
        clock.advance(seconds)
        status, answer = post(learner, body_of(good(player, seq=seq), change))
        assert (status, answer["data"]["status"], answer["data"]["credited_seconds"]) == (200, "ok", seconds), change
        assert answer["data"]["reason"] is None, change
    assert session_state(player.session_id)["last_seq"] == "10000000"
    assert covered(learner, plan.chapter) == 40


def test_a_stranger_with_a_bad_body_hears_401(app, plan, learner, player):
    stranger = app.test_client()
    for payload in (good(player, playing=1), good(player, seq=1.0), []):
        resp = stranger.post("/api/v1/learning/heartbeat", json=payload)
        assert (resp.status_code, resp.get_json()["code"]) == (401, "unauthorized"), payload
    status, answer = post(learner, good(player, playing=1), token="not-a-token-" + "x" * 30)
    assert (status, answer["code"]) == (401, "unauthorized")
    assert session_state(player.session_id)["last_seq"] == "0"
    assert covered(learner, plan.chapter) == 0


@pytest.mark.parametrize("credited_ms", [0, 1, 4999, 5000, 15000, 70200, 99999999])
def test_the_plain_answer_is_byte_for_byte_what_ok_encodes(app, credited_ms):
    """The usual answers are formatted directly (playback.plain_answer): the same text as ok()'s envelope of
    playback.answer()."""
    for status, reason, newly in (("ok", "", 0), ("ok", "too_fast", 1), ("rejected", "replay", 0),
                                  ("ok", "beyond_duration", 0), ("rejected", "stale_session", 0)):
        reply = [status, credited_ms, 1234, newly, reason, "", "", "7"]
        with app.test_request_context():
            response, code = ok(playback.answer(reply))
            assert playback.plain_answer(reply) == response.get_data(as_text=True), reply
    for status in ("ask", "taken_over", "ended"):  # any other answer goes through ok()
        assert playback.plain_answer([status, 0, 1234, 0, "", "1", "5000", "7"]) is None


def test_a_heartbeats_answer_is_the_envelope_with_its_media_type(app, plan, learner, player):
    resp = learner.client.post("/api/v1/learning/heartbeat", json=good(player),
                               headers={"Authorization": f"Bearer {learner.token}"})
    assert (resp.status_code, resp.mimetype) == (200, "application/json")
    assert resp.get_json() == {"code": "ok", "message": "ok", "data": {
        "status": "ok", "credited_seconds": 5.0, "watched_seconds": 5, "reason": None, "complete": False}}
    assert resp.headers["Content-Security-Policy"]  # the same security headers as every answer
