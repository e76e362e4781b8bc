"""Headless Chromium: a real video plays a demo chapter at 1x, a question is answered, the course completes."""
import time

import pytest
from playwright.sync_api import expect

from app.accounts.models import User
from app.demo import demo_year
from app.learning import catalog
from app.learning.flush import flush_dirty
from app.learning.models import Chapter, ChapterProgress, Course, CourseCompletion, Enrollment, Project, Question

pytestmark = pytest.mark.browser


@pytest.fixture
def quick_app(app):
    """Short demo chapters: a heartbeat every second and a question after a few seconds."""
    app.config.update(LEARNING_HEARTBEAT_SECONDS=1, LEARNING_PROMPT_MIN_SECONDS=3, LEARNING_PROMPT_MAX_SECONDS=4)
    return app


@pytest.fixture
def one_chapter_course(quick_app, registered):
    from app.demo import seed_catalogue

    seed_catalogue()
    project = Project.get(Project.year == demo_year())
    course = Course.select().where(Course.project == project.id).order_by(Course.position).first()
    Chapter.delete().where(Chapter.course == course.id, Chapter.position > 0).execute()  # keep the 12 s chapter
    Enrollment.create(user=User.get().id, project=project.id, source="grant")
    return course


def _answer(page):
    """Answer the open question right (the test knows the bank; the page is never told the answer)."""
    question = Question.get(Question.text == page.locator("#prompt-text").inner_text())
    page.locator("#prompt-options button").nth(question.answer).click()
    expect(page.locator("#prompt")).to_be_hidden()
    if page.evaluate("document.getElementById('video').paused"):
        page.evaluate("document.getElementById('video').play()")


def test_watch_a_course_through_with_a_prompt(quick_app, live_server, page, registered, one_chapter_course, shots,
                                              engine):
    course = one_chapter_course
    chapter = Chapter.get(Chapter.course == course.id)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/login")
    page.fill("#f-username", registered["mobile"])
    page.fill("#f-password", "Secret123")
    page.click("#submit")
    page.goto(f"{live_server}/learning/chapters/{chapter.id}")
    page.wait_for_selector("#player[data-session]")
    page.evaluate("document.getElementById('video').play()")
    # The server asks a question after a few seconds of credited watching; playback pauses.
    expect(page.locator("#prompt")).to_be_visible(timeout=15000)
    assert page.evaluate("document.getElementById('video').paused")
    page.screenshot(path=str(shots / f"player-prompt-{engine}.png"))
    _answer(page)
    # Watching on at 1x to the end, answering any further question: the chapter and the course complete.
    deadline = time.monotonic() + 40
    while not page.locator("#done").is_visible():
        assert time.monotonic() < deadline, "the chapter did not complete"
        if page.locator("#prompt").is_visible():
            _answer(page)
        page.wait_for_timeout(300)
    page.screenshot(path=str(shots / f"player-done-{engine}.png"))
    flush_dirty()
    user = User.get()
    assert ChapterProgress.get(ChapterProgress.user == user.id, ChapterProgress.chapter == chapter.id).completed_at
    assert CourseCompletion.get(CourseCompletion.user == user.id).credit_hours == course.credit_hours
    page.goto(f"{live_server}/learning/courses/{course.id}")
    expect(page.locator("#course-complete")).to_be_visible()
    page.goto(f"{live_server}/learning/{course.project_id}")
    expect(page.locator("#earned")).to_have_text(str(course.credit_hours))
    assert catalog.my_plans(user)[0]["id"] == course.project_id


def test_a_question_rewinds_the_video_and_too_many_wrong_answers_mean_a_wait(quick_app, live_server, page, registered,
                                                                              one_chapter_course, shots, engine):
    from app.redis_client import get_redis

    chapter = Chapter.get(Chapter.course == one_chapter_course.id)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/login")
    page.fill("#f-username", registered["mobile"])
    page.fill("#f-password", "Secret123")
    page.click("#submit")
    page.goto(f"{live_server}/learning/chapters/{chapter.id}")
    page.wait_for_selector("#player[data-session]")
    sid = page.get_attribute("#player", "data-session")
    page.evaluate("document.getElementById('video').play()")
    expect(page.locator("#prompt")).to_be_visible(timeout=15000)
    # Back to a second before where the question opened, and paused there.
    opened_ms = int(get_redis().hget(f"learn:s:{sid}", "last_pos"))
    assert page.evaluate("document.getElementById('video').paused")
    at = page.evaluate("document.getElementById('video').currentTime")
    assert at == pytest.approx(max(0, opened_ms // 1000 - 1), abs=0.05)
    for _ in range(3):
        question = Question.get(Question.text == page.locator("#prompt-text").inner_text())
        options = page.locator("#prompt-options button").count()
        page.locator("#prompt-options button").nth((question.answer + 1) % options).click()
        page.wait_for_timeout(300)
    expect(page.locator("#notice")).to_contain_text("回答错误次数过多，本次学习已结束，请 5 分钟后重新开始播放")
    page.reload()
    expect(page.locator("#notice")).to_have_text("回答错误次数过多，请 5 分钟后再继续学习")
    page.screenshot(path=str(shots / f"player-cooldown-{engine}.png"))
