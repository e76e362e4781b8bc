"""H5 pages: the catalogue (home), a project, my training, a course, the player."""
import time

from flask import Blueprint, current_app, render_template, request

from app.accounts.policy import current_user, page
from app.errors import ApiError
from app.learning import catalog, progress
from app.learning.api import owned_course, owned_project
from app.learning.models import Chapter, Project

bp = Blueprint("learning", __name__)


@bp.route("/")
def home():
    return render_template("learning/home.html", projects=catalog.catalogue(current_user()))


@bp.route("/projects/<int:project_id>")
def project(project_id):
    found = Project.get_or_none(Project.id == project_id, Project.is_published == True)  # noqa: E712
    if found is None:
        raise ApiError("培训项目不存在", status=404)
    owned = found.id in catalog.owned_project_ids(current_user())
    return render_template("learning/project.html", project=catalog.project_view(found, owned, with_courses=True))


@bp.route("/learning")
@page()
def my_learning():
    """My training (R-9): the plans the learner owns, with requirement and completion."""
    user = current_user()
    plans = catalog.my_plans(user)
    for plan in plans:
        plan["progress"] = progress.plan_progress(user, Project.get_by_id(plan["id"]))
    from app.units.service import seat_units

    return render_template("learning/my_learning.html", plans=plans, bought_by=seat_units(user))


@bp.route("/learning/<int:project_id>")
@page()
def study(project_id):
    """A plan's page: credit requirement, completion, the course list (paged)."""
    found = owned_project(project_id)
    page_no = max(1, request.args.get("page", 1, type=int) or 1)
    return render_template("learning/study.html", project=catalog.project_view(found, owned=True),
                           progress=progress.plan_progress(current_user(), found),
                           courses=progress.courses_page(current_user(), found, page_no))


@bp.route("/learning/courses/<int:course_id>")
@page()
def course(course_id):
    detail = progress.course_detail(current_user(), owned_course(course_id))
    return render_template("learning/course.html", course=detail)


@bp.route("/learning/chapters/<int:chapter_id>")
@page()
def player(chapter_id):
    chapter = Chapter.get_or_none(Chapter.id == chapter_id)
    if chapter is None:
        raise ApiError("章节不存在", status=404)
    detail = progress.course_detail(current_user(), owned_course(chapter.course_id))
    current = next(c for c in detail["chapters"] if c["id"] == chapter.id)
    following = next((c for c in detail["chapters"] if c["id"] != chapter.id and c["state"] != "complete"), None)
    return render_template("learning/player.html", course=detail, chapter=current, next_chapter=following,
                           heartbeat=current_app.config["LEARNING_HEARTBEAT_SECONDS"],
                           link_expires=int(time.time()) + current_app.config["VIDEO_LINK_SECONDS"])
