"""Shared set-up for the learning tests: a plan a learner owns, a virtual server clock, a player, and
the fixtures and helpers of the cheating-attack tests (test_learning_attacks_*.py).

The server credits on its own clock (`now_ms()` in app/learning/keys.py). `virtual_clock`
(the `clock` fixture of the learning test modules) replaces that module's `time` with a clock that
only moves when a test says so: every test drives the real API (Flask's test client or a live
server) on a deterministic clock, with no sleeps.
"""
import datetime
import json
import time
from types import SimpleNamespace

import pytest

from app.accounts import rules, service
from app.db import utcnow
from app.learning import keys, playback
from app.learning.models import Chapter, Course, Enrollment, Project, Question
from app.redis_client import get_redis
from app.staff import roles as staff_roles

PASSWORD = "Secret123"
OPTIONS = ["正确的说法", "错误的说法", "无关的说法", "以上都不对"]
# Keys that would give an answer away if they appeared in a learner's response.
ANSWER_KEYS = {"answer", "answers", "answer_index", "correct_option", "correct_choice", "right", "solution"}


class Clock:
    """The server's clock, as the learning code sees it: starts at real time, moves on demand."""

    def __init__(self):
        self.ms = int(time.time() * 1000)

    def time(self):
        return self.ms / 1000

    def advance(self, seconds):
        self.ms += round(seconds * 1000)
        return self.ms


def virtual_clock(monkeypatch):
    """Install a virtual clock as the learning code's clock (each test module wraps it as `clock`)."""
    virtual = Clock()
    monkeypatch.setattr(keys, "time", virtual)
    return virtual


def make_id(i):
    """A valid ID number (GB 11643 check digit), distinct per i."""
    birth = datetime.date(1975, 1, 1) + datetime.timedelta(days=37 * i)
    first17 = f"500103{birth:%Y%m%d}{i % 1000:03d}"
    return first17 + rules.check_digit(first17)


def demo_video_key(name):
    from app.demo import demo_video_key as stored

    return stored(name)


def make_plan(courses=((60,),), credit_hours=None, course_hours=6, questions=4):
    """A project on sale; `courses` lists each course's chapter durations (s); a project question bank."""
    now = utcnow()
    hours = credit_hours if credit_hours is not None else course_hours * len(courses)
    project = Project.create(year=now.year, name=f"{now.year}年公需科目", price_fen=100, credit_hours=hours,
                             sale_start=now - datetime.timedelta(days=1), sale_end=now + datetime.timedelta(days=60))
    course_rows, chapters = [], []
    for c, durations in enumerate(courses):
        course = Course.create(project=project.id, title=f"课程{c + 1}", lecturer="讲师", credit_hours=course_hours,
                               position=c)
        course_rows.append(course)
        chapters.append([Chapter.create(course=course.id, title=f"第{i + 1}讲", position=i, duration_seconds=d,
                                        video_key=demo_video_key("chapter-12s.mp4")) for i, d in enumerate(durations)])
    bank = [Question.create(project=project.id, text=f"问题{i + 1}：下列哪个说法正确？",
                            options=json.dumps(OPTIONS, ensure_ascii=False), answer=(3 * i + 1) % len(OPTIONS))
            for i in range(questions)]
    return SimpleNamespace(project=project, courses=course_rows, chapters=chapters, chapter=chapters[0][0],
                           questions=bank)


def assert_no_answer(value, path="body"):
    """Nothing in a learner's response names the right option of a question."""
    if isinstance(value, dict):
        leaked = ANSWER_KEYS & set(value)
        assert not leaked, f"{path} carries {leaked}"
        if "options" in value:
            assert set(value) <= {"id", "text", "options"}, f"{path} question has extra fields {set(value)}"
            assert value["options"] == json.loads(Question.get_by_id(value["id"]).options), \
                f"{path} options differ from the bank (marked?)"
        for key, item in value.items():
            assert_no_answer(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_no_answer(item, f"{path}[{i}]")


class Learner:
    """One learner's API calls with a bearer token, as the mini-program and scripts send them.

    Every answer of the learning endpoints is checked for a leaked answer.
    """

    def __init__(self, app, user, token, username=None):
        self.client = app.test_client()
        self.user, self.token, self.username = user, token, username
        self.bodies = []

    def call(self, method, path, json=None):
        resp = self.client.open("/api/v1" + path, method=method, json=json,
                                headers={"Authorization": f"Bearer {self.token}"})
        body = resp.get_json()
        if path.startswith("/learning/"):
            self.bodies.append(body)
            assert_no_answer(body)
        return resp.status_code, body

    def get(self, path):
        return self.call("GET", path)

    def post(self, path, json=None):
        return self.call("POST", path, json)


def login_token(app, username, password=PASSWORD):
    resp = app.test_client().post("/api/v1/auth/login?token=1", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["data"]["token"]


def make_learner(app, plan=None, i=0, enroll=True):
    """A registered learner, logged in through the API (bearer token), owning `plan` if given."""
    id_number, mobile = make_id(i), f"137{i:08d}"
    user = service.create_user(name=f"学员{i}", id_number=id_number, mobile=mobile,
                               gender=rules.id_gender(id_number), password=PASSWORD)
    if plan is not None and enroll:
        Enrollment.create(user=user.id, project=plan.project.id, source="grant")
    return Learner(app, user, login_token(app, mobile), mobile)


def make_staff(app):
    id_number = make_id(900)
    user = service.create_user(name="王老师", id_number=id_number, mobile="13999999999",
                               gender=rules.id_gender(id_number), password=PASSWORD, username="teacher",
                               role="staff")
    staff_roles.grant(user, "admin")
    return Learner(app, user, login_token(app, "teacher"), "teacher")


def covered(learner, chapter):
    """Unique seconds credited so far (what Redis holds, flushed or not)."""
    return playback.covered_seconds(learner.user.id, chapter.id)


def session_state(session_id):
    return get_redis().hgetall(f"learn:s:{session_id}")


class Player:
    """The H5 player as the tests drive it: position, sequence numbers, heartbeats, questions."""

    def __init__(self, learner, clock, chapter, step=5.0, think=4.0):
        self.learner, self.clock, self.chapter = learner, clock, chapter
        self.step, self.think = step, think
        self.session_id, self.seq, self.pos = None, 0, 0.0
        self.prompts = 0

    @property
    def duration(self):
        return self.chapter.duration_seconds

    def start(self):
        status, body = self.learner.post(f"/learning/chapters/{self.chapter.id}/sessions", {"device": "h5"})
        assert status == 201, body
        data = body["data"]
        self.session_id, self.seq, self.pos = data["session_id"], 0, float(data["resume_position"])
        return data

    def beat(self, position=None, playing=True, event="timer", seq=None, session_id=None, chapter_id=None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        payload = {"session_id": session_id or self.session_id, "chapter_id": chapter_id or self.chapter.id,
                   "seq": seq, "position": self.pos if position is None else position, "playing": playing,
                   "event": event}
        status, body = self.learner.post("/learning/heartbeat", payload)
        assert status == 200, body
        return body["data"]

    def tick(self, seconds):
        """`seconds` of watching at 1x (the clock and the position move on together), then a timer heartbeat."""
        self.clock.advance(seconds)
        self.pos += seconds
        return self.beat()

    def answer(self, question_id, choice):
        return self.learner.post(f"/learning/sessions/{self.session_id}/answer",
                                 {"question_id": question_id, "choice": choice})

    def answer_honestly(self, question, resume=True):
        """What the player does when asked: pause, read, answer right, play on."""
        self.beat(playing=False, event="pause")
        self.clock.advance(self.think)
        status, body = self.answer(question["id"], Question.get_by_id(question["id"]).answer)
        assert status == 200 and body["data"]["correct"], body
        self.prompts += 1
        return self.beat(playing=True, event="play") if resume else body["data"]

    def play(self, seconds, answer=True):
        """Watch at 1x for `seconds` of real time, as player.js reports it.

        A "play" heartbeat, a timer heartbeat every `step` seconds while playing, and at the end a
        "pause" (or "ended") heartbeat with playing=false that carries the last stretch. Questions are
        answered honestly unless answer=False. Returns the heartbeats' answers.
        """
        answers = [self.beat(playing=True, event="play")]
        left = seconds
        while left > 1e-9 and self.pos < self.duration - 1e-9:
            dt = min(self.step, left, self.duration - self.pos)
            self.clock.advance(dt)
            self.pos += dt
            left -= dt
            if self.pos >= self.duration - 1e-9:
                playing, event = False, "ended"
            elif left <= 1e-9:
                playing, event = False, "pause"
            else:
                playing, event = True, "timer"
            data = self.beat(playing=playing, event=event)
            answers.append(data)
            if data["status"] == "ask" and answer:
                answers.append(self.answer_honestly(data["question"], resume=playing))
        return answers


# ---- the cheating-attack tests (test_learning_attacks_*.py) ----------------------------------------

LONG = 3600


@pytest.fixture(name="plan")
def attack_plan_fixture(app):
    """One course: a one-hour chapter and a one-minute chapter."""
    return make_plan(courses=((LONG, 60),))


@pytest.fixture(name="learner")
def attack_learner_fixture(app, plan):
    return make_learner(app, plan)


@pytest.fixture(name="prompts_every_10s")
def prompts_every_10s_fixture(app):
    app.config.update(LEARNING_PROMPT_MIN_SECONDS=10, LEARNING_PROMPT_MAX_SECONDS=10)


def report(name, earned, real):
    print(f"\nATTACK {name}: earned {earned} s of coverage in {real:.2f} s of real time")


def bits(learner, chapter, start, end):
    """Which seconds in [start, end) are credited."""
    key = f"learn:cov:{learner.user.id}:{chapter.id}"
    return [s for s in range(start, end) if get_redis().getbit(key, s)]
