"""A bulk registration from upload to mail: submit (web), run (worker), mail the result (worker).

The web request only counts the rate limit, checks the zip's bounds (no XML parsed) and stores the
upload in its BulkRegistration row; the worker parses it, registers the rows in batches (progress
written after each), stores the result workbook, erases the upload and mails the unit's contacts.
"""
import datetime
import logging

from flask import current_app

from app import mail, ratelimit
from app.bulk import accounts, rows, workbook
from app.bulk.models import BulkRegistration
from app.db import utcnow
from app.errors import ApiError
from app.units import roster, xlsx_limits
from app.units.models import UnitContact

log = logging.getLogger(__name__)
CST = datetime.timezone(datetime.timedelta(hours=8))


def this_year():
    return datetime.datetime.now(CST).year


def submit(unit, user, data, filename, by_staff=False):
    """Accept an upload for `unit` and queue its job; refuses too many uploads and oversized files."""
    from app.jobs import enqueue

    limit = current_app.config["BULK_UPLOADS_PER_HOUR"]
    count, left = ratelimit.hit(f"bulk:uploads:{user.id}", 3600)
    if count > limit:
        raise ApiError(f"上传过于频繁，请 {ratelimit.minutes(left)} 分钟后再试", status=429)
    if not data:
        raise ApiError("请选择名单文件（附件2，.xlsx）", status=422, data={"fields": {"file": "请选择文件"}})
    xlsx_limits.check_xlsx_bounds(data)
    job = BulkRegistration.create(unit=unit.id, uploaded_by=user.id, by_staff=by_staff, year=this_year(),
                                  filename=(filename or "名单.xlsx")[-120:], source=bytes(data))
    enqueue(run, job.id, job_id=f"bulk-registration-{job.id}")
    return job


def _fail(job, message):
    BulkRegistration.update(state="failed", error=message[:200], source=None, finished_at=utcnow()).where(
        BulkRegistration.id == job.id).execute()


def run(job_id):
    """Worker: parse the list, register its rows with progress, keep the result, queue the mail."""
    from app.jobs import enqueue

    job = BulkRegistration.get_or_none(BulkRegistration.id == job_id)
    if job is None or job.state in ("done", "failed"):
        return None
    BulkRegistration.update(state="running", processed=0).where(BulkRegistration.id == job.id).execute()
    try:
        listed = rows.from_roster(roster.read_roster(job.source, require=rows.REQUIRED))
    except ApiError as err:
        _fail(job, err.message)
        return "failed"
    BulkRegistration.update(total=len(listed)).where(BulkRegistration.id == job.id).execute()

    def progress(done):
        BulkRegistration.update(processed=done).where(BulkRegistration.id == job.id).execute()

    accounts.register_rows(job.unit, listed, job.year, progress)
    counts = {k: sum(1 for r in listed if r.outcome == k) for k in ("created", "linked", "refused")}
    result = workbook.result_workbook(listed, job.unit.name, current_app.config["BULK_INITIAL_PASSWORD_DAYS"])
    BulkRegistration.update(state="done", processed=len(listed), source=None, result=result, finished_at=utcnow(),
                            created_count=counts["created"], linked_count=counts["linked"],
                            refused_count=counts["refused"]).where(BulkRegistration.id == job.id).execute()
    log.info("bulk registration %s done: %s", job.id, counts)
    enqueue(mail_result, job.id, job_id=f"bulk-registration-mail-{job.id}")
    return "done"


def contact_emails(unit):
    return sorted({c.email for c in UnitContact.select().where(
        UnitContact.unit == unit.id, UnitContact.state == "approved") if c.email})


def mail_result(job_id):
    """Worker: mail the result workbook to the unit's approved contacts (once)."""
    job = BulkRegistration.get_or_none(BulkRegistration.id == job_id)
    if job is None or job.state != "done" or job.mailed_at is not None:
        return None
    to = contact_emails(job.unit)
    if not to:
        log.warning("bulk registration %s: unit %s has no contact e-mail", job.id, job.unit_id)
        return None
    text = "\n".join([
        "您好：", "",
        f"{job.unit.name} 于 {job.created_at:%Y-%m-%d} 提交的批量注册名单（{job.filename}）已处理完毕：",
        f"共 {job.total} 行，新建账号 {job.created_count} 个，已注册并关联本单位 {job.linked_count} 人，"
        f"未通过 {job.refused_count} 行。", "",
        "逐行结果见附件（身份证号和手机号已打码）。未通过的行请按原因修改后重新上传。",
        "新账号的用户名为身份证号，初始密码为 edu@ 加身份证号后六位；",
        "首次登录须用名单上的手机号接收验证码并设置新密码。", "",
        current_app.config["PLATFORM_NAME"]])
    message = mail.build(", ".join(to), f"批量注册结果：{job.unit.name}", text,
                         [(result_filename(job), bytes(job.result), mail.XLSX_TYPE)])
    mail.send(message)
    BulkRegistration.update(mailed_at=utcnow()).where(BulkRegistration.id == job.id).execute()
    return "mailed"


def result_filename(job):
    return f"批量注册结果-{job.id}.xlsx"


def view(job):
    """What the pages and the API show about one bulk registration."""
    return {"id": job.id, "state": job.state, "filename": job.filename, "total": job.total,
            "processed": job.processed, "created": job.created_count, "linked": job.linked_count,
            "refused": job.refused_count, "error": job.error, "by_staff": job.by_staff,
            "percent": 100 if job.state == "done" else (job.processed * 100 // job.total if job.total else 0),
            "created_at": job.created_at.isoformat() + "Z", "mailed": job.mailed_at is not None}
