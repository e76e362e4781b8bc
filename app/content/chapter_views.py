"""Chapters of a course in the console: a title and a video upload (streamed to storage, up to
UPLOAD_LIMIT, 2 GiB), then probing and transcoding on the video queue while the page shows
the progress (app/content/video.py)."""
import secrets

from flask import flash, jsonify, redirect, render_template, request, url_for

from app.content import editor
from app.content.staff_views import ROLES, _course, bp, found_or_404
from app.content.video import queue_processing, release_video
from app.learning.models import Chapter, Course
from app.security import large_body
from app.staff import audit
from app.staff.frame import staff_required
from app.storage import storage

UPLOAD_LIMIT = 2 * 1024 ** 3  # 2 GiB: a lecture of a few hours in 1080p
STATE_TEXT = {"uploaded": "等待处理", "processing": "处理中", "ready": "可播放", "failed": "处理失败"}


def _chapter(chapter_id):
    return found_or_404(Chapter, chapter_id, "章节不存在，请从课程中选择")


def _store_upload(chapter):
    """Stream the uploaded file to storage and queue its processing; an error message, or None."""
    upload = request.files.get("video")
    if upload is None or not upload.filename:
        return "请选择视频文件"
    key = f"uploads/chapters/{chapter.id}-{secrets.token_hex(6)}"
    size = storage().put_file(key, upload.stream, upload.mimetype or "application/octet-stream")
    if size == 0:
        storage().delete(key)
        return "视频文件是空的"
    queue_processing(chapter.id, key)
    audit.record("chapter.video", "chapter", chapter.id, detail={"bytes": size, "file": upload.filename[:80]})
    return None


def _limit_text():
    return f"{UPLOAD_LIMIT / 1024 ** 3:g} GB"


@bp.route("/courses/<int:course_id>/chapters/new", methods=["GET", "POST"])
@large_body(UPLOAD_LIMIT)
@staff_required(*ROLES)
def chapter_new(course_id):
    course = _course(course_id)
    errors = {}
    if request.method == "POST":
        chapter = editor.new_chapter(course, request.form.get("title", ""), errors)
        if chapter is not None:
            problem = _store_upload(chapter)
            if problem:
                Chapter.delete().where(Chapter.id == chapter.id).execute()
                errors["video"] = problem
            else:
                audit.record("chapter.create", "chapter", chapter.id, after={"title": chapter.title},
                             detail={"course": course.title})
                flash("视频已上传，正在处理")
                return redirect(url_for("content_staff.chapter", chapter_id=chapter.id))
    return render_template("content/chapter_new.html", course=course, errors=errors, limit=_limit_text(),
                           title=request.form.get("title", ""), active_section="content"), 422 if errors else 200


@bp.route("/chapters/<int:chapter_id>")
@staff_required(*ROLES)
def chapter(chapter_id, confirm_delete=False):
    found = _chapter(chapter_id)
    return render_template("content/chapter.html", chapter=found, course=Course.get_by_id(found.course_id),
                           state_text=STATE_TEXT, started=editor.chapter_started(found.id), limit=_limit_text(),
                           confirm_delete=confirm_delete, active_section="content")


@bp.route("/chapters/<int:chapter_id>/state")
@staff_required(*ROLES)
def chapter_state(chapter_id):
    """What the chapter page polls while the video is processed."""
    found = _chapter(chapter_id)
    return jsonify({"state": found.video_state, "state_text": STATE_TEXT.get(found.video_state, found.video_state),
                    "progress": found.video_progress, "note": found.video_note,
                    "duration": found.duration_seconds})


@bp.route("/chapters/<int:chapter_id>/video", methods=["POST"])
@large_body(UPLOAD_LIMIT)
@staff_required(*ROLES)
def chapter_video(chapter_id):
    """Replace the video: only while no learner has watched the chapter (their seconds stay meaningful)."""
    found = _chapter(chapter_id)
    if editor.chapter_started(found.id):
        flash("已有学员观看本章节，不能更换视频；请新增章节", "error")
    else:
        problem = _store_upload(found)
        flash(problem or "视频已上传，正在处理", "error" if problem else "message")
    return redirect(url_for("content_staff.chapter", chapter_id=found.id))


@bp.route("/chapters/<int:chapter_id>/delete", methods=["POST"])
@staff_required(*ROLES)
def chapter_delete(chapter_id):
    found = _chapter(chapter_id)
    if editor.chapter_started(found.id):
        flash("已有学员观看本章节，不能删除", "error")
        return redirect(url_for("content_staff.chapter", chapter_id=found.id))
    if request.form.get("confirmed") != "1":
        return chapter(found.id, confirm_delete=True)
    Chapter.delete().where(Chapter.id == found.id).execute()
    release_video(found.video_key)
    audit.record("chapter.delete", "chapter", found.id, before={"title": found.title})
    flash(f"已删除章节：{found.title}")
    return redirect(url_for("content_staff.course", course_id=found.course_id))
