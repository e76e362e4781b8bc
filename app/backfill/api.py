"""补学 API under /api/v1 (H5 scripts and the mini-program): years, uploads, applications, the letter."""
from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.accounts.policy import current_user
from app.api import ApiBlueprint, ok
from app.backfill import links, present, service, uploads
from app.backfill.models import BackfillImage
from app.backfill.schemas import BackfillApplicationOut, BackfillApplyIn, BackfillImageOut, BackfillOverviewOut
from app.errors import ApiError

bp = ApiBlueprint("backfill_api", __name__)
UPLOAD_BODY = 4 * uploads.MAX_FILE_BYTES  # a too-large photo still reaches the check that names the limit


def overview(user):
    due, _known = present.expected_due()
    pending = BackfillImage.select().where(BackfillImage.user == user.id, BackfillImage.application.is_null())
    return {"years": present.years_view(user), "max_images": service.MAX_IMAGES,
            "review_days": service.REVIEW_WORKING_DAYS, "expected_due_on": due.isoformat(),
            "uploads": [{"id": i.id, "url": links.image_url(i.id, user.id), "width": i.width, "height": i.height}
                        for i in pending.order_by(BackfillImage.id)]}


@bp.endpoint("/backfill", response=BackfillOverviewOut)
def years():
    """Earlier years open to back-fill, my applications and their state, images not yet sent."""
    return ok(overview(current_user()))


def take_file():
    try:
        file = request.files.get("file")
    except RequestEntityTooLarge:
        raise ApiError(uploads.TOO_BIG, status=413) from None
    if file is None:
        raise ApiError("请选择要上传的图片", status=422)
    return file


@bp.endpoint("/backfill/uploads", methods=["POST"], max_body=UPLOAD_BODY, response=list[BackfillImageOut],
             status=201)
def upload():
    """Upload one image (multipart field `file`; `kind=letter` also takes a PDF, one image per page)."""
    user = current_user()
    service.count_upload(user)
    file = take_file()
    service.check_room(user, 1)
    pages = uploads.process(uploads.read_upload(file), allow_pdf=request.form.get("kind") == "letter")
    service.check_room(user, len(pages))
    rows = service.store_pages(user, pages)
    return ok([{"id": r.id, "url": links.image_url(r.id, user.id), "width": r.width, "height": r.height}
               for r in rows], "图片已上传", 201)


@bp.endpoint("/backfill/uploads/<int:image_id>", methods=["DELETE"], response=BackfillOverviewOut)
def delete_upload(image_id):
    """Remove an image not yet sent; answers the overview as it is now."""
    user = current_user()
    service.delete_image(user, image_id)
    return ok(overview(user), "已删除")


@bp.endpoint("/backfill/applications", methods=["POST"], body=BackfillApplyIn, response=BackfillApplicationOut,
             status=201)
def apply(data):
    """Send an application (or a corrected one after a rejection); staff review it in about 3 working days."""
    user = current_user()
    fields = {"order_no": data.order_no, "payer": data.payer, "paid_on": data.paid_on, "platform": data.platform}
    application = service.submit(user, data.project_id, data.kind, fields, data.image_ids)
    return ok(present.application_view(application, user.id), "申请已提交，请等待审核", 201)


@bp.endpoint("/backfill/applications/<int:application_id>", response=BackfillApplicationOut)
def show(application_id):
    """One of my applications: state, expected review date, reason of a rejection, images."""
    user = current_user()
    return ok(present.application_view(service.application_for(user, application_id), user.id))


@bp.endpoint("/backfill/letters/<int:project_id>", media="application/pdf", doc_auth="user")
def letter(project_id):
    """The commitment letter for that year, pre-filled with my data (PDF to print and sign)."""
    return letter_response(current_user(), project_id)


def letter_response(user, project_id):
    from app.backfill.letter import render

    project = service.grant_only_project(project_id)
    response = current_app.response_class(render(user, project), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="commitment-{project.year}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
