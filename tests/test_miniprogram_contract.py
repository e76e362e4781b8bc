"""The mini-program's contract: its own request layer and api/ modules, run by Node, against this backend.

The real app is served over HTTP (live_server) with the WeChat sandbox standing in for WeChat; Node
runs miniprogram/test/contract/run.js with a `wx` whose wx.request is real HTTP. It logs in with a
sandbox wx.login code, binds the learner's account, buys the plan and pays in the sandbox (after the
sandbox checked paySign), plays a chapter with real heartbeats, answers the anti-idle questions, reads
the progress back and prints the certificate. A change of the API that breaks the mini-program fails
here. Afterwards the database must say the same.
"""
import datetime
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app.accounts.models import User
from app.certs import orgs
from app.certs.models import Certificate
from app.db import utcnow
from app.demo import demo_year, seed_catalogue
from app.learning.flush import flush_dirty
from app.learning.models import Chapter, ChapterProgress, Course, CourseCompletion, Enrollment, Project, Question
from app.pay.models import Order
from app.wechat.models import WechatIdentity, WechatSubscription

MINIPROGRAM = Path(__file__).resolve().parent.parent / "miniprogram"
RUN_TIMEOUT = 240  # seconds: the run itself watches a 12 s chapter in real time
UNIT = "重庆市示例科技有限公司"


def node_binary():
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js (20 or later) is needed for the mini-program contract test: scripts/test installs it")
    return node


@pytest.fixture
def short_plan(app, registered):
    """This year's demo plan cut to one course of one 12 s chapter, on sale now; its hours are that course's."""
    app.config.update(LEARNING_HEARTBEAT_SECONDS=1, LEARNING_PROMPT_MIN_SECONDS=2, LEARNING_PROMPT_MAX_SECONDS=3)
    seed_catalogue()
    project = Project.get(Project.year == demo_year())
    courses = list(Course.select().where(Course.project == project.id).order_by(Course.position))
    course = courses[0]
    Chapter.delete().where(Chapter.course.in_([c.id for c in courses[1:]])).execute()
    Course.delete().where(Course.id.in_([c.id for c in courses[1:]])).execute()
    Chapter.delete().where(Chapter.course == course.id, Chapter.position > 0).execute()
    now = utcnow()
    Project.update(credit_hours=course.credit_hours, sale_start=now - datetime.timedelta(days=1),
                   sale_end=now + datetime.timedelta(days=30)).where(Project.id == project.id).execute()
    orgs.add_unit(UNIT, "500103")
    return Project.get_by_id(project.id), course


def run_node(config_path):
    env = {**os.environ, "CONTRACT_CONFIG": str(config_path)}
    try:
        done = subprocess.run([node_binary(), "test/contract/run.js"], cwd=MINIPROGRAM, env=env, capture_output=True,
                              text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the contract run did not finish in {RUN_TIMEOUT} s:\n{exc.stdout}\n{exc.stderr}")
    return done


def test_miniprogram_against_the_backend(app, live_server, sandbox, short_plan, registered, tmp_path, engine):
    project, course = short_plan
    config = {
        "base_url": live_server, "sandbox_url": sandbox.url,
        "username": registered["mobile"], "password": registered["password"], "name": registered["name"],
        "mobile": registered["mobile"],
        "project_id": project.id, "unit_query": "示例",
        # The API never reveals answers: the test hands the question bank's answers to the "learner".
        "answers": {str(q.id): q.answer for q in Question.select()},
        "prompt_attempts": app.config["LEARNING_PROMPT_ATTEMPTS"],
        "learn_timeout_ms": 60000, "deadline_ms": (RUN_TIMEOUT - 20) * 1000,
    }
    config_path = tmp_path / "contract.json"
    config_path.write_text(json.dumps(config, ensure_ascii=False))

    done = run_node(config_path)
    output = done.stdout + done.stderr
    print(output)  # the steps, shown by pytest on failure (or with -s)
    assert done.returncode == 0, output
    result = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])
    assert result["prompts_answered"] >= 1 and result["wrong_answers"] == 1, output

    # What the mini-program was told is what the database holds.
    user = User.get(User.name == registered["name"])
    identity = WechatIdentity.get(WechatIdentity.user == user.id)
    assert identity.app_kind == "mini" and identity.appid == app.config["WECHAT_MINI_APPID"]
    order = Order.get(Order.order_no == result["order_no"])
    assert (order.status, order.pay_channel, order.buyer_id) == ("paid", "mini", user.id)
    assert order.payer_appid == result["pay_app_id"] == app.config["WECHAT_MINI_APPID"]
    assert order.payer_openid == identity.openid and order.amount_fen == project.price_fen
    enrollment = Enrollment.get(Enrollment.user == user.id, Enrollment.project == project.id)
    assert enrollment.status == "active" and enrollment.order_id == order.id and enrollment.started_at

    flush_dirty()
    chapter = Chapter.get(Chapter.course == course.id)
    progress = ChapterProgress.get(ChapterProgress.user == user.id, ChapterProgress.chapter == chapter.id)
    assert progress.completed_at and progress.watched_seconds >= chapter.duration_seconds - 2
    assert CourseCompletion.get(CourseCompletion.user == user.id).credit_hours == course.credit_hours
    assert result["plan_progress"]["earned_hours"] == course.credit_hours

    accepted = {s.template: s.remaining for s in WechatSubscription.select().where(WechatSubscription.user == user.id)}
    assert set(accepted) == {"purchase_paid", "course_completed", "certificate_ready", "plan_completed"}
    cert = Certificate.get(Certificate.number == result["certificate"])
    assert (cert.user_id, cert.project_id, cert.status, cert.organisation) == (user.id, project.id, "valid", UNIT)
