"""补学 rules as plain functions: which years may be applied for, submitting and correcting an
application, the reviewers' decision (approval grants the plan), duplicate order numbers."""
import datetime
import logging
import re
import secrets

import peewee

from app.backfill import holidays
from app.backfill.models import BackfillApplication, BackfillDecision, BackfillImage
from app.db import china_date, db, utcnow
from app.errors import ApiError
from app.learning.models import Enrollment, Project
from app.storage import storage

log = logging.getLogger(__name__)
MAX_IMAGES = 5
UPLOADS_PER_HOUR = 60
ABANDONED_DAYS = 7  # images uploaded but never sent are deleted after this
REVIEW_WORKING_DAYS = 3
STATE_TEXT = {"pending": "待审核", "approved": "已通过", "rejected": "未通过"}
KIND_TEXT = {"proof": "缴费凭证", "letter": "缴费承诺书"}
REASONS = {
    "unreadable": "图片不清晰，无法辨认",
    "mismatch": "凭证信息与填写内容不一致",
    "wrong_year": "凭证不是所申请年度的缴费记录",
    "not_signed": "承诺书未签字或签字与姓名不符",
    "duplicate": "订单号已被他人使用",
    "other": "其他原因",
}


def review_due(submitted_at):
    """The China date by which the review is due: REVIEW_WORKING_DAYS working days after submission."""
    return holidays.add_working_days(china_date(submitted_at), REVIEW_WORKING_DAYS)


def grant_only_projects():
    return list(Project.select().where(Project.grant_only == True, Project.is_published == True)  # noqa: E712
                .order_by(Project.year.desc(), Project.id))


def grant_only_project(project_id):
    project = Project.get_or_none(Project.id == project_id, Project.grant_only == True,  # noqa: E712
                                  Project.is_published == True)  # noqa: E712
    if project is None:
        raise ApiError("该年度不能申请补学", status=404)
    return project


def normalise_order_no(value):
    return re.sub(r"[\s\-_]", "", value or "").upper()


def clean_fields(kind, order_no="", payer="", paid_on="", platform=""):
    """The proof form's fields checked (all required for "proof", none kept for "letter"), or a 422."""
    if kind not in KIND_TEXT:
        raise ApiError("请选择缴费凭证或缴费承诺书", status=422)
    if kind == "letter":
        return {"order_no": "", "order_key": "", "payer": "", "paid_on": None, "platform": ""}
    errors = {}
    order_no, payer, platform = (order_no or "").strip(), (payer or "").strip(), (platform or "").strip()
    if not 4 <= len(order_no) <= 64 or not re.fullmatch(r"[0-9A-Za-z\-_ ]+", order_no):
        errors["order_no"] = "请填写原平台的订单号（4–64 位字母或数字）"
    if not 1 <= len(payer) <= 60:
        errors["payer"] = "请填写付款人"
    if not 2 <= len(platform) <= 60:
        errors["platform"] = "请填写原缴费平台的名称"
    try:
        paid = datetime.date.fromisoformat((paid_on or "").strip())
        if not datetime.date(2010, 1, 1) <= paid <= china_date():
            errors["paid_on"] = "缴费时间应在 2010 年至今之间"
    except ValueError:
        paid = None
        errors["paid_on"] = "请按 年-月-日 填写缴费时间"
    if errors:
        raise ApiError("缴费凭证信息有误：" + "；".join(errors.values()), status=422, data={"fields": errors})
    return {"order_no": order_no, "order_key": normalise_order_no(order_no), "payer": payer, "paid_on": paid,
            "platform": platform}


def store_pages(user, pages):
    """Keep re-encoded pages (see uploads.process) as the learner's unattached images."""
    rows = []
    for data, width, height, source in pages:
        key = f"backfill/{user.id}/{secrets.token_hex(16)}.jpg"
        storage().put(key, data, "image/jpeg")
        rows.append(BackfillImage.create(user=user.id, key=key, width=width, height=height, size=len(data),
                                         source=source))
    return rows


def unattached_count(user):
    return BackfillImage.select().where(BackfillImage.user == user.id, BackfillImage.application.is_null()).count()


def count_upload(user):
    """Uploads per learner and hour are limited (each file is decoded and re-encoded), counted before reading."""
    from app import ratelimit

    count, left = ratelimit.hit(f"backfill:uploads:{user.id}", 3600)
    if count > UPLOADS_PER_HOUR:
        raise ApiError(f"上传过于频繁，请 {ratelimit.minutes(left)} 分钟后再试", status=429)


def check_room(user, adding, attached=0):
    """Refuse an upload that would give the learner more than MAX_IMAGES images to send."""
    if unattached_count(user) + attached + adding > MAX_IMAGES:
        raise ApiError(f"每份申请最多 {MAX_IMAGES} 张图片，请先删除不需要的图片", status=422)


def purge_abandoned(days=ABANDONED_DAYS):
    """Delete images uploaded but never sent with an application, `days` after their upload."""
    cutoff = utcnow() - datetime.timedelta(days=days)
    stale = list(BackfillImage.select().where(BackfillImage.application.is_null(), BackfillImage.created_at < cutoff))
    for image in stale:
        storage().delete(image.key)
        image.delete_instance()
    return len(stale)


def delete_image(user, image_id):
    """Remove one of the learner's images not yet sent (404 for anyone else's)."""
    image = BackfillImage.get_or_none(BackfillImage.id == image_id, BackfillImage.user == user.id,
                                      BackfillImage.application.is_null())
    if image is None:
        raise ApiError("图片不存在", status=404)
    storage().delete(image.key)
    image.delete_instance()


def application_for(user, application_id):
    """The learner's own application; anyone else's is simply not found."""
    application = BackfillApplication.get_or_none(BackfillApplication.id == application_id,
                                                  BackfillApplication.user == user.id)
    if application is None:
        raise ApiError("申请不存在", status=404)
    return application


def submit(user, project_id, kind, fields, image_ids):
    """Send an application for an earlier year, or correct and resend a rejected one."""
    project = grant_only_project(project_id)
    if Enrollment.get_or_none(Enrollment.user == user.id, Enrollment.project == project.id,
                              Enrollment.status == "active"):
        raise ApiError(f"您已拥有{project.name}，无需申请补学", status=409)
    fields = clean_fields(kind, **fields)
    ids = list(dict.fromkeys(image_ids))
    if not 1 <= len(ids) <= MAX_IMAGES:
        raise ApiError(f"请上传 1–{MAX_IMAGES} 张" + ("缴费截图" if kind == "proof" else "签字后的承诺书照片或扫描件"),
                       status=422)
    existing = BackfillApplication.get_or_none(BackfillApplication.user == user.id,
                                               BackfillApplication.project == project.id)
    if existing is not None and existing.state == "pending":
        raise ApiError("该年度已有待审核的申请，请等待审核结果", status=409)
    if existing is not None and existing.state == "approved":
        raise ApiError("该年度的补学申请已通过", status=409)
    allowed = BackfillImage.application.is_null()
    if existing is not None:
        allowed = allowed | (BackfillImage.application == existing.id)
    images = list(BackfillImage.select().where(BackfillImage.id.in_(ids), BackfillImage.user == user.id, allowed))
    if len(images) != len(ids):
        raise ApiError("图片不存在或已失效，请重新上传", status=422)
    now = utcnow()
    state = {"kind": kind, "state": "pending", "submitted_at": now, "due_on": review_due(now), **fields}
    with db.atomic():
        if existing is None:
            try:
                with db.atomic():
                    application = BackfillApplication.create(user=user.id, project=project.id, **state)
            except peewee.IntegrityError:
                raise ApiError("该年度已有申请，请刷新后查看", status=409) from None
        else:
            BackfillApplication.update(submissions=BackfillApplication.submissions + 1, **state).where(
                BackfillApplication.id == existing.id, BackfillApplication.state == "rejected").execute()
            application = BackfillApplication.get_by_id(existing.id)
        order = {image_id: position for position, image_id in enumerate(ids)}
        for image in images:
            BackfillImage.update(application=application.id, position=order[image.id]).where(
                BackfillImage.id == image.id).execute()
        dropped = list(BackfillImage.select().where(BackfillImage.application == application.id,
                                                    BackfillImage.id.not_in(ids)))
        BackfillImage.delete().where(BackfillImage.id.in_([d.id for d in dropped])).execute()
    for image in dropped:
        storage().delete(image.key)
    if holidays.missing_years(application.due_on):
        log.warning("backfill application %s: review deadline counted Monday-Friday", application.id)
    return application


def images_of(application):
    return list(BackfillImage.select().where(BackfillImage.application == application.id)
                .order_by(BackfillImage.position, BackfillImage.id))


def same_order_elsewhere(application):
    """Other learners' applications that name the same order number on the earlier platform."""
    if not application.order_key:
        return []
    return list(BackfillApplication.select().where(BackfillApplication.order_key == application.order_key,
                                                   BackfillApplication.user != application.user_id))


def decide(application_id, staff, approve, reason_code="", reason_text=""):
    """Approve (the plan is granted at once: an enrollment with source "backfill") or reject with a reason."""
    reason_text = (reason_text or "").strip()[:200]
    if not approve and reason_code not in REASONS:
        raise ApiError("请选择不通过的原因", status=422)
    if not approve and reason_code == "other" and len(reason_text) < 2:
        raise ApiError("选择“其他原因”时请填写具体说明", status=422)
    now = utcnow()
    with db.atomic():
        changed = BackfillApplication.update(
            state="approved" if approve else "rejected", decided_by=staff.id, decided_at=now,
            reason_code="" if approve else reason_code, reason_text=reason_text).where(
            BackfillApplication.id == application_id, BackfillApplication.state == "pending").execute()
        if not changed:
            raise ApiError("该申请已处理，请刷新后查看", status=409)
        application = BackfillApplication.get_by_id(application_id)
        BackfillDecision.create(application=application.id, staff=staff.id, staff_name=staff.name, approved=approve,
                                reason_code=application.reason_code, reason_text=reason_text)
        if approve:
            _grant(application)
    from app.backfill.notify import decided

    decided(application)
    return application


def _grant(application):
    """Inside the decision's transaction: the learner owns that year's plan (source "backfill")."""
    existing = Enrollment.get_or_none(Enrollment.user == application.user_id,
                                      Enrollment.project == application.project_id)
    if existing is None:
        Enrollment.create(user=application.user_id, project=application.project_id, source="backfill")
    elif existing.status != "active":
        Enrollment.update(status="active", revoked_at=None, source="backfill", order_id=None, seat_id=None).where(
            Enrollment.id == existing.id).execute()


def reason_line(application):
    """The rejection reason as the learner reads it."""
    if application.state != "rejected":
        return ""
    title = REASONS.get(application.reason_code, "")
    return "；".join(part for part in (title, application.reason_text) if part)
