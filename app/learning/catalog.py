"""The catalogue (R-5) and "my training" (R-9) as plain functions."""
from app.db import utcnow
from app.learning.models import Course, Enrollment, Project
from app.money import yuan


def published_projects():
    """Every published project, newest year first."""
    return list(Project.select().where(Project.is_published == True).order_by(  # noqa: E712
        Project.year.desc(), Project.id))


def owned_project_ids(user):
    if user is None:
        return set()
    rows = Enrollment.select(Enrollment.project).where(Enrollment.user == user.id, Enrollment.status == "active")
    return {r.project_id for r in rows}


def project_view(project, owned=False, with_courses=False):
    now = utcnow()
    view = {"id": project.id, "year": project.year, "name": project.name, "description": project.description,
            "price_fen": project.price_fen, "price_yuan": yuan(project.price_fen),
            "credit_hours": project.credit_hours, "on_sale": project.on_sale(now), "owned": owned,
            "grant_only": project.grant_only,
            "sale_start": project.sale_start.isoformat() + "Z", "sale_end": project.sale_end.isoformat() + "Z"}
    if with_courses:
        courses = (Course.select().where(Course.project == project.id, Course.live())
                   .order_by(Course.position, Course.id))
        view["courses"] = [{"id": c.id, "title": c.title, "lecturer": c.lecturer, "credit_hours": c.credit_hours}
                           for c in courses]
        view["course_hours"] = sum(c["credit_hours"] for c in view["courses"])
    return view


def catalogue(user=None):
    owned = owned_project_ids(user)
    return [project_view(p, p.id in owned) for p in published_projects()]


def my_plans(user):
    """The plans the learner owns, with the credit requirement (R-9)."""
    rows = (Enrollment.select(Enrollment, Project).join(Project)
            .where(Enrollment.user == user.id, Enrollment.status == "active").order_by(Project.year.desc()))
    return [{**project_view(e.project, owned=True), "source": e.source,
             "since": e.created_at.isoformat() + "Z"} for e in rows]
