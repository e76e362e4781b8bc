"""Bulk registration API (H5 progress bar, the mini-program): upload, progress, result."""
from app.accounts.policy import current_user
from app.api import ApiBlueprint, ok
from app.bulk import access, jobs, views
from app.bulk.schemas import BulkJobOut
from app.bulk.views import XLSX

bp = ApiBlueprint("bulk_api", __name__)


@bp.endpoint("/units/<int:unit_id>/bulk-registrations", methods=["POST"], max_body=views.BODY_LIMIT,
             response=BulkJobOut, status=202)
def upload(unit_id):
    """Upload a unit's 附件2 list (multipart field `file`); registration runs in the background."""
    unit = access.unit_for(current_user(), unit_id)
    job = views.upload(unit, by_staff=not access.is_contact(current_user(), unit))
    return ok(jobs.view(job), "名单已上传，正在后台处理", 202)


@bp.endpoint("/units/<int:unit_id>/bulk-registrations", response=list[BulkJobOut])
def recent(unit_id):
    """The unit's newest bulk registrations with their progress."""
    return ok(views.recent(access.unit_for(current_user(), unit_id)))


@bp.endpoint("/units/<int:unit_id>/bulk-registrations/<int:job_id>", response=BulkJobOut)
def progress(unit_id, job_id):
    """One bulk registration: state, rows done of the total, counts per outcome."""
    return ok(jobs.view(views.job_for(unit_id, job_id)))


@bp.endpoint("/units/<int:unit_id>/bulk-registrations/<int:job_id>/result", doc_auth="user",
             media=XLSX)
def result(unit_id, job_id):
    """The result workbook (xlsx, personal data masked)."""
    return views.result_response(views.job_for(unit_id, job_id))
