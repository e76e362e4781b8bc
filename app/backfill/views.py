"""H5 pages of 补学: the years open to back-fill and my applications, the application form (payment
proof or signed commitment letter, files in one form), the letter PDF, and the expiring image links."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from app.accounts.policy import current_user, page
from app.backfill import api, links, service, uploads
from app.backfill.models import BackfillApplication, BackfillImage
from app.errors import ApiError
from app.security import large_body
from app.staff.roles import has_role
from app.storage import send

bp = Blueprint("backfill", __name__)
FORM_BODY = (service.MAX_IMAGES + 1) * uploads.MAX_FILE_BYTES  # five files at the limit and a bit more


@bp.route("/backfill", endpoint="page")
@page()
def overview():
    """Earlier years open to back-fill, with my applications' state and expected review date."""
    return render_template("backfill/overview.html", data=api.overview(current_user()))


def _files():
    try:
        files = [f for f in request.files.getlist("files") if f and f.filename]
    except RequestEntityTooLarge:
        raise ApiError(uploads.TOO_BIG, status=413) from None
    if len(files) > service.MAX_IMAGES:
        raise ApiError(f"每份申请最多 {service.MAX_IMAGES} 张图片，请删去多余的图片后重新提交", status=422)
    if not files:
        raise ApiError("请选择要上传的图片", status=422)
    return files


def submit_form(user, project):
    """Check every field and file before anything is stored; then store the pages and send the application."""
    form = request.form
    kind = form.get("kind", "")
    fields = {k: form.get(k, "") for k in ("order_no", "payer", "paid_on", "platform")}
    service.clean_fields(kind, **fields)
    service.count_upload(user)
    pages = []
    for file in _files():
        pages += uploads.process(uploads.read_upload(file), allow_pdf=kind == "letter")
    if len(pages) > service.MAX_IMAGES:
        raise ApiError(f"每份申请最多 {service.MAX_IMAGES} 张图片（PDF 每页算一张）", status=422)
    rows = service.store_pages(user, pages)
    try:
        return service.submit(user, project.id, kind, fields, [r.id for r in rows])
    except ApiError:
        for row in rows:
            service.delete_image(user, row.id)
        raise


@bp.route("/backfill/<int:project_id>/apply", methods=["GET", "POST"], endpoint="apply")
@large_body(FORM_BODY)
@page()
def apply(project_id):
    """The form: payment proof (附件3) or the signed commitment letter; a rejected application is corrected here."""
    user = current_user()
    project = service.grant_only_project(project_id)
    existing = BackfillApplication.get_or_none(BackfillApplication.user == user.id,
                                               BackfillApplication.project == project.id)
    if request.method == "GET" and existing is not None and existing.state != "rejected":
        flash("该年度的补学申请" + ("已通过" if existing.state == "approved" else "正在审核中，请等待审核结果"))
        return redirect(url_for("backfill.page"))
    error = None
    if request.method == "POST":
        try:
            submit_form(user, project)
            flash(f"申请已提交，预计 {service.REVIEW_WORKING_DAYS} 个工作日内完成审核")
            return redirect(url_for("backfill.page"))
        except ApiError as err:
            if err.status not in (404, 409, 413, 415, 422, 429):
                raise
            error = err
    form = request.form if error else _prefill(existing)
    return render_template("backfill/apply.html", project=project, existing=existing, form=form, error=error,
                           reason=service.reason_line(existing) if existing else "",
                           max_images=service.MAX_IMAGES, review_days=service.REVIEW_WORKING_DAYS,
                           limit_mb=uploads.MAX_FILE_BYTES // (1024 * 1024)), (error.status if error else 200)


def _prefill(existing):
    if existing is None:
        return {"kind": "proof"}
    return {"kind": existing.kind, "order_no": existing.order_no, "payer": existing.payer,
            "paid_on": existing.paid_on.isoformat() if existing.paid_on else "", "platform": existing.platform}


@bp.route("/backfill/<int:project_id>/letter.pdf", endpoint="letter")
@page()
def letter(project_id):
    """The commitment letter, pre-filled with my data."""
    return api.letter_response(current_user(), project_id)


@bp.route("/backfill/images/<token>", endpoint="image")
def image(token):
    """An image through its expiring link: only to the account it was made for, if owner or staff."""
    image_id, viewer_id = links.read_token(token)
    viewer = current_user()
    if viewer is None or viewer.id != viewer_id:
        raise ApiError("图片不存在", status=404)
    row = BackfillImage.get_or_none(BackfillImage.id == image_id)
    if row is None or (row.user_id != viewer.id and not has_role(viewer, "reviewer")):
        raise ApiError("图片不存在", status=404)
    return send(row.key, "image/jpeg", cache="private, max-age=600")
