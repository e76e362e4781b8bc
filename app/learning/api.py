"""Catalogue, "my training" and learning API under /api/v1 (the H5 player and the mini-program use it)."""

from flask import current_app

from app.accounts.policy import current_user, heartbeat_identity, require_user_id
from app.api import ApiBlueprint, body_bytes, body_text, load_json, ok, parse_model, quick_json
from app.errors import ApiError
from app.learning import catalog, playback, progress, prompts
from app.learning.models import Course, Enrollment, LearningEvent, Project
from app.learning.schemas import (
    AnswerIn,
    AnswerOut,
    CourseDetailOut,
    EventCountOut,
    EventsQuery,
    HeartbeatIn,
    HeartbeatOut,
    PlanCoursesOut,
    PlanCoursesQuery,
    PlanOut,
    ProjectDetailOut,
    ProjectOut,
    SessionOut,
    StartIn,
    usual_heartbeat,
)
from app.security import csrf_exempt

bp = ApiBlueprint("learning_api", __name__)


@bp.endpoint("/projects", auth=None, response=list[ProjectOut])
def projects():
    """Training projects by year (R-5), with whether I own each."""
    return ok(catalog.catalogue(current_user()))


@bp.endpoint("/projects/<int:project_id>", auth=None, response=ProjectDetailOut)
def project(project_id):
    """One project with its courses."""
    found = Project.get_or_none(Project.id == project_id, Project.is_published == True)  # noqa: E712
    if found is None:
        raise ApiError("培训项目不存在", status=404)
    owned = found.id in catalog.owned_project_ids(current_user())
    return ok(catalog.project_view(found, owned, with_courses=True))


def owned_project(project_id):
    user = current_user()
    found = Project.get_or_none(Project.id == project_id)
    owns = found is not None and Enrollment.select().where(
        Enrollment.user == user.id, Enrollment.project == found.id, Enrollment.status == "active").exists()
    if not owns:
        raise ApiError("您还没有该培训项目", code="not_enrolled", status=404)
    return found


def owned_course(course_id):
    course = Course.get_or_none(Course.id == course_id, Course.live())
    if course is None:
        raise ApiError("课程不存在", status=404)
    owned_project(course.project_id)
    return course


@bp.endpoint("/me/plans", response=list[PlanOut])
def my_plans():
    """My training (R-9): owned plans with the credit requirement and completion."""
    user = current_user()
    plans = catalog.my_plans(user)
    for plan in plans:
        plan["progress"] = progress.plan_progress(user, Project.get_by_id(plan["id"]))
    return ok(plans)


@bp.endpoint("/me/plans/<int:project_id>/courses", response=PlanCoursesOut, query=PlanCoursesQuery)
def plan_courses(project_id, args):
    """A plan's courses, paged (?page=1&per_page=10), with each course's chapters done."""
    found = owned_project(project_id)
    return ok({**progress.courses_page(current_user(), found, args.page, args.per_page),
               "progress": progress.plan_progress(current_user(), found)})


@bp.endpoint("/courses/<int:course_id>", response=CourseDetailOut)
def course(course_id):
    """A course's chapters with their state and where to resume."""
    return ok(progress.course_detail(current_user(), owned_course(course_id)))


@bp.endpoint("/learning/chapters/<int:chapter_id>/sessions", methods=["POST"], body=StartIn, response=SessionOut,
             status=201)
def start(chapter_id, data):
    """Start playing a chapter: a server-issued session; an older one on any device stops earning."""
    return ok(playback.start_session(current_user(), chapter_id, data.device), "开始学习", 201)


@bp.endpoint("/learning/heartbeat", methods=["POST"], auth=None, doc_auth="user", doc_body=HeartbeatIn,
             response=HeartbeatOut)
@csrf_exempt
def heartbeat():
    """A heartbeat (timer, pause, page hide, unload via sendBeacon): credited on the server's clock.

    The session id is a secret only this player knows, so the call needs no CSRF token (sendBeacon
    cannot send one); the body may come as text/plain.
    """
    raw = body_bytes()
    # The usual body is read by orjson and checked by HeartbeatIn's rules without pydantic; any other is read
    # by load_json and checked by HeartbeatIn, which say what is wrong.
    data = usual_heartbeat(quick_json(raw))
    payload = None if data is not None else load_json(body_text())
    identity = heartbeat_identity()  # checked in the heartbeat's own round trip unless this worker knows it
    if data is None:
        try:
            data = parse_model(HeartbeatIn, payload, strict=True)
        except ApiError:
            require_user_id()  # a caller who is not logged in hears that first, as on every other endpoint
            raise
    reply = playback.heartbeat(identity, data)
    text = playback.plain_answer(reply)
    return ok(playback.answer(reply)) if text is None else current_app.response_class(text, mimetype="application/json")


@bp.endpoint("/learning/sessions/<session_id>/answer", methods=["POST"], body=AnswerIn, response=AnswerOut)
def answer(session_id, data):
    """Answer the open anti-idle question (checked on the server; the answer is never sent)."""
    return ok(prompts.answer_prompt(current_user(), session_id[:40], data.question_id, data.choice))


@bp.endpoint("/staff/learning/events", auth="staff", response=list[EventCountOut], query=EventsQuery)
def events(args):
    """Reviewers: rejected and clamped heartbeats per learner, most first (?reason=too_fast)."""
    from peewee import fn

    from app.staff.frame import require_role

    require_role("reviewer")
    total = fn.SUM(LearningEvent.count)
    query = LearningEvent.select(LearningEvent.user, LearningEvent.reason, total.alias("n"))
    if args.reason:
        query = query.where(LearningEvent.reason == args.reason)
    rows = query.group_by(LearningEvent.user, LearningEvent.reason).order_by(total.desc())
    return ok([{"user_id": r.user_id, "reason": r.reason, "count": int(r.n)} for r in rows.limit(200)])
