"""The console's 统计报表 section (finance, reviewers): a year's reports as charts and tables, each as xlsx."""
import io

from flask import Blueprint, render_template, request, send_file
from openpyxl import Workbook

from app.content import charts, reports
from app.db import utcnow
from app.learning.models import Project
from app.staff import audit
from app.staff.frame import register_section, staff_required

bp = Blueprint("content_reports", __name__, url_prefix="/staff/reports")
ROLES = ("finance", "reviewer")
LEARNER_COLUMNS = [("enrolled", "参训人数"), ("completed", "完成人数"), ("rate", "完成率（%）"), ("hours", "获得学时")]
COLUMNS = {
    "district": [("label", "区县")] + LEARNER_COLUMNS,
    "unit": [("label", "单位")] + LEARNER_COLUMNS,
    "certificates": [("label", "周（周一起）"), ("issued", "发证数")],
    "money": [("label", "日期"), ("orders", "支付订单"), ("revenue", "收入（元）"), ("refunds", "退款笔数"),
              ("refunded", "退款（元）"), ("net", "净收入（元）")],
}
CHARTS = {
    "district": [("enrolled", "参训人数"), ("completed", "完成人数")],
    "unit": [("enrolled", "参训人数"), ("completed", "完成人数")],
    "certificates": [("issued", "发证数")],
    "money": [("revenue", "收入（元）"), ("refunded", "退款（元）")],
}

register_section("reports", "统计报表", "content_reports.index", ROLES, order=70)
audit.register_action("report.export", "导出统计报表")


def _years():
    years = sorted({p.year for p in Project.select(Project.year)}, reverse=True)
    return years or [utcnow().year]


def _choice():
    years = _years()
    year = request.args.get("year", type=int)
    year = year if year in years else years[0]
    kind = request.args.get("report", "district")
    return year, kind if kind in reports.REPORTS else "district", years


def _yuanify(result, kind):
    """Money in yuan for the page, the chart and the workbook (the queries keep fen)."""
    if kind != "money":
        return result
    for row in result["rows"] + [result["totals"]]:
        for key in ("revenue", "refunded", "net"):
            row[key] = row[key + "_fen"] / 100
    return result


@bp.route("/")
@staff_required(*ROLES)
def index():
    year, kind, years = _choice()
    result = _yuanify(reports.REPORTS[kind][1](year), kind)
    rows = result["rows"][:60] if kind == "unit" else result["rows"]  # the chart shows the 60 largest units
    chart = charts.bar_chart([r["label"] for r in rows],
                             [(title, [r[key] for r in rows]) for key, title in CHARTS[kind]], "report-chart")
    return render_template("content/reports.html", year=year, kind=kind, years=years, result=result, chart=chart,
                           columns=COLUMNS[kind], reports=reports.REPORTS, active_section="reports")


@bp.route("/export.xlsx")
@staff_required(*ROLES)
def export():
    year, kind, _ = _choice()
    result = _yuanify(reports.REPORTS[kind][1](year), kind)
    book = Workbook()
    sheet = book.active
    sheet.title = reports.REPORTS[kind][0][:31]
    columns = COLUMNS[kind]
    sheet.append([title for _, title in columns])
    for row in result["rows"]:
        sheet.append([row[key] for key, _ in columns])
    totals = result["totals"]
    if "enrolled" in totals:
        totals["rate"] = round(100 * totals["completed"] / totals["enrolled"], 1) if totals["enrolled"] else 0.0
    sheet.append(["合计"] + [totals.get(key, "") for key, _ in columns[1:]])
    sheet.column_dimensions["A"].width = 36
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    audit.record("report.export", "report", f"{year}-{kind}", detail={"year": year, "report": kind,
                                                                       "rows": len(result["rows"])})
    return send_file(out, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     as_attachment=True, download_name=f"report-{year}-{kind}.xlsx")
