"""The content editor's rules through the console: drafts, publishing, what may change once learners started,
uploads that are not videos, roles and mistyped numbers."""
import io

import pytest
from PIL import Image

from app.content import video
from app.jobs import drain
from app.learning import progress
from app.learning.flush import course_check
from app.learning.models import Chapter, ChapterProgress, Course, CourseCompletion, Project
from app.staff.models import AuditEntry
from app.storage import storage
from tests.learning_fixtures import make_learner, make_plan
from tests.staff_fixtures import make_staff_member, text_of


@pytest.fixture
def editor(app):
    return make_staff_member(app, ("content_editor",), i=970)


def _draft_course(editor, project):
    resp = editor.post(f"/staff/content/projects/{project.id}/courses/new",
                       {"title": "新课程", "lecturer": "讲师", "summary": "简介", "credit_hours": "2"})
    assert resp.status_code == 302
    return Course.get(Course.title == "新课程")


def test_a_draft_course_is_invisible_until_published_with_ready_chapters(app, editor):
    plan = make_plan(courses=((10,),))
    learner = make_learner(app, plan, i=1)
    course = _draft_course(editor, plan.project)
    assert course.published_at is None
    status, body = learner.get(f"/me/plans/{plan.project.id}/courses")
    assert [c["title"] for c in body["data"]["items"]] == ["课程1"]
    assert body["data"]["progress"]["courses_total"] == 1
    refused = editor.post(f"/staff/content/courses/{course.id}/publish")
    assert refused.status_code == 409 and "课程还没有章节" in text_of(refused)
    Chapter.create(course=course.id, title="第1讲", duration_seconds=0, video_state="processing", video_progress=40)
    refused = editor.post(f"/staff/content/courses/{course.id}/publish")
    assert refused.status_code == 409 and "以下章节的视频尚未就绪：第1讲" in text_of(refused)
    Chapter.update(video_state="ready", video_key=plan.chapter.video_key, duration_seconds=12).where(
        Chapter.course == course.id).execute()
    confirm = editor.post(f"/staff/content/courses/{course.id}/publish")
    assert confirm.status_code == 200 and "确认发布课程" in text_of(confirm)
    assert Course.get_by_id(course.id).published_at is None  # nothing happens before the confirmation
    assert editor.post(f"/staff/content/courses/{course.id}/publish", {"confirmed": "1"}).status_code == 302
    assert Course.get_by_id(course.id).published_at is not None
    status, body = learner.get(f"/me/plans/{plan.project.id}/courses")
    assert [c["title"] for c in body["data"]["items"]] == ["课程1", "新课程"]
    assert AuditEntry.get(AuditEntry.action == "course.publish").target_id == str(course.id)


def test_a_started_course_keeps_its_chapters_and_earned_completion(app, editor):
    plan = make_plan(courses=((10,),), course_hours=6, credit_hours=6)
    done, halfway = make_learner(app, plan, i=1), make_learner(app, plan, i=2)
    ChapterProgress.create(user=done.user.id, chapter=plan.chapter.id, watched_seconds=10,
                           completed_at=plan.project.created_at)
    assert course_check(done.user.id, plan.courses[0].id) is True
    ChapterProgress.create(user=halfway.user.id, chapter=plan.chapter.id, watched_seconds=4)
    chapter_page = editor.get(f"/staff/content/chapters/{plan.chapter.id}")
    assert "已有学员观看本章节：不能删除或更换视频" in text_of(chapter_page)
    editor.post(f"/staff/content/chapters/{plan.chapter.id}/delete")
    assert Chapter.get_or_none(Chapter.id == plan.chapter.id) is not None
    editor.client.post(f"/staff/content/chapters/{plan.chapter.id}/video",
                       data={"csrf_token": editor.csrf, "video": (io.BytesIO(b"x" * 100), "new.mp4")})
    assert Chapter.get_by_id(plan.chapter.id).video_key == plan.chapter.video_key
    refused = editor.post(f"/staff/content/courses/{plan.courses[0].id}/unpublish")
    assert refused.status_code == 409 and "已有学员开始学习本课程，不能撤回" in text_of(refused)
    # A chapter added later: the learner who completed keeps it, the other must also watch the new one.
    Chapter.create(course=plan.courses[0].id, title="第2讲", position=1, duration_seconds=12,
                   video_key=plan.chapter.video_key)
    assert CourseCompletion.select().where(CourseCompletion.user == done.user.id).count() == 1
    assert progress.plan_progress(done.user, plan.project)["complete"] is True
    ChapterProgress.update(watched_seconds=10, completed_at=plan.project.created_at).where(
        ChapterProgress.user == halfway.user.id).execute()
    assert course_check(halfway.user.id, plan.courses[0].id) is False
    assert progress.plan_progress(halfway.user, plan.project)["complete"] is False


def test_an_upload_that_is_not_a_video_fails_clearly_and_leaves_nothing(app, editor):
    plan = make_plan(courses=((10,),))
    course = _draft_course(editor, plan.project)
    resp = editor.client.post(f"/staff/content/courses/{course.id}/chapters/new",
                              data={"csrf_token": editor.csrf, "title": "第1讲",
                                    "video": (io.BytesIO(b"not a video at all" * 100), "lecture.mp4")})
    assert resp.status_code == 302
    chapter = Chapter.get(Chapter.course == course.id)
    assert chapter.video_state == "uploaded"
    drain(app, queue_name="video")
    chapter = Chapter.get_by_id(chapter.id)
    assert (chapter.video_state, chapter.video_note, chapter.video_key) == ("failed", "无法识别的视频文件", None)
    assert list(storage().root.joinpath("uploads", "chapters").iterdir()) == []
    page = editor.get(f"/staff/content/chapters/{chapter.id}")
    assert "处理失败" in text_of(page) and "无法识别的视频文件" in text_of(page)
    asked = editor.post(f"/staff/content/chapters/{chapter.id}/delete")
    assert asked.status_code == 200 and "确认删除章节" in text_of(asked)
    assert Chapter.get_or_none(Chapter.id == chapter.id) is not None  # nothing happens before the confirmation
    assert editor.post(f"/staff/content/chapters/{chapter.id}/delete", {"confirmed": "1"}).status_code == 302
    assert Chapter.get_or_none(Chapter.id == chapter.id) is None
    assert AuditEntry.get(AuditEntry.action == "chapter.delete").target_id == str(chapter.id)
    missing = editor.client.post(f"/staff/content/courses/{course.id}/chapters/new",
                                 data={"csrf_token": editor.csrf, "title": "第2讲"})
    assert missing.status_code == 422 and "请选择视频文件" in text_of(missing)
    assert Chapter.select().where(Chapter.course == course.id).count() == 0


def test_the_video_job_runs_on_its_own_queue(app, editor):
    plan = make_plan(courses=((10,),))
    course = _draft_course(editor, plan.project)
    editor.client.post(f"/staff/content/courses/{course.id}/chapters/new",
                       data={"csrf_token": editor.csrf, "title": "第1讲",
                             "video": (io.BytesIO(storage().get(plan.chapter.video_key)), "a.mp4")})
    assert app.extensions["queue"].count == 0
    from app.jobs import named_queue

    with app.app_context():
        queued = named_queue("video")
        assert queued.name == app.config["QUEUE_NAME"] + "-video" and queued.count == 1
    drain(app, queue_name="video")
    chapter = Chapter.get(Chapter.course == course.id)
    assert (chapter.video_state, chapter.duration_seconds, chapter.video_progress) == ("ready", 12, 100)
    assert chapter.video_note == "H.264/aac，未转码"
    assert video.probe(storage().path_of(chapter.video_key))["video"] == "h264"


def _image(fmt, size, exif=False, alpha=False):
    image = Image.new("RGBA" if alpha else "RGB", size, (7, 193, 96, 0) if alpha else (7, 193, 96))
    out = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[0x0110] = "Phone X"  # Model
        tags[0x8825] = {2: (29.0, 33.0, 0.0)}  # GPSInfo: latitude
        image.save(out, fmt, exif=tags)
    else:
        image.save(out, fmt)
    return out.getvalue()


def test_a_cover_must_be_an_image_of_at_most_2_mb(app, editor):
    plan = make_plan(courses=((10,),))
    course = plan.courses[0]
    fake = editor.client.post(f"/staff/content/courses/{course.id}/cover",
                              data={"csrf_token": editor.csrf, "cover": (io.BytesIO(b"<svg>not a picture</svg>"),
                                                                         "cover.png")})
    assert fake.status_code == 422 and "封面应为 PNG、JPEG 或 WebP 图片" in text_of(fake)
    big = b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024)
    too_big = editor.client.post(f"/staff/content/courses/{course.id}/cover",
                                 data={"csrf_token": editor.csrf, "cover": (io.BytesIO(big), "big.png")})
    assert too_big.status_code == 422 and "封面图片不能超过 2 MB" in text_of(too_big)
    assert Course.get_by_id(course.id).cover_key is None
    broken = b"\xff\xd8\xff\xe0" + b"\x00" * 200  # a JPEG's first bytes, nothing behind them
    refused = editor.client.post(f"/staff/content/courses/{course.id}/cover",
                                 data={"csrf_token": editor.csrf, "cover": (io.BytesIO(broken), "c.jpg")})
    assert refused.status_code == 422 and "图片无法读取" in text_of(refused)
    assert Course.get_by_id(course.id).cover_key is None
    photo = _image("JPEG", (3000, 2000), exif=True)
    ok = editor.client.post(f"/staff/content/courses/{course.id}/cover",
                            data={"csrf_token": editor.csrf, "cover": (io.BytesIO(photo), "c.jpg")})
    assert ok.status_code == 302
    key = Course.get_by_id(course.id).cover_key
    kept = Image.open(io.BytesIO(storage().get(key)))
    assert (key.endswith(".jpg"), kept.format, kept.size) == (True, "JPEG", (1280, 853))  # scaled down
    assert dict(kept.getexif()) == {}  # the camera's metadata (GPS, model) is not kept
    served = app.test_client().get(f"/media/covers/{course.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and served.data == storage().get(key)
    clear = editor.client.post(f"/staff/content/courses/{course.id}/cover", data={
        "csrf_token": editor.csrf, "cover": (io.BytesIO(_image("PNG", (320, 180), alpha=True)), "c.png")})
    assert clear.status_code == 302
    replaced = Course.get_by_id(course.id).cover_key
    assert replaced != key and not storage().exists(key)  # the old cover is removed
    flat = Image.open(io.BytesIO(storage().get(replaced)))
    assert (flat.format, flat.size, flat.mode) == ("JPEG", (320, 180), "RGB")
    assert flat.getpixel((5, 5)) == (255, 255, 255)  # transparency flattened onto white
    assert app.test_client().get(f"/media/covers/{course.id + 1000}").status_code == 404


def test_projects_grant_only_mode_roles_and_mistyped_numbers(app, editor):
    resp = editor.post("/staff/content/projects/new", {"year": "2025", "name": "2025年公需科目（补学）",
                                                       "price_yuan": "0", "credit_hours": "30", "mode": "grant",
                                                       "sale_start": "2025-01-01", "sale_end": "2025-12-31"})
    assert resp.status_code == 302
    project = Project.get(Project.year == 2025)
    assert (project.grant_only, project.is_published, project.on_sale()) == (True, False, False)
    bad = editor.post(f"/staff/content/projects/{project.id}/edit", {"year": "25", "name": "x", "price_yuan": "1.234",
                                                                     "credit_hours": "0", "sale_start": "2025-13-01",
                                                                     "sale_end": "2025-12-31"})
    assert bad.status_code == 422 and "请修改标出的 4 项" in text_of(bad)
    assert Project.get_by_id(project.id).name == "2025年公需科目（补学）"
    missing = editor.get("/staff/content/projects/99999")
    assert missing.status_code == 404 and "培训项目不存在" in text_of(missing)
    assert editor.get("/staff/content/courses/2147483648").status_code == 404
    finance = make_staff_member(app, ("finance",), i=971)
    assert finance.get("/staff/content/").status_code == 403
    assert finance.post(f"/staff/content/projects/{project.id}/publish").status_code == 403
