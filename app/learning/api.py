"""Catalogue and "my training" API under /api/v1."""
from app.accounts.policy import current_user
from app.api import ApiBlueprint, ok
from app.errors import ApiError
from app.learning import catalog
from app.learning.models import Project

bp = ApiBlueprint("learning_api", __name__)


@bp.endpoint("/projects", auth=None)
def projects():
    """Training projects by year (R-5), with whether I own each."""
    return ok(catalog.catalogue(current_user()))


@bp.endpoint("/projects/<int:project_id>", auth=None)
def project(project_id):
    """One project with its courses."""
    found = Project.get_or_none(Project.id == project_id, Project.is_published == True)  # noqa: E712
    if found is None:
        raise ApiError("培训项目不存在", status=404)
    owned = found.id in catalog.owned_project_ids(current_user())
    return ok(catalog.project_view(found, owned, with_courses=True))


@bp.endpoint("/me/plans")
def my_plans():
    """My training: the plans I own (R-9)."""
    return ok(catalog.my_plans(current_user()))
