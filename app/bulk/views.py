"""H5 pages of bulk registration for a unit's contact: upload, progress, result download."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from app.accounts.policy import current_user, page
from app.bulk import access, jobs
from app.bulk.models import BulkRegistration
from app.errors import ApiError
from app.security import large_body
from app.units.xlsx_limits import DEFAULT as LIMITS

bp = Blueprint("bulk", __name__)
BODY_LIMIT = LIMITS.max_bytes + 64 * 1024  # the list and the form around it
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def recent(unit, limit=10):
    return [jobs.view(j) for j in BulkRegistration.select().where(BulkRegistration.unit == unit.id)
            .order_by(BulkRegistration.id.desc()).limit(limit)]


def upload(unit, by_staff=False):
    """Read the posted file (bounded body) and queue the job; raises ApiError."""
    request.max_content_length = BODY_LIMIT
    file = request.files.get("file")
    if file is None or not file.filename:
        raise ApiError("请选择名单文件（附件2，.xlsx）", status=422, data={"fields": {"file": "请选择文件"}})
    return jobs.submit(unit, current_user(), file.read(LIMITS.max_bytes + 1), file.filename, by_staff=by_staff)


@bp.route("/units/<int:unit_id>/bulk", methods=["GET", "POST"])
@large_body(BODY_LIMIT)
@page()
def bulk_page(unit_id):
    """Upload the 附件2 list; the newest uploads with their progress and results."""
    unit = access.unit_for(current_user(), unit_id)
    error = None
    if request.method == "POST":
        try:
            upload(unit)
        except ApiError as err:
            error = err
        else:
            flash("名单已上传，正在后台处理，完成后结果将发送到经办人邮箱")
            return redirect(url_for("bulk.bulk_page", unit_id=unit.id))
    return render_template("bulk/bulk.html", unit=unit, uploads=recent(unit), error=error,
                           limit_mb=LIMITS.max_bytes // (1024 * 1024)), (error.status if error else 200)


def result_response(job):
    if job.result is None:
        raise ApiError("结果尚未生成", status=404)
    from urllib.parse import quote

    return Response(bytes(job.result), mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(jobs.result_filename(job))}"})


def job_for(unit_id, job_id, staff=True):
    unit = access.unit_for(current_user(), unit_id, staff=staff)
    job = BulkRegistration.get_or_none(BulkRegistration.id == job_id, BulkRegistration.unit == unit.id)
    if job is None:
        raise ApiError("该批量注册记录不存在", status=404)
    return job


@bp.route("/units/<int:unit_id>/bulk/<int:job_id>/result.xlsx")
@page()
def result_download(unit_id, job_id):
    """The result workbook (kept downloadable)."""
    return result_response(job_for(unit_id, job_id))
