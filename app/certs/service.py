"""Certificate rules as plain functions: who may print, the data printed, issuing, revoking, re-issuing."""
import datetime
import logging
from urllib.parse import quote

import peewee
from flask import current_app

from app.accounts.models import User
from app.accounts.service import id_number_of
from app.certs import numbers, signing
from app.certs.models import REFUND_REVOKE_REASON, Certificate, latest_certificate, valid_certificate
from app.certs.profile import correct_organisation, field_error, organisation_of, owned_enrollment, profile_of
from app.db import db, utcnow
from app.errors import ApiError
from app.learning.flush import earned_hours, plan_complete
from app.learning.models import Enrollment, Project
from app.masking import mask_id

log = logging.getLogger(__name__)
BEIJING = datetime.timedelta(hours=8)


# ---- the certified data -------------------------------------------------------------------------

def local_date(dt):
    return (dt + BEIJING).date()


def certified_data(cert):
    """What the certificate states, as printed, fingerprinted and shown by the verification."""
    return {"number": cert.number, "name": cert.name, "id_number": cert.id_number_masked,
            "org_label": "档案所在地" if cert.district_code else "工作单位", "organisation": cert.organisation,
            "project": cert.project_name, "year": cert.year, "hours": cert.credit_hours, "issuer": cert.issuer,
            "issued_on": local_date(cert.issued_at).isoformat()}


def verify_url(cert):
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/verify/{cert.number}?fp={quote(cert.fingerprint)}"


def render_pdf(cert):
    """The certificate's signed PDF: the bytes stored when it was issued (see files.py)."""
    from app.certs import files

    return files.signed_bytes(cert)


def pdf_filename(cert):
    return f"certificate-{cert.number}.pdf"


# ---- download links -----------------------------------------------------------------------------

def download_url(cert):
    """A signed link to the certificate (CERT_LINK_DAYS days); it opens only for its owner, after login."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/certs/download/{signing.download_token(cert.number)}"


def certificate_for_download(token, user):
    """The valid certificate behind a download link for the logged-in `user`, or a clear refusal.

    The PDF carries the full ID number: a forwarded link alone never yields it, only its owner
    (or staff) logged in.
    """
    number, problem = signing.number_from_token(token)
    if problem == "expired":
        raise ApiError("下载链接已过期，请在“我的证书”中下载", code="link_expired", status=410)
    cert = Certificate.get_or_none(Certificate.number == number) if number else None
    if cert is None or (cert.user_id != user.id and not user.is_staff):
        raise ApiError("下载链接无效，或该证书不属于当前登录的账号", status=404)
    refuse_unless_valid(cert)
    return cert


def refuse_unless_valid(cert):
    if cert.status == "revoked":
        raise ApiError(f"该证书已于{cn_date(cert.revoked_at)}撤销，不能再下载", code="certificate_revoked", status=410)
    if cert.status == "replaced":
        raise ApiError("该证书已换发新证书，请在“我的证书”中下载新证书", code="certificate_replaced", status=410)


def cn_date(dt):
    day = local_date(dt)
    return f"{day.year}年{day.month}月{day.day}日"


# ---- issuing ------------------------------------------------------------------------------------

def issue(user, project_id, issued_by=None):
    """Print: the learner's one valid certificate for the plan, made on the first call. Returns (cert, created).

    Idempotent under concurrency: a partial unique index allows one valid certificate per learner and
    plan, so of simultaneous requests one inserts and the others read the winner's row.
    """
    existing = valid_certificate(user.id, project_id)
    if existing is not None:
        return existing, False
    enrollment = owned_enrollment(user, project_id)
    _check_may_issue(user, enrollment.project)
    profile = profile_of(user, project_id)
    if profile is None:
        raise ApiError("请先确认证书信息（姓名、身份证号、工作单位或档案所在地）", code="profile_required", status=409)
    cert, created = _insert(user, enrollment.project, profile, issued_by)
    if created:
        log.info("certificate %s issued to account %s for project %s", cert.number, user.id, project_id)
        cert = _signed(cert)
        announce(cert)
    return cert, created


def _signed(cert):
    """Sign once, at issue: the signed PDF is stored now (a failure leaves it for the first download)."""
    from app.certs import files

    try:
        return files.ensure_signed(cert)
    except ApiError:
        return cert


def _check_may_issue(user, project):
    if not plan_complete(user.id, project):
        earned = earned_hours(user.id, project.id)
        raise ApiError(f"尚未完成该培训项目的学时要求（已获 {earned}/{project.credit_hours} 学时，且须学完全部课程）",
                       code="not_complete", status=409)
    latest = latest_certificate(user.id, project.id)
    # Revoked by a refund: the learner who holds the plan again (bought again) may print a new one.
    if latest is not None and latest.status == "revoked" and latest.revoke_reason != REFUND_REVOKE_REASON:
        raise ApiError(f"该项目的证书已于{cn_date(latest.revoked_at)}撤销，如有疑问请联系客服",
                       code="certificate_revoked", status=409)


def _snapshot(user, project, profile, issued_by):
    org_label, organisation, unit_id, district_code = organisation_of(profile)
    return {"user": user.id, "project": project.id, "year": project.year, "credit_hours": project.credit_hours,
            "project_name": project.name, "name": user.name, "id_number_masked": mask_id(id_number_of(user)),
            "organisation": organisation, "unit": unit_id, "district_code": district_code,
            "issuer": current_app.config["CERT_ISSUER"], "issued_at": utcnow().replace(microsecond=0),
            "issued_by": issued_by.id if issued_by else None}


def _new_certificate(snapshot):
    """A Certificate (not saved) with a fresh number and its fingerprint."""
    cert = Certificate(number=numbers.new_number(snapshot["year"]), status="valid", **snapshot)
    cert.fingerprint = signing.fingerprint(certified_data(cert))
    return cert


def _insert(user, project, profile, issued_by, attempts=3):
    snapshot = _snapshot(user, project, profile, issued_by)
    for _ in range(attempts):
        cert = _new_certificate(snapshot)
        try:
            with db.atomic():
                cert.save(force_insert=True)  # the first statement: SQLite takes the write lock here
                Enrollment.update(certified_at=cert.issued_at).where(
                    Enrollment.user == user.id, Enrollment.project == project.id,
                    Enrollment.certified_at.is_null()).execute()
            return cert, True
        except peewee.IntegrityError:
            winner = valid_certificate(user.id, project.id)
            if winner is not None:
                return winner, False
            # otherwise the random number was taken (about 1 in 10^13): draw another
    raise ApiError("证书编号生成失败，请重试", status=500)


def announce(cert):
    """After the commit: the "certificate ready" message with a signed download link."""
    from app.wechat import messages

    messages.notify(f"certificate-ready:{cert.id}", User.get_by_id(cert.user_id), "certificate_ready",
                    {"project": cert.project_name, "cert_no": cert.number, "time": cert.issued_at + BEIJING},
                    url=download_url(cert))


# ---- staff: revoke and re-issue -----------------------------------------------------------------

def find(number):
    cert = Certificate.get_or_none(Certificate.number == numbers.normalise(number))
    if cert is None:
        raise ApiError("证书不存在", status=404)
    return cert


def revoke(number, reason, staff=None):
    """The certificate stops being valid; the verification then says so, with the date."""
    reason = " ".join((reason or "").split())[:100]
    if not reason:
        raise field_error("reason", "请填写撤销原因")
    cert = find(number)
    changed = Certificate.update(status="revoked", revoked_at=utcnow(), revoke_reason=reason).where(
        Certificate.id == cert.id, Certificate.status == "valid").execute()
    if not changed:
        raise ApiError(f"该证书当前状态为“{status_text(cert.status)}”，不能撤销", code="conflict", status=409)
    log.info("certificate %s revoked by %s", cert.number, f"staff {staff.id}" if staff else "an operator")
    return Certificate.get_by_id(cert.id)


def reissue(number, staff=None, unit_id=None, district_code=None):
    """After a data correction: a new certificate (new number, today's date) from the current account
    data and organisation; the old one is marked replaced and points at the new one."""
    old = find(number)
    if old.status not in ("valid", "revoked"):
        raise ApiError("该证书已换发过，请对新证书操作", code="conflict", status=409)
    user = User.get_by_id(old.user_id)
    project = Project.get_by_id(old.project_id)
    if unit_id or district_code:
        correct_organisation(user, project.id, unit_id, district_code)
    profile = profile_of(user, project.id)
    snapshot = _snapshot(user, project, profile, staff) if profile else None
    if snapshot is None:
        raise ApiError("该学员还没有确认证书信息", code="profile_required", status=409)
    with db.atomic():
        changed = Certificate.update(status="replaced", replaced_at=utcnow()).where(
            Certificate.id == old.id, Certificate.status == old.status).execute()
        if not changed:
            raise ApiError("证书状态已变化，请刷新后重试", code="conflict", status=409)
        new = _new_certificate(snapshot)
        new.save(force_insert=True)
        Certificate.update(replaced_by=new.id).where(Certificate.id == old.id).execute()
    log.info("certificate %s replaced by %s", old.number, new.number)
    new = _signed(new)
    announce(new)
    return new


def status_text(status):
    return {"valid": "有效", "revoked": "已撤销", "replaced": "已换发"}.get(status, status)
