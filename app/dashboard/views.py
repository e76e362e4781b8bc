"""H5 page of the unit dashboard and its xlsx export (for the unit's approved contacts)."""
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request

from app.accounts.policy import current_user, page
from app.bulk import access
from app.bulk.jobs import this_year
from app.dashboard import export, service
from app.dashboard.schemas import YEAR_MAX, YEAR_MIN

bp = Blueprint("dashboard", __name__)
PER_PAGE = 50


def query_args():
    """(year, status, q) from the query string, bounded."""
    year = request.args.get("year", type=int) or this_year()
    if not YEAR_MIN <= year <= YEAR_MAX:  # no such training year (and beyond what the database's integer holds)
        year = this_year()
    status = request.args.get("status", "all")
    return year, status if status in service.FILTERS else "all", (request.args.get("q") or "").strip()[:20]


def _years(unit, year):
    return sorted(set(service.years(unit)) | {year, this_year()}, reverse=True)


@bp.route("/units/<int:unit_id>/learners")
@page()
def learners_page(unit_id):
    """The unit's learners for a year: seat, hours, courses, certificate; filter, search, export."""
    unit = access.unit_for(current_user(), unit_id)
    year, status, q = query_args()
    everyone = service.learners(unit, year)
    rows = service.search(everyone, q, status)
    page_no = max(1, request.args.get("page", 1, type=int))
    pages = max(1, (len(rows) + PER_PAGE - 1) // PER_PAGE)
    page_no = min(page_no, pages)
    shown = [service.public(r) for r in rows[(page_no - 1) * PER_PAGE:page_no * PER_PAGE]]
    return render_template("dashboard/learners.html", unit=unit, year=year, years=_years(unit, year), status=status,
                           q=q, rows=shown, matched=len(rows), summary=service.summary(everyone),
                           filters=FILTER_TITLES, page_no=page_no, pages=pages)


FILTER_TITLES = {"all": "全部", "unpaid": "未开通", **service.STATES}


@bp.route("/units/<int:unit_id>/learners.xlsx")
@page()
def learners_export(unit_id):
    """The filtered list as xlsx (ID numbers masked)."""
    unit = access.unit_for(current_user(), unit_id)
    year, status, q = query_args()
    rows = service.search(service.learners(unit, year), q, status)
    data = export.workbook(unit.name, year, rows)
    name = quote(f"{unit.name}-{year}年学员学习情况.xlsx")
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})
