"""Every JSON body of the API is read by app/api.py body_text: straight from the WSGI stream when its length
is declared, within MAX_CONTENT_LENGTH (small here), and left where request.get_data finds it."""
import io
import json

import pytest
from flask import request
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app.api import body_text, json_body
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
