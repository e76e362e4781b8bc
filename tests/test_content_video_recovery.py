"""A chapter video whose transcoding worker died is queued again by the periodic sweep, and fails clearly
after MAX_ATTEMPTS; a job still waiting in a long queue is not queued twice."""
import datetime
import io

import pytest

from app.content import video
from app.db import utcnow
from app.jobs import drain, named_queue
from app.learning.models import Chapter, Course
from app.storage import storage
from tests.learning_fixtures import make_plan
from tests.staff_fixtures import make_staff_member

LONG_AGO = datetime.timedelta(seconds=video.STALL_SECONDS + 60)


@pytest.fixture
def uploaded(app):
    """A draft course's chapter whose upload is stored and queued on the video queue."""
    editor = make_staff_member(app, ("content_editor",), i=971)
    plan = make_plan(courses=((10,),))
    resp = editor.post(f"/staff/content/projects/{plan.project.id}/courses/new",
                       {"title": "新课程", "lecturer": "讲师", "summary": "简介", "credit_hours": "2"})
    assert resp.status_code == 302
    course_id = Course.get(Course.title == "新课程").id
    resp = editor.client.post(f"/staff/content/courses/{course_id}/chapters/new",
                              data={"csrf_token": editor.csrf, "title": "第1讲",
                                    "video": (io.BytesIO(storage().get(plan.chapter.video_key)), "a.mp4")})
    assert resp.status_code == 302
    return Chapter.get(Chapter.course == course_id)


def _video_queue(app):
    with app.app_context():
        return named_queue("video")


def test_an_upload_is_recorded_on_its_chapter(app, uploaded):
    assert (uploaded.video_state, uploaded.video_attempts) == ("uploaded", 1)
    assert storage().exists(uploaded.video_upload_key) and _video_queue(app).count == 1


def test_a_job_whose_worker_died_is_queued_again_and_finishes(app, uploaded):
    _video_queue(app).empty()  # the worker took the job and died: nothing is queued any more
    Chapter.update(video_state="processing", video_progress=35,
                   video_touched_at=utcnow() - LONG_AGO).where(Chapter.id == uploaded.id).execute()
    assert video.sweep_stalled() == 1
    again = Chapter.get_by_id(uploaded.id)
    assert (again.video_attempts, again.video_state) == (2, "processing") and _video_queue(app).count == 1
    assert video.sweep_stalled() == 0  # just queued: it is given its time
    drain(app, queue_name="video")
    done = Chapter.get_by_id(uploaded.id)
    assert (done.video_state, done.video_progress, done.video_upload_key) == ("ready", 100, None)
    assert storage().exists(done.video_key) and not storage().exists(uploaded.video_upload_key)


def test_a_job_waiting_in_a_long_queue_is_not_queued_twice(app, uploaded):
    Chapter.update(video_touched_at=utcnow() - LONG_AGO).where(Chapter.id == uploaded.id).execute()
    assert video.sweep_stalled() == 0
    assert Chapter.get_by_id(uploaded.id).video_attempts == 1 and _video_queue(app).count == 1


def test_a_job_that_shows_life_is_left_alone(app, uploaded):
    _video_queue(app).empty()
    Chapter.update(video_state="processing", video_touched_at=utcnow()).where(Chapter.id == uploaded.id).execute()
    assert video.sweep_stalled() == 0 and Chapter.get_by_id(uploaded.id).video_attempts == 1


def test_after_the_last_attempt_the_chapter_fails_and_asks_for_a_new_upload(app, uploaded):
    _video_queue(app).empty()
    Chapter.update(video_state="processing", video_attempts=video.MAX_ATTEMPTS,
                   video_touched_at=utcnow() - LONG_AGO).where(Chapter.id == uploaded.id).execute()
    assert video.sweep_stalled() == 1
    failed = Chapter.get_by_id(uploaded.id)
    assert (failed.video_state, failed.video_note, failed.video_upload_key) == ("failed", video.STALLED_NOTE, None)
    assert not storage().exists(uploaded.video_upload_key) and _video_queue(app).count == 0


def test_a_replaced_upload_is_dropped_and_its_job_does_nothing(app, uploaded):
    first = uploaded.video_upload_key
    second = f"uploads/chapters/{uploaded.id}-bbbbbbbbbbbb"
    storage().put(second, storage().get(first), "video/mp4")
    video.queue_processing(uploaded.id, second)
    assert not storage().exists(first) and Chapter.get_by_id(uploaded.id).video_upload_key == second
    with app.app_context():
        assert video.process(uploaded.id, first) == "superseded"
    drain(app, queue_name="video")
    assert Chapter.get_by_id(uploaded.id).video_state == "ready"
