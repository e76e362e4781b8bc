"""H5 pages: my certificates, confirming the data, printing, the signed download, the public verification."""
import hashlib

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from app.accounts.policy import current_user, page
from app.certs import mine, orgs, pki, service, verify
from app.certs import profile as profiles
from app.certs.api import PDF_MAX_BYTES, check_verify_rate, pdf_response
from app.errors import ApiError
from app.security import csrf_exempt, large_body

bp = Blueprint("certs", __name__)


@bp.route("/certs")
@page()
def my_certificates():
    """My certificates (R-13): finished plans, with "print certificate"."""
    return render_template("certs/my_certificates.html", items=mine.my_certificates(current_user()))


@bp.route("/certs/<int:project_id>/profile", methods=["GET", "POST"])
@page()
def profile(project_id):
    """Before the first print: confirm name and ID, pick the unit or the personnel file's district."""
    user = current_user()
    enrollment = profiles.owned_enrollment(user, project_id)
    error = None
    if request.method == "POST":
        try:
            profiles.save_profile(user, project_id, request.form.get("confirm") == "1", **_organisation_form())
            flash("证书信息已确认，现在可以打印证书")
            return redirect(url_for("certs.my_certificates"))
        except ApiError as err:
            if err.status != 422:
                raise
            error = err
    q = request.args.get("q", "")
    return render_template("certs/profile.html", project=enrollment.project, q=q, units=orgs.search_units(q),
                           profile=profiles.profile_view(user, project_id), districts=orgs.districts(),
                           error=error, chosen=request.form if error else None)


def _organisation_form():
    choice = request.form.get("org", "")
    if choice.startswith("unit:") and choice[5:].isdigit():
        return {"unit_id": int(choice[5:])}
    if choice == "district":
        return {"district_code": request.form.get("district_code", "")}
    return {}


@bp.route("/certs/<int:project_id>/issue", methods=["POST"])
@page()
def issue(project_id):
    """Print certificate: issue it once (the same certificate on every later press)."""
    cert, created = service.issue(current_user(), project_id)
    flash(f"证书已签发，证书编号 {cert.number}" if created else f"证书已签发过，证书编号 {cert.number}")
    return redirect(url_for("certs.my_certificates", _anchor=f"cert-{cert.number}"))


@bp.route("/certs/<number>.pdf")
@page()
def certificate_pdf(number):
    """My certificate's signed PDF, any year: the bytes stored when it was issued."""
    cert = service.find(number)
    user = current_user()
    if cert.user_id != user.id and not user.is_staff:
        raise ApiError("证书不存在", status=404)
    service.refuse_unless_valid(cert)
    return pdf_response(cert)


@bp.route("/certs/download/<token>")
def download(token):
    """The link of the "certificate ready" message: the PDF (with the full ID number) after login, for its
    owner only. Inside WeChat the login is the official account's OAuth (one tap once bound)."""
    user = current_user()
    if user is None:
        if "MicroMessenger" in request.headers.get("User-Agent", ""):
            return redirect(url_for("wechat.start", next=request.full_path))
        return redirect(url_for("accounts_pages.login", next=request.full_path))
    return pdf_response(service.certificate_for_download(token, user))


@bp.route("/verify")
def verify_form():
    """Type a number (or scan the QR code), or upload a PDF."""
    number = request.args.get("number", "").strip()
    if number:
        return redirect(url_for("certs.verify_page", number=number[:40]))
    return render_template("certs/verify.html", result=None, root=_root_view())


@bp.route("/verify/root.pem")
def root_certificate():
    """The platform's root certificate, for offices to trust in their PDF reader."""
    response = current_app.response_class(pki.current()[2], mimetype="application/x-pem-file")
    response.headers["Content-Disposition"] = 'attachment; filename="platform-root.pem"'
    return response


def _root_view():
    """The published root: its name and SHA-256 fingerprint, for offices to compare."""
    root = pki.current()[1][0]
    digest = hashlib.sha256(root.dump()).hexdigest().upper()
    return {"name": root.subject.native.get("common_name", ""),
            "sha256": ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))}


@bp.route("/verify/<number>")
def verify_page(number):
    check_verify_rate()
    result = verify.verify_number(number, request.args.get("fp"))
    return render_template("certs/verify.html", result=result, number=number, root=_root_view())


@bp.route("/verify", methods=["POST"])
@large_body(PDF_MAX_BYTES + 64 * 1024)
@csrf_exempt  # public and without side effects: nothing to forge
def verify_upload():
    check_verify_rate()
    upload = request.files.get("file")
    data = upload.read(PDF_MAX_BYTES + 1) if upload else b""
    if not data:
        result = verify.answer("invalid", "请选择要查验的证书 PDF 文件")
    elif len(data) > PDF_MAX_BYTES:
        result = verify.answer("invalid", "文件过大：证书 PDF 不超过 2 MB")
    else:
        result = verify.verify_pdf(data)
    return render_template("certs/verify.html", result=result, uploaded=True, root=_root_view())
