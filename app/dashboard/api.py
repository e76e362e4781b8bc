"""Unit dashboard API (the mini-program): my units, a unit's learners for a year."""

from app.accounts.policy import current_user
from app.api import ApiBlueprint, ok
from app.bulk import access
from app.bulk.jobs import this_year
from app.dashboard import service, views
from app.dashboard.schemas import LearnersQuery, UnitLearnersOut, UnitRefOut

bp = ApiBlueprint("dashboard_api", __name__)


@bp.endpoint("/dashboard/units", response=list[UnitRefOut])
def my_units():
    """The units I am an approved contact of."""
    return ok([{"id": u.id, "name": u.name} for u in access.contact_units(current_user())])


@bp.endpoint("/dashboard/units/<int:unit_id>/learners", response=UnitLearnersOut,
             query=LearnersQuery)
def learners(unit_id, args):
    """A unit's learners for `year` (filter `status`, search `q`: name or last four ID characters), paged."""
    unit = access.unit_for(current_user(), unit_id)
    year, status, q = args.year or this_year(), args.status, args.q.strip()[:20]
    everyone = service.learners(unit, year)
    rows = service.search(everyone, q, status)
    page_no = args.page
    size = views.PER_PAGE
    return ok({"unit": {"id": unit.id, "name": unit.name}, "year": year, "status": status,
               "summary": service.summary(everyone), "total": len(rows), "page": page_no,
               "learners": [service.public(r) for r in rows[(page_no - 1) * size:page_no * size]]})
