"""Template and subscribe messages: once per event, retried on transient errors, never stormed."""
import datetime

import pytest

from app.accounts.models import User
from app.jobs import durable, queue
from app.jobs.durable import DurableJob
from app.wechat import login, messages
from app.wechat.models import WechatMessage, WechatMessageAttempt

VALUES = {"course": "专业技术人员职业道德与诚信建设（2026版）", "hours": 6,
          "time": datetime.datetime(2026, 11, 26, 20, 0)}


@pytest.fixture
def follower(app, registered, sandbox_api):
    """A learner who follows the official account."""
    wx = sandbox_api.post("/users", {"nickname": "小周"})
    identity = login.identity_for("mp", app.config["WECHAT_MP_APPID"], wx["openids"][app.config["WECHAT_MP_APPID"]])
    user = User.get()
    login.bind(identity, user)
    return user, wx


def _sent(sandbox_api, kind="template"):
    return sandbox_api.get(f"/messages?kind={kind}")


def test_fields_follow_wechats_2023_rules():
    data = messages.render_fields("course_completed", VALUES)
    assert set(data) == {"thing1", "number2", "time3"}
    assert len(data["thing1"]["value"]) <= 20 and data["thing1"]["value"].endswith("…")
    assert data["time3"]["value"] == "2026-11-26 20:00"


def test_delivered_exactly_once_when_the_job_runs_twice(app, follower, drain, sandbox_api):
    user, _ = follower
    first = messages.notify("course-done:1:7", user, "course_completed", VALUES, url="http://x/learning")
    second = messages.notify("course-done:1:7", user, "course_completed", VALUES)
    assert first.id == second.id
    drain()
    messages.send_message(first.id)  # a duplicate job run
    assert len(_sent(sandbox_api)) == 1
    message = WechatMessage.get_by_id(first.id)
    assert message.status == "sent" and message.attempts == 1 and message.msgid


def test_retried_by_the_sweep_after_a_transient_failure(app_factory, registered, sandbox_api, drain_factory):
    app = app_factory()
    with app.app_context():
        wx = sandbox_api.post("/users", {"nickname": "小吴"})
        identity = login.identity_for("mp", app.config["WECHAT_MP_APPID"],
                                      wx["openids"][app.config["WECHAT_MP_APPID"]])
        login.bind(identity, User.get())
        sandbox_api.post("/failures", {"path_prefix": "/cgi-bin/message/template/send", "times": 1, "errcode": -1})
        message = messages.notify("plan-done:1", User.get(), "plan_completed",
                                  {"project": "2026年公需科目", "hours": 30, "time": VALUES["time"]})
        drain_factory(app)()
        assert (WechatMessage.get_by_id(message.id).status, queue().count) == ("pending", 0)  # no RQ retry
        [job] = DurableJob.select().where(DurableJob.key == f"wxmsg-{message.id}")
        assert durable.sweep(now=job.due_at) == 1  # the one retry chain, after its backoff
        drain_factory(app)()
        message = WechatMessage.get_by_id(message.id)
        assert message.status == "sent" and message.attempts == 2
        assert DurableJob.get_by_id(job.id).status == "done"
        outcomes = [a.outcome for a in WechatMessageAttempt.select().order_by(WechatMessageAttempt.id)]
        assert outcomes == ["transient", "sent"]
        assert len(_sent(sandbox_api)) == 1


def test_no_retry_after_a_permanent_failure(app, follower, drain, sandbox_api):
    user, wx = follower
    sandbox_api.post(f"/users/{wx['uid']}/block")
    message = messages.notify("cert:1", user, "certificate_ready",
                              {"project": "2026年公需科目", "cert_no": "CE2026000001", "time": VALUES["time"]})
    drain()
    drain()
    message = WechatMessage.get_by_id(message.id)
    assert message.status == "failed" and message.attempts == 1
    attempt = WechatMessageAttempt.get()
    assert (attempt.errcode, attempt.outcome) == (43101, "permanent")
    assert app.extensions["queue"].failed_job_registry.count == 0  # nothing left to retry
    assert _sent(sandbox_api) == []


def test_subscribe_message_needs_an_accepted_subscription(app, api, registered, sandbox_api, drain):
    wx = sandbox_api.post("/jscode", {"nickname": "小郑"})
    ticket = api.post("/wechat/mini/login", {"code": wx["code"]})[1]["data"]["bind_ticket"]
    token = api.post("/wechat/mini/bind", {"bind_ticket": ticket, "username": registered["mobile"],
                                           "password": "Secret123"})[1]["data"]["token"]
    user = User.get()
    skipped = messages.notify("course-done:a", user, "course_completed", VALUES)
    assert skipped.status == "pending"
    drain()
    assert WechatMessage.get_by_id(skipped.id).status == "skipped"  # never accepted: nothing sent

    resp = api.client.post("/api/v1/wechat/mini/subscriptions", json={"accepted": ["course_completed"]},
                           headers={"Authorization": f"Bearer {token}"})
    assert resp.get_json()["data"]["remaining"] == {"course_completed": 1}
    sandbox_api.post("/subscriptions", {"openid": wx["openid"],
                                        "template_id": messages.template_id("subscribe", "course_completed")})
    sent = messages.notify("course-done:b", user, "course_completed", VALUES)
    drain()
    assert WechatMessage.get_by_id(sent.id).status == "sent"
    assert len(_sent(sandbox_api, "subscribe")) == 1
    third = messages.notify("course-done:c", user, "course_completed", VALUES)
    drain()
    assert WechatMessage.get_by_id(third.id).status == "skipped"  # the one acceptance was used


def test_no_wechat_identity_means_no_message(app, registered, drain):
    message = messages.notify("x:1", User.get(), "course_completed", VALUES)
    assert message.status == "skipped"
