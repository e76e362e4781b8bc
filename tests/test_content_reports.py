"""The yearly reports on a small generated year: every figure, the chart and the xlsx totals match the database."""
import io

import pytest
from openpyxl import load_workbook

from app.certs import profile
from app.certs import service as certs
from app.content import reports
from app.db import utcnow
from app.learning.flush import course_check
from app.learning.models import ChapterProgress, CourseCompletion, Enrollment
from app.pay.models import Order, Refund
from app.staff.models import AuditEntry
from app.units.models import Unit, UnitMember
from tests.learning_fixtures import make_learner, make_plan
from tests.refund_helpers import buy, refund
from tests.staff_fixtures import make_staff_member, text_of


def _complete(user, plan, courses):
    """The learner watches every chapter of these courses to the end (the learning code records the rest)."""
    for index in courses:
        for chapter in plan.chapters[index]:
            ChapterProgress.create(user=user.id, chapter=chapter.id, watched_seconds=chapter.duration_seconds,
                                   completed_at=utcnow())
        course_check(user.id, plan.courses[index].id)


@pytest.fixture
def year_data(app, sandbox_api):
    """Eight learners in two districts and three units (one without a unit); some finish; two buy, one is refunded."""
    plan = make_plan(courses=((10,), (10,)), course_hours=6)  # 12 hours needed
    year = plan.project.year
    units = [Unit.create(name=name, credit_code=code, district_code=district, status="active")
             for name, code, district in (("渝中区甲单位", "91500103MA5U000001", "500103"),
                                          ("渝中区乙单位", "91500103MA5U000002", "500103"),
                                          ("南岸区丙单位", "91500108MA5U000003", "500108"))]
    learners = [make_learner(app, plan, i=i, enroll=i < 6) for i in range(8)]
    for i, unit in ((0, 0), (1, 0), (2, 1), (3, 2), (4, 2), (6, 2)):
        UnitMember.create(unit=units[unit].id, user=learners[i].user.id, source="bulk", year=year)
    UnitMember.create(unit=units[2].id, user=learners[0].user.id, source="bulk", year=year)  # the lower id counts
    UnitMember.create(unit=units[2].id, user=learners[1].user.id, source="bulk", year=year - 1)  # another year
    # Learners 6 and 7 buy the plan; 7 is refunded (the enrollment is revoked, the refund counted).
    orders = [buy(sandbox_api, learners[i].user, plan.project) for i in (6, 7)]
    refund(sandbox_api, orders[1], make_staff_member(app, ("finance",), i=950).user)
    _complete(learners[0].user, plan, (0, 1))
    _complete(learners[3].user, plan, (0, 1))
    _complete(learners[6].user, plan, (0, 1))
    _complete(learners[1].user, plan, (0,))
    for i in (0, 3):
        profile.save_profile(learners[i].user, plan.project.id, True, district_code="500103")
        certs.issue(learners[i].user, plan.project.id)
    return plan, units, learners


def _database_figures(plan):
    active = [e.user_id for e in Enrollment.select().where(Enrollment.project == plan.project.id,
                                                           Enrollment.status == "active")]
    done = {}
    for c in CourseCompletion.select().where(CourseCompletion.user.in_(active)):
        done.setdefault(c.user_id, []).append(c.credit_hours)
    completed = sum(1 for hours in done.values() if len(hours) == 2 and sum(hours) >= plan.project.credit_hours)
    paid = sum(o.amount_fen for o in Order.select().where(Order.paid_at.is_null(False)))
    refunded = sum(r.amount_fen for r in Refund.select().where(Refund.status == "success"))
    return {"enrolled": len(active), "completed": completed, "hours": sum(sum(h) for h in done.values()),
            "paid_fen": paid, "refunded_fen": refunded}


def test_report_figures_match_the_database(app, year_data):
    plan, units, learners = year_data
    year = plan.project.year
    truth = _database_figures(plan)
    assert truth == {"enrolled": 7, "completed": 3, "hours": 42, "paid_fen": 200, "refunded_fen": 100}
    by_district = reports.learners(year, "district")
    assert by_district["totals"] == {k: truth[k] for k in ("enrolled", "completed", "hours")}
    assert {r["label"]: (r["enrolled"], r["completed"], r["hours"]) for r in by_district["rows"]} == {
        "渝中区": (3, 1, 18), "南岸区": (3, 2, 24), reports.NO_UNIT: (1, 0, 0)}
    by_unit = reports.learners(year, "unit")
    assert {r["label"]: (r["enrolled"], r["completed"]) for r in by_unit["rows"]} == {
        "渝中区甲单位": (2, 1), "渝中区乙单位": (1, 0), "南岸区丙单位": (3, 2), reports.NO_UNIT: (1, 0)}
    assert reports.certificates(year)["totals"] == {"issued": 2}
    money = reports.money(year)
    assert (money["totals"]["revenue_fen"], money["totals"]["refunded_fen"], money["totals"]["orders"],
            money["totals"]["refunds"]) == (truth["paid_fen"], truth["refunded_fen"], 2, 1)
    assert reports.learners(year + 1)["rows"] == [] and reports.money(year + 1)["totals"]["net_fen"] == 0


@pytest.mark.parametrize("kind, totals_column, expected", [
    ("district", 1, ["合计", 7, 3, 42.9, 42]),
    ("unit", 1, ["合计", 7, 3, 42.9, 42]),
    ("certificates", 1, ["合计", 2]),
    ("money", 1, ["合计", 2, 2.0, 1, 1.0, 1.0]),
])
def test_each_report_shows_a_chart_and_exports_matching_xlsx(app, year_data, kind, totals_column, expected):
    plan, _, _ = year_data
    year = plan.project.year
    console = make_staff_member(app, ("finance",), i=951)
    page = console.get(f"/staff/reports/?year={year}&report={kind}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg id="report-chart"' in html and html.count("<rect ") >= 1
    assert f"{year} 年" in text_of(page)
    before = AuditEntry.select().where(AuditEntry.action == "report.export").count()
    export = console.get(f"/staff/reports/export.xlsx?year={year}&report={kind}")
    assert export.status_code == 200
    assert export.headers["Content-Disposition"] == f"attachment; filename=report-{year}-{kind}.xlsx"
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert list(rows[-1]) == expected
    body = rows[1:-1]
    for column in range(1, len(expected)):
        if kind in ("district", "unit") and column == 3:
            continue  # a rate is not summed
        assert sum(r[column] for r in body) == pytest.approx(expected[column])
    assert AuditEntry.select().where(AuditEntry.action == "report.export").count() == before + 1


def test_reports_are_for_finance_and_reviewers_only(app, year_data):
    editor = make_staff_member(app, ("content_editor",), i=952)
    assert editor.get("/staff/reports/").status_code == 403
    assert editor.get("/staff/reports/export.xlsx").status_code == 403
    reviewer = make_staff_member(app, ("reviewer",), i=953)
    assert reviewer.get("/staff/reports/?report=nonsense&year=abc").status_code == 200


@pytest.mark.browser
def test_the_report_page_in_chromium_shows_the_chart_and_downloads_the_workbook(app, live_server, page, year_data,
                                                                               shots, engine):
    from playwright.sync_api import expect

    from tests.test_browser_content import login

    plan, _, _ = year_data
    make_staff_member(app, ("reviewer",), i=954)
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live_server, "staff954")
    page.goto(f"{live_server}/staff/reports/?year={plan.project.year}&report=district")
    expect(page.locator("#report-chart")).to_be_visible()
    expect(page.locator("#report-chart rect")).to_have_count(6)  # three districts × (enrolled, completed)
    expect(page.locator("#report-table tbody tr")).to_have_count(3)
    expect(page.locator("#report-totals")).to_contain_text("参训人数合计7")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=str(shots / f"report-district-{engine}.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#export")
    rows = list(load_workbook(io.BytesIO(download.value.path().read_bytes())).active.iter_rows(values_only=True))
    assert rows[0] == ("区县", "参训人数", "完成人数", "完成率（%）", "获得学时")
    assert rows[-1] == ("合计", 7, 3, 42.9, 42)
