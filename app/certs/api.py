"""Certificates under /api/v1: my certificates, the data to confirm, printing, the public verification."""
from flask import current_app, request

from app import ratelimit, storage
from app.accounts.policy import current_user, require_owner
from app.api import ApiBlueprint, ok
from app.certs import files, mine, orgs, service, verify
from app.certs import profile as profiles
from app.certs.schemas import (
    CertProfileOut,
    DistrictOut,
    MyCertificateOut,
    OwnerCertificateOut,
    ProfileIn,
    PublicCertificateOut,
    ReissueIn,
    RevokeIn,
    UnitOut,
    UnitsQuery,
    VerificationOut,
    VerifyQuery,
)
from app.errors import ApiError
from app.security import csrf_exempt

bp = ApiBlueprint("certs_api", __name__)
PDF_MAX_BYTES = 2 * 1024 * 1024
VERIFY_PER_MINUTE = 60


def check_verify_rate():
    """Public verification costs a PDF parse: a per-network ceiling keeps it from being abused."""
    count, left = ratelimit.hit(f"certs:verify:{ratelimit.opaque(request.remote_addr or '')}", 60)
    if count > VERIFY_PER_MINUTE:
        raise ApiError(f"查验过于频繁，请 {left} 秒后再试", status=429)


def pdf_response(cert):
    """The stored signed PDF, streamed from storage (the same bytes on every download)."""
    cert = files.ensure_signed(cert)
    try:
        return storage.send(cert.pdf_key, "application/pdf", service.pdf_filename(cert))
    except storage.StorageError as exc:
        current_app.logger.error("certificate %s: serving %s failed: %s", cert.number, cert.pdf_key, exc)
        raise ApiError(files.UNAVAILABLE, code="certificate_unavailable", status=503) from None


def uploaded_pdf():
    """The PDF sent as multipart field `file` or as the raw body (application/pdf)."""
    upload = request.files.get("file")
    data = upload.read(PDF_MAX_BYTES + 1) if upload else request.get_data(cache=False)
    if not data:
        raise ApiError("请上传证书 PDF 文件", status=400)
    if len(data) > PDF_MAX_BYTES:
        raise ApiError("文件过大：证书 PDF 不超过 2 MB", status=413)
    return data


@bp.endpoint("/certificates", response=list[MyCertificateOut])
def my_certificates():
    """My certificates: finished plans and what to do next (confirm data, print, download)."""
    return ok(mine.my_certificates(current_user(), api=True))


@bp.endpoint("/certificates/<int:project_id>/profile", response=CertProfileOut)
def profile(project_id):
    """The data that will be printed (name and masked ID as registered, unit or district)."""
    profiles.owned_enrollment(current_user(), project_id)
    return ok(profiles.profile_view(current_user(), project_id))


@bp.endpoint("/certificates/<int:project_id>/profile", methods=["POST"], body=ProfileIn, response=CertProfileOut)
def save_profile(project_id, data):
    """Confirm name and ID, and pick the unit (or, when not listed, the personnel file's district)."""
    view = profiles.save_profile(current_user(), project_id, data.confirm, data.unit_id, data.district_code)
    return ok(view, "证书信息已确认")


@bp.endpoint("/certificates/<int:project_id>/issue", methods=["POST"], response=OwnerCertificateOut,
             status=(200, 201))
def issue(project_id):
    """Print: issue the certificate on the first call; later calls return the same one."""
    cert, created = service.issue(current_user(), project_id)
    return ok(mine.owner_view(cert, api=True), "证书已签发" if created else "ok", 201 if created else 200)


@bp.endpoint("/certificates/<number>/pdf", media="application/pdf")
def certificate_pdf(number):
    """The certificate's PDF (the owner's, or any for staff)."""
    cert = require_owner(service.find(number))
    service.refuse_unless_valid(cert)
    return pdf_response(cert)


@bp.endpoint("/certificates/verify/<number>", auth=None, response=VerificationOut, query=VerifyQuery)
def verify_number(number, args):
    """Public: is this certificate genuine, revoked or replaced, and what does it certify (ID masked)."""
    check_verify_rate()
    return ok(verify.verify_number(number, args.fp))


@csrf_exempt
@bp.endpoint("/certificates/verify-pdf", methods=["POST"], auth=None, max_body=PDF_MAX_BYTES + 64 * 1024,
             response=VerificationOut)
def verify_pdf():
    """Public: check an uploaded certificate PDF (multipart `file` or an application/pdf body)."""
    check_verify_rate()
    return ok(verify.verify_pdf(uploaded_pdf()))


@bp.endpoint("/certificates/<number>/revoke", methods=["POST"], body=RevokeIn, auth="staff",
             response=PublicCertificateOut)
def revoke(number, data):
    """Reviewers: revoke a certificate (the verification then says so, with the date); audited."""
    from app.staff import certificates
    from app.staff.frame import require_role

    cert = certificates.revoke(number, data.reason, require_role("reviewer"))
    return ok(verify.public_view(cert), "证书已撤销")


@bp.endpoint("/certificates/<number>/reissue", methods=["POST"], body=ReissueIn, auth="staff",
             response=PublicCertificateOut, status=201)
def reissue(number, data):
    """Reviewers: after a data correction, a new certificate (new number); the old one is marked replaced."""
    from app.staff import audit
    from app.staff.frame import require_role

    staff = require_role("reviewer")
    old = service.find(number)
    cert = service.reissue(number, staff, data.unit_id, data.district_code)
    audit.record("certificate.reissue", "certificate", old.number, {"number": old.number, "status": old.status},
                 {"number": cert.number, "status": cert.status, "unit_id": data.unit_id,
                  "district_code": data.district_code}, {"reason": data.reason} if data.reason else None)
    return ok(verify.public_view(cert), "已换发新证书", 201)


@bp.endpoint("/units", response=list[UnitOut], query=UnitsQuery)
def units(args):
    """Units to pick from (?q= part of the name), at most 20."""
    return ok(orgs.search_units(args.q))


@bp.endpoint("/districts", auth=None, response=list[DistrictOut])
def districts():
    """Chongqing's 38 districts and counties (where a personnel file may be kept)."""
    return ok(orgs.districts())
