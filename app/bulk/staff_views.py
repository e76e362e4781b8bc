"""Console page (单位 section): service-desk staff upload a unit's 附件2 list on its behalf."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.bulk import jobs, views
from app.bulk.models import BulkRegistration
from app.errors import ApiError
from app.security import large_body
from app.staff import audit
from app.staff.frame import register_section, staff_required
from app.units.models import Unit
from app.units.xlsx_limits import DEFAULT as LIMITS

bp = Blueprint("bulk_staff", __name__, url_prefix="/staff/units/bulk")
register_section("bulk", "批量注册", "bulk_staff.page", ("service_desk",), order=210)
audit.register_action("bulk.upload", "代单位上传批量注册名单")


def _units(q):
    query = Unit.select().where(Unit.status == "active")
    if q:
        query = query.where(Unit.name.contains(q))
    return list(query.order_by(Unit.name).limit(50))


@bp.route("/", methods=["GET", "POST"])
@large_body(views.BODY_LIMIT)
@staff_required("service_desk")
def page():
    """Pick an active unit, upload its list; the newest uploads of every unit with their progress."""
    q = (request.args.get("q") or "").strip()[:40]
    error, selected = None, request.form.get("unit_id", type=int)
    if request.method == "POST":
        unit = Unit.get_or_none(Unit.id == (selected or 0), Unit.status == "active")
        try:
            if unit is None:
                raise ApiError("请选择已审核的单位", status=422, data={"fields": {"unit_id": "请选择单位"}})
            job = views.upload(unit, by_staff=True)
        except ApiError as err:
            error = err
        else:
            audit.record("bulk.upload", "unit", unit.id, detail={"bulk_registration": job.id, "file": job.filename})
            flash(f"已为“{unit.name}”上传名单，正在后台处理")
            return redirect(url_for("bulk_staff.page"))
    uploads = [{**jobs.view(j), "unit_id": j.unit_id, "unit": j.unit.name} for j in BulkRegistration.select(
        BulkRegistration, Unit).join(Unit).order_by(BulkRegistration.id.desc()).limit(20)]
    options = [("", "请选择")] + [(u.id, u.name) for u in _units(q)]
    return render_template("bulk/staff.html", unit_options=options, q=q, selected=selected, uploads=uploads,
                           error=error, active_section="bulk", limit_mb=LIMITS.max_bytes // (1024 * 1024)), (
        error.status if error else 200)


@bp.route("/<int:job_id>/result.xlsx")
@staff_required("service_desk")
def result(job_id):
    job = BulkRegistration.get_or_none(BulkRegistration.id == job_id)
    if job is None:
        raise ApiError("该批量注册记录不存在", status=404)
    return views.result_response(job)
