"""H5 pages: the catalogue (home), a project, my training."""
from flask import Blueprint, render_template

from app.accounts.policy import current_user, page
from app.errors import ApiError
from app.learning import catalog
from app.learning.models import Project

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
    """My training (R-9): the plans the learner owns."""
    return render_template("learning/my_learning.html", plans=catalog.my_plans(current_user()))
