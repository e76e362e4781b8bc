"""Certificate rules as plain functions: who may print, the data printed, issuing, revoking, re-issuing."""
import datetime
import logging
from urllib.parse import quote

import peewee
from flask import current_app

from app.accounts.models import User
from app.accounts.service import id_number_of
from app.certs import numbers, signing
from app.certs.districts import PROVINCE, district_name
from app.certs.models import REFUND_REVOKE_REASON, Certificate, CertProfile, Unit
from app.certs.orgs import unit_view
from app.db import db, utcnow
from app.errors import ApiError
from app.learning.flush import earned_hours, plan_complete
from app.learning.models import Enrollment, Project
from app.masking import mask_id

log = logging.getLogger(__name__)
BEIJING = datetime.timedelta(hours=8)
STATE_TEXT = {"need_profile": "请先确认证书信息", "ready": "可打印证书", "issued": "已签发",
              "revoked": "已撤销"}


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


# ---- the data a learner confirms ----------------------------------------------------------------

def owned_enrollment(user, project_id):
    enrollment = (Enrollment.select(Enrollment, Project).join(Project)
                  .where(Enrollment.user == user.id, Enrollment.project == project_id,
                         Enrollment.status == "active").first())
    if enrollment is None:
        raise ApiError("您还没有该培训项目", code="not_enrolled", status=404)
    return enrollment


def profile_of(user, project_id):
    return CertProfile.get_or_none(CertProfile.user == user.id, CertProfile.project == project_id)


def organisation_of(profile):
    """(label, printed text, unit id, district code) from a confirmed profile."""
    if profile.unit_id:
        return "工作单位", Unit.get_by_id(profile.unit_id).name, profile.unit_id, ""
    return "档案所在地", PROVINCE + district_name(profile.district_code), None, profile.district_code


def profile_view(user, project_id):
    """The data that will be printed, for the confirmation form."""
    profile = profile_of(user, project_id)
    view = {"name": user.name, "id_number": mask_id(id_number_of(user)), "confirmed": profile is not None,
            "unit": None, "district": None, "locked": valid_certificate(user.id, project_id) is not None}
    if profile is not None and profile.unit_id:
        view["unit"] = unit_view(Unit.get_by_id(profile.unit_id))
    elif profile is not None:
        view["district"] = {"code": profile.district_code, "name": district_name(profile.district_code)}
    return view


def save_profile(user, project_id, confirm, unit_id=None, district_code=None):
    """Confirm name and ID as registered, and pick a unit or the personnel file's district."""
    owned_enrollment(user, project_id)
    if valid_certificate(user.id, project_id) is not None:
        raise ApiError("证书已签发，证书信息不能再修改；如需更正请联系工作人员换发", code="certificate_issued",
                       status=409)
    if not confirm:
        raise _field("confirm", "请确认姓名和身份证号无误（如有错误请联系工作人员更正）")
    unit_id, district_code = _organisation_choice(unit_id, district_code)
    now = utcnow()
    values = {"unit": unit_id, "district_code": district_code, "confirmed_at": now, "updated_at": now}
    try:
        with db.atomic():
            CertProfile.create(user=user.id, project=project_id, **values)
    except peewee.IntegrityError:  # confirmed before (or by a concurrent request): update it
        CertProfile.update(**values).where(CertProfile.user == user.id,
                                           CertProfile.project == project_id).execute()
    return profile_view(user, project_id)


def _organisation_choice(unit_id, district_code):
    if unit_id and district_code:
        raise _field("unit_id", "请选择工作单位，或在单位不在列表中时选择档案所在区县，二者选一")
    if unit_id:
        unit = Unit.get_or_none(Unit.id == unit_id, Unit.is_active == True)  # noqa: E712
        if unit is None:
            raise _field("unit_id", "所选单位不存在，请重新选择")
        return unit.id, ""
    if district_code:
        if district_name(district_code) is None:
            raise _field("district_code", "请选择重庆市的区县")
        return None, district_code
    raise _field("unit_id", "请选择工作单位；单位不在列表中时，请选择人事档案所在区县")


def _field(name, message):
    return ApiError(message, status=422, data={"fields": {name: message}})


# ---- issuing ------------------------------------------------------------------------------------

def valid_certificate(uid, project_id):
    return Certificate.get_or_none(Certificate.user == uid, Certificate.project == project_id,
                                   Certificate.status == "valid")


def latest_certificate(uid, project_id):
    return (Certificate.select().where(Certificate.user == uid, Certificate.project == project_id)
            .order_by(Certificate.id.desc()).first())


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
        raise _field("reason", "请填写撤销原因")
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
        _correct_organisation(user, project.id, unit_id, district_code)
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


def _correct_organisation(user, project_id, unit_id, district_code):
    unit_id, district_code = _organisation_choice(unit_id, district_code)
    CertProfile.update(unit=unit_id, district_code=district_code, updated_at=utcnow()).where(
        CertProfile.user == user.id, CertProfile.project == project_id).execute()


def status_text(status):
    return {"valid": "有效", "revoked": "已撤销", "replaced": "已换发"}.get(status, status)


# ---- what pages and the API show ----------------------------------------------------------------

def owner_view(cert, api=False):
    """A learner's own certificate: the certified data, where to get the PDF."""
    view = {**certified_data(cert), "status": cert.status, "status_text": status_text(cert.status),
            "issued_at": cert.issued_at.isoformat() + "Z",
            "revoked_on": local_date(cert.revoked_at).isoformat() if cert.revoked_at else None,
            "verify_url": verify_url(cert)}
    if cert.status == "valid":
        view["download_url"] = download_url(cert)
        view["pdf_url"] = f"/api/v1/certificates/{cert.number}/pdf" if api else f"/certs/{cert.number}.pdf"
    return view


def my_certificates(user, api=False):
    """Plans whose requirement is met (and any plan with a certificate), each with what can be done next."""
    rows = (Enrollment.select(Enrollment, Project).join(Project)
            .where(Enrollment.user == user.id, Enrollment.status == "active").order_by(Project.year.desc()))
    projects = {e.project.id: e.project for e in rows if plan_complete(user.id, e.project)}
    certified = Project.select().join(Certificate, on=(Certificate.project == Project.id)).where(
        Certificate.user == user.id).distinct()
    projects.update({p.id: p for p in certified})
    items = []
    for project in sorted(projects.values(), key=lambda p: (-p.year, p.id)):
        items.append(_item(user, project, api))
    return items


def _item(user, project, api):
    cert = latest_certificate(user.id, project.id)
    profile = profile_of(user, project.id)
    if cert is not None and cert.status in ("valid", "revoked"):
        state = "issued" if cert.status == "valid" else "revoked"
    else:
        state = "ready" if profile is not None else "need_profile"
    return {"project_id": project.id, "project": project.name, "year": project.year,
            "credit_hours": project.credit_hours, "earned_hours": earned_hours(user.id, project.id),
            "state": state, "state_text": STATE_TEXT[state],
            "certificate": owner_view(cert, api) if cert is not None and state in ("issued", "revoked") else None}
