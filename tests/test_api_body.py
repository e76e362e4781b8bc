"""Every JSON body of the API is read by app/api.py body_bytes: straight from the WSGI stream when its length
is declared, within MAX_CONTENT_LENGTH (small here), and left where request.get_data finds it. The heartbeat's
body is first tried with quick_json, which must read it as load_json does or leave it to load_json."""
import io
import json

import pytest
from flask import request
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app.api import body_text, json_body, load_json, quick_json
from app.db import db
from app.errors import ApiError
from tests.learning_fixtures import make_learner, make_plan

LIMIT = 512


@pytest.fixture
def app(app_factory):
    application = app_factory(MAX_CONTENT_LENGTH=LIMIT)
    with application.app_context():
        yield application
        if not db.is_closed():
            db.close()


def start_body(size):
    """A session start's JSON padded with white space to exactly `size` bytes."""
    text = b'{"device":"h5"}'
    return text[:-1] + b" " * (size - len(text)) + b"}"


def post(learner, path, data):
    environ = EnvironBuilder(path=path, method="POST", input_stream=io.BytesIO(data), content_type="application/json",
                             headers={"Authorization": f"Bearer {learner.token}"}).get_environ()
    environ["wsgi.input_terminated"] = True
    resp = learner.client.open(Request(environ))
    return resp.status_code, resp.get_json()


def test_a_body_endpoint_refuses_a_body_over_the_limit_and_takes_one_at_it(app):
    plan = make_plan()
    learner = make_learner(app, plan)
    path = f"/api/v1/learning/chapters/{plan.chapter.id}/sessions"
    status, answer = post(learner, path, start_body(LIMIT + 1))
    assert (status, answer["code"], answer["data"]) == (413, "payload_too_large", None)
    status, answer = post(learner, path, start_body(LIMIT))
    assert (status, answer["code"], answer["data"]["chapter_id"]) == (201, "ok", plan.chapter.id)


def test_the_body_read_directly_is_still_there_for_get_data(app):
    data = json.dumps({"a": "甲", "n": 1}).encode()
    with app.test_request_context("/x", method="POST", input_stream=io.BytesIO(data), content_type="application/json",
                                  headers={"Content-Length": str(len(data))}):
        assert request.environ["wsgi.input"].tell() == 0
        assert json_body() == {"a": "甲", "n": 1}
        assert request.environ["wsgi.input"].tell() == len(data)
        assert request.get_data() == data
        assert body_text() == data.decode()  # a second read answers the same body, not an empty one


def test_json_body_asks_for_json(app):
    with app.test_request_context("/x", method="POST", data="a=1", content_type="application/x-www-form-urlencoded"):
        with pytest.raises(ApiError) as refused:
            json_body()
    assert refused.value.status == 415
    assert refused.value.message == "请以 JSON 格式提交（Content-Type: application/json）"


# Bodies orjson and json read differently or not at all; each is None for quick_json or read as load_json reads it.
TRICKY = [b'{"a":"\\ud800"}', b'{"a":"\\ud800\\udc00"}', b'{"a":1,"a":2}', b'{"a":1e400}', b'{"a":NaN}',
          b'{"a":Infinity}', b'{"a":"\xff"}', b'{"a":"\xed\xa0\x80"}', b'{"a":"\\u0000"}', b'{"a":0.1,"b":-0.0}',
          b' {"a" : [1, {"b": null}] } ', b'{"a":5e-324,"b":1.7976931348623157e308}', b'\xef\xbb\xbf{}',
          b'{"a":' + b'[' * 19 + b']' * 19 + b'}', b'{"a":9223372036854775807,"b":-9223372036854775808}',
          b'[1]', b'"x"', b'5', b'{"a":1}x', b'{"a":"\\/\\u00e9\xe7\x94\xb2"}']
BIG_INTEGERS = [b'{"a":18446744073709551616}', b'{"a":-9223372036854775809}', b'{"a":' + b'9' * 30 + b'}']


def test_quick_json_reads_a_body_as_load_json_does_or_leaves_it_to_load_json():
    read = 0
    for raw in TRICKY:
        try:
            expected = load_json(raw.decode("utf-8", "replace"))
        except ApiError:
            expected = None
        quick = quick_json(raw)
        if quick is not None:
            read += 1
            assert repr(quick) == repr(expected), raw
    assert read == 7  # the valid objects orjson reads alike: ordinary, paired surrogates, duplicates, numbers, ...
    for raw in BIG_INTEGERS:  # orjson reads these as floats: a type no heartbeat field accepts
        assert type(quick_json(raw)["a"]) is float and type(load_json(raw.decode())["a"]) is int
