"""The console's 课程内容 section (content editors): projects by year, their courses, question banks, publishing.

Views are thin: app/content/editor.py holds the rules; chapter uploads are in chapter_views.py.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.content import covers, editor
from app.content.covers import COVER_LIMIT
from app.errors import ApiError
from app.learning.models import Chapter, Course, Project, Question
from app.security import large_body
from app.staff import audit
from app.staff.frame import register_section, staff_required

bp = Blueprint("content_staff", __name__, url_prefix="/staff/content")
ROLES = ("content_editor",)

register_section("content", "课程内容", "content_staff.projects", ROLES, order=60)
for _action, _title in (("project.create", "新建培训项目"), ("project.update", "修改培训项目"),
                        ("project.publish", "上架培训项目"), ("project.unpublish", "下架培训项目"),
                        ("course.create", "新建课程"), ("course.update", "修改课程"), ("course.publish", "发布课程"),
                        ("course.unpublish", "撤回课程"), ("course.cover", "更换课程封面"),
                        ("question.create", "新增题目"), ("question.delete", "删除题目"),
                        ("chapter.create", "新增章节"), ("chapter.video", "上传章节视频"),
                        ("chapter.delete", "删除章节")):
    audit.register_action(_action, _title)


def found_or_404(model, row_id, message):
    """The row, or a 404 inside the console that says what is missing (never a bare error page)."""
    found = model.get_or_none(model.id == row_id)
    if found is None:
        raise ApiError(message, status=404)
    return found


def _project(project_id):
    return found_or_404(Project, project_id, "培训项目不存在，请从列表中选择")


def _course(course_id):
    return found_or_404(Course, course_id, "课程不存在，请从项目中选择")


@bp.route("/")
@staff_required(*ROLES)
def projects():
    """Every project, newest year first, with its courses and whether learners see it."""
    rows = list(Project.select().order_by(Project.year.desc(), Project.id.desc()))
    counts = {}
    for course in Course.select(Course.project, Course.published_at):
        total, live = counts.get(course.project_id, (0, 0))
        counts[course.project_id] = (total + 1, live + (course.published_at is not None))
    return render_template("content/projects.html", projects=rows, counts=counts,
                           china_date=editor.china_date, active_section="content")


@bp.route("/projects/new", methods=["GET", "POST"])
@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@staff_required(*ROLES)
def project_edit(project_id=None):
    project = _project(project_id) if project_id else None
    form, errors = editor.project_form(project), {}
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in form}
        before = editor.project_form(project) if project else None
        saved, errors = editor.save_project(request.form, project)
        if not errors:
            audit.record("project.update" if project else "project.create", "project", saved.id,
                         before=before, after=editor.project_form(saved))
            flash(f"已保存：{saved.name}")
            return redirect(url_for("content_staff.project", project_id=saved.id))
    return render_template("content/project_form.html", project=project, form=form, errors=errors,
                           active_section="content"), 422 if errors else 200


@bp.route("/projects/<int:project_id>")
@staff_required(*ROLES)
def project(project_id):
    found = _project(project_id)
    courses = list(Course.select().where(Course.project == found.id).order_by(Course.position, Course.id))
    chapters = {}
    for ch in Chapter.select(Chapter.course, Chapter.video_state).where(Chapter.course.in_([c.id for c in courses])):
        chapters.setdefault(ch.course_id, []).append(ch.video_state)
    return render_template("content/project.html", project=found, courses=courses, chapters=chapters,
                           china_date=editor.china_date, active_section="content",
                           has_learners=editor.project_has_learners(found))


@bp.route("/projects/<int:project_id>/<any(publish, unpublish):action>", methods=["POST"])
@staff_required(*ROLES)
def project_publish(project_id, action):
    found = _project(project_id)
    if action == "unpublish" and editor.project_has_learners(found):
        flash("已有学员拥有该项目，不能下架", "error")
        return redirect(url_for("content_staff.project", project_id=found.id))
    editor.publish_project(found, action == "publish")
    audit.record(f"project.{action}", "project", found.id, before={"is_published": found.is_published},
                 after={"is_published": action == "publish"})
    flash("项目已上架，学员可以看到" if action == "publish" else "项目已下架")
    return redirect(url_for("content_staff.project", project_id=found.id))


@bp.route("/projects/<int:project_id>/courses/new", methods=["GET", "POST"])
@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@staff_required(*ROLES)
def course_edit(project_id=None, course_id=None):
    course = _course(course_id) if course_id else None
    project = _project(course.project_id if course else project_id)
    form, errors = editor.course_form(course), {}
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in form}
        before = editor.course_form(course) if course else None
        saved, errors = editor.save_course(request.form, project, course)
        if not errors:
            audit.record("course.update" if course else "course.create", "course", saved.id, before=before,
                         after=editor.course_form(saved), detail={"project": project.name})
            flash(f"已保存课程：{saved.title}")
            return redirect(url_for("content_staff.course", course_id=saved.id))
    return render_template("content/course_form.html", project=project, course=course, form=form, errors=errors,
                           active_section="content"), 422 if errors else 200


def _render_course(course, status=200, **extra):
    chapters = list(Chapter.select().where(Chapter.course == course.id).order_by(Chapter.position, Chapter.id))
    questions = list(Question.select().where(Question.course == course.id).order_by(Question.id))
    return render_template("content/course.html", course=course, project=_project(course.project_id),
                           chapters=chapters, questions=questions, started=editor.course_started(course.id),
                           problems=editor.publish_problems(course), question_form=extra.pop("question_form", {}),
                           question_errors=extra.pop("question_errors", {}), options_of=_options,
                           cover_url=covers.cover_url(course),
                           active_section="content", **extra), status


def _options(question):
    import json

    return json.loads(question.options)


@bp.route("/courses/<int:course_id>")
@staff_required(*ROLES)
def course(course_id):
    return _render_course(_course(course_id))


@bp.route("/courses/<int:course_id>/<any(publish, unpublish):action>", methods=["POST"])
@staff_required(*ROLES)
def course_publish(course_id, action):
    """Publishing asks for a confirmation that says what learners will see; refusals are explained."""
    found = _course(course_id)
    problems = editor.publish_problems(found) if action == "publish" else editor.unpublish_problems(found)
    if problems:
        return _render_course(found, 409, error=ApiError("；".join(problems), status=409))
    if request.form.get("confirmed") != "1":
        return _render_course(found, confirm_action=action)
    if action == "publish":
        editor.publish_course(found)
    else:
        Course.update(published_at=None).where(Course.id == found.id).execute()
    audit.record(f"course.{action}", "course", found.id, before={"published": found.published_at is not None},
                 after={"published": action == "publish"}, detail={"title": found.title})
    flash("课程已发布，拥有该项目的学员可以学习" if action == "publish" else "课程已撤回为草稿")
    return redirect(url_for("content_staff.course", course_id=found.id))


@bp.route("/courses/<int:course_id>/cover", methods=["POST"])
@large_body(COVER_LIMIT + 64 * 1024)
@staff_required(*ROLES)
def course_cover(course_id):
    found = _course(course_id)
    problem = covers.save(found, request.files.get("cover"))
    if problem:
        return _render_course(found, 422, cover_error=problem)
    audit.record("course.cover", "course", found.id, detail={"title": found.title})
    flash("封面已更新")
    return redirect(url_for("content_staff.course", course_id=found.id))


@bp.route("/courses/<int:course_id>/questions", methods=["POST"])
@staff_required(*ROLES)
def question_add(course_id):
    found = _course(course_id)
    question, errors = editor.save_question(request.form, found)
    if errors:
        form = {k: request.form.get(k, "") for k in ("text", "options", "answer")}
        return _render_course(found, 422, question_form=form, question_errors=errors)
    audit.record("question.create", "question", question.id, after={"text": question.text},
                 detail={"course": found.title})
    flash("已添加题目")
    return redirect(url_for("content_staff.course", course_id=found.id) + "#questions")


@bp.route("/questions/<int:question_id>/delete", methods=["POST"])
@staff_required(*ROLES)
def question_delete(question_id):
    question = Question.get_or_none(Question.id == question_id, Question.course.is_null(False))
    if question is None:
        raise ApiError("题目不存在", status=404)
    if editor.course_started(question.course_id):
        flash("已有学员学习本课程，题目可能正在作答，不能删除", "error")
        return redirect(url_for("content_staff.course", course_id=question.course_id) + "#questions")
    Question.delete().where(Question.id == question.id).execute()
    audit.record("question.delete", "question", question.id, before={"text": question.text})
    flash("已删除题目")
    return redirect(url_for("content_staff.course", course_id=question.course_id) + "#questions")
