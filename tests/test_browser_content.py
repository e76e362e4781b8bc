"""Headless Chromium at a PC width: a content editor builds next year's plan (project, course, a chapter whose
video needs transcoding, questions) and publishes it; a learner who bought it watches that chapter and is asked
one of those questions."""
import datetime
import subprocess
import time

import pytest
from playwright.sync_api import expect

from app.accounts.models import User
from app.content import video
from app.db import utcnow
from app.jobs import drain
from app.learning.flush import flush_dirty
from app.learning.models import Chapter, ChapterProgress, Course, Project, Question
from app.staff.models import AuditEntry
from app.storage import storage
from tests.refund_helpers import buy
from tests.staff_fixtures import make_staff_member

pytestmark = pytest.mark.browser


@pytest.fixture
def lecture(tmp_path):
    """A 6-second lecture as MPEG-4 Part 2 video with PCM sound in AVI: not playable in a browser as it is."""
    path = tmp_path / "第一讲.avi"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=6:size=320x240:rate=15",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=6", "-c:v", "mpeg4", "-c:a", "pcm_s16le",
                    str(path)], check=True, timeout=60)
    info = video.probe(path)
    assert (info["video"], info["audio"]) == ("mpeg4", "pcm_s16le") and video.needs_transcode(info)
    return path


def login(page, base, username, password="Secret123"):
    page.goto(base + "/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("#submit")
    page.wait_for_load_state()


def test_editor_builds_and_publishes_a_plan_that_a_buyer_then_learns(app, live_server, page, browser, registered,
                                                                     sandbox_api, lecture, shots, engine):
    app.config.update(LEARNING_HEARTBEAT_SECONDS=1, LEARNING_PROMPT_MIN_SECONDS=2, LEARNING_PROMPT_MAX_SECONDS=3)
    make_staff_member(app, ("content_editor",), i=901)
    next_year = (utcnow() + datetime.timedelta(hours=8)).year + 1
    today = (utcnow() + datetime.timedelta(hours=8)).date()
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live_server, "staff901")
    page.goto(live_server + "/staff/content/")
    page.click("#new-project")
    # Bad input first: a clear message per field, nothing saved.
    page.fill("#f-price_yuan", "六十")
    page.fill("#f-sale_end", (today - datetime.timedelta(days=3)).isoformat())
    page.fill("#f-sale_start", today.isoformat())
    page.click("#save-project")
    expect(page.locator("#form-error")).to_contain_text("请修改标出的 2 项")
    expect(page.locator(".field.invalid")).to_have_count(2)
    assert Project.select().count() == 0
    page.fill("#f-year", str(next_year))
    page.fill("#f-name", f"{next_year}年公需科目")
    page.fill("#f-price_yuan", "88.50")
    page.fill("#f-credit_hours", "6")
    page.fill("#f-sale_end", f"{next_year}-12-31")
    page.click("#save-project")
    expect(page.locator("#project-state")).to_have_text("草稿")
    project = Project.get(Project.year == next_year)
    assert (project.price_fen, project.credit_hours, project.is_published, project.grant_only) == (
        8850, 6, False, False)
    assert project.sale_start == datetime.datetime.combine(today, datetime.time()) - datetime.timedelta(hours=8)
    assert project.sale_end == datetime.datetime(next_year + 1, 1, 1) - datetime.timedelta(hours=8)

    page.click("#new-course")
    page.fill("#f-title", "数字政府建设与治理")
    page.fill("#f-lecturer", "周教授")
    page.fill("#f-summary", "数字政府的框架、案例和方法。")
    page.fill("#f-credit_hours", "6")
    page.click("#save-course")
    expect(page.locator("#course-state")).to_have_text("草稿")
    course = Course.get(Course.project == project.id)
    assert (course.title, course.lecturer, course.summary, course.published_at) == (
        "数字政府建设与治理", "周教授", "数字政府的框架、案例和方法。", None)
    cover = lecture.parent / "cover.png"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x07c160:s=320x180", "-frames:v", "1",
                    str(cover)], check=True, timeout=60)
    page.set_input_files("#f-cover", str(cover))
    page.click("#upload-cover")
    expect(page.locator("#cover-image")).to_be_visible()
    assert page.evaluate("document.getElementById('cover-image').naturalWidth") == 320
    page.click("#publish-course")  # nothing to publish yet: told why
    expect(page.locator("#form-error")).to_have_text("课程还没有章节")

    page.click("#new-chapter")
    page.fill("#f-title", "第一讲 总论")
    page.set_input_files("#f-video", str(lecture))
    page.click("#upload-chapter")
    expect(page.locator("#video-state")).to_have_text("等待处理")
    chapter = Chapter.get(Chapter.course == course.id)
    assert (chapter.video_state, chapter.video_key) == ("uploaded", None)
    drain(app, queue_name="video")  # the video queue's worker; the page keeps polling meanwhile
    expect(page.locator("#video-state")).to_have_text("可播放", timeout=15000)
    expect(page.locator("#video-percent")).to_have_text("100%")
    expect(page.locator("#video-duration")).to_have_text("6")
    expect(page.locator("#video-note")).to_have_text("原视频 mpeg4/pcm_s16le，已转码为 H.264/AAC")
    page.screenshot(path=str(shots / f"content-chapter-{engine}.png"))
    chapter = Chapter.get_by_id(chapter.id)
    stored = storage().path_of(chapter.video_key)
    assert video.probe(stored)["video"] == "h264" and video.probe(stored)["audio"] == "aac"
    assert [k for k in storage().root.joinpath("uploads", "chapters").iterdir()] == []  # the upload is dropped

    page.goto(f"{live_server}/staff/content/courses/{course.id}")
    questions = [("数字政府建设的核心是什么？", "以人民为中心\n以技术为中心\n以部门为中心", "1"),
                 ("政务数据共享应遵循什么原则？", "无条件共享\n依法依规、安全可控\n不共享", "2")]
    page.fill("#f-text", "只有一个选项的题目")
    page.fill("#f-options", "只有一个选项")
    page.fill("#f-answer", "1")
    page.click("#add-question")
    expect(page.locator("#question-form .field-error").first).to_have_text("请填写 2–6 个选项，每行一个")
    assert Question.select().where(Question.course == course.id).count() == 0
    for text, options, answer in questions:
        page.fill("#f-text", text)
        page.fill("#f-options", options)
        page.fill("#f-answer", answer)
        page.click("#add-question")
        expect(page.locator("#question-list")).to_contain_text(text)
    page.click("#publish-course")
    expect(page.locator("#confirm-form")).to_contain_text("2 道题")
    page.screenshot(path=str(shots / f"content-publish-{engine}.png"), full_page=True)
    page.click("#confirm-form button[type=submit]")
    expect(page.locator("#course-state")).to_have_text("已发布")
    page.goto(f"{live_server}/staff/content/projects/{project.id}")
    page.click("#publish-project")
    expect(page.locator("#project-state")).to_have_text("已上架")
    assert {e.action for e in AuditEntry.select()} >= {"project.create", "course.create", "chapter.create",
                                                        "chapter.video", "question.create", "course.publish",
                                                        "project.publish"}

    # The learner buys the plan (order, WeChat Pay sandbox) and watches the chapter in their own browser.
    learner = User.get(User.name == "张三")
    buy(sandbox_api, learner, Project.get_by_id(project.id))
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    learner_page = context.new_page()
    login(learner_page, live_server, registered["mobile"])
    learner_page.goto(f"{live_server}/learning/chapters/{chapter.id}")
    learner_page.wait_for_selector("#player[data-session]")
    assert learner_page.get_attribute("#video", "src").startswith(f"/media/chapters/{chapter.id}.mp4?")
    learner_page.evaluate("document.getElementById('video').play()")
    expect(learner_page.locator("#prompt")).to_be_visible(timeout=15000)
    asked = learner_page.locator("#prompt-text").inner_text()
    assert asked in {text for text, _, _ in questions}
    deadline = time.monotonic() + 40
    while not learner_page.locator("#done").is_visible():
        assert time.monotonic() < deadline, "the chapter did not complete"
        if learner_page.locator("#prompt").is_visible():
            question = Question.get(Question.text == learner_page.locator("#prompt-text").inner_text())
            assert question.course_id == course.id
            learner_page.locator("#prompt-options button").nth(question.answer).click()
            expect(learner_page.locator("#prompt")).to_be_hidden()
            if learner_page.evaluate("document.getElementById('video').paused"):
                learner_page.evaluate("document.getElementById('video').play()")
        learner_page.wait_for_timeout(300)
    learner_page.screenshot(path=str(shots / f"content-learner-{engine}.png"))
    learner_page.goto(f"{live_server}/learning/courses/{course.id}")
    expect(learner_page.locator("#course-intro")).to_contain_text("数字政府的框架、案例和方法。")
    assert learner_page.evaluate("document.querySelector('.course-cover').naturalWidth") == 320
    flush_dirty()
    assert ChapterProgress.get(ChapterProgress.user == learner.id, ChapterProgress.chapter == chapter.id).completed_at
    context.close()
