"""Certificates section: a searchable table, a certificate's page, revoke and re-issue with confirmation."""
from flask import flash, redirect, render_template, request, url_for

from app.accounts.policy import current_user
from app.certs import service as certs
from app.errors import ApiError
from app.staff import bp
from app.staff import certificates as rules
from app.staff.frame import register_section, staff_required
from app.staff.tables import paginate

register_section("certificates", "证书", "staff.certificates", ("service_desk", "reviewer"), order=30)
VIEW_ROLES = ("service_desk", "reviewer")
ACT_ROLES = ("reviewer",)
STATUSES = [("", "全部"), ("valid", "有效"), ("revoked", "已撤销"), ("replaced", "已换发")]


@bp.route("/certificates", methods=["GET", "POST"])
@staff_required(*VIEW_ROLES)
def certificates():
    """GET filters hold no personal data; a posted ID number or mobile becomes the learner's account id."""
    if request.method == "POST":
        args = {"number": request.form.get("number", "").strip()[:24], "status": request.form.get("status", "")}
        learner = request.form.get("learner", "").strip()[:40]
        found = rules.learner_for(learner)
        if found is False:
            flash("没有找到该身份证号或手机号对应的学员", "error")
            return redirect(url_for("staff.certificates"))
        if found is not None:
            args["user"] = found.id
        elif learner:
            args["name"] = learner
        return redirect(url_for("staff.certificates", **{k: v for k, v in args.items() if v}))
    args = {k: request.args.get(k, "").strip()[:30] for k in ("number", "name", "status", "user")}
    query = rules.search(number=args["number"], name=args["name"], status=args["status"],
                         user_id=int(args["user"]) if args["user"].isdigit() else None)
    page = paginate(query, {"issued": certs.Certificate.issued_at, "number": certs.Certificate.number,
                            "name": certs.Certificate.name}, "issued", default_desc=True, args=args)
    return render_template("staff/certificates.html", page=page, args=args, statuses=STATUSES,
                           status_text=certs.status_text, active_section="certificates")


def _find(number):
    cert = certs.Certificate.get_or_none(certs.Certificate.number == certs.numbers.normalise(number))
    if cert is None:
        raise ApiError(f"没有编号为 {number[:24]} 的证书，请核对", status=404)
    return cert


def _render(cert, status=200, **extra):
    return render_template("staff/certificate.html", cert=cert, chain=rules.chain(cert),
                           status_text=certs.status_text, verify_url=certs.verify_url(cert),
                           active_section="certificates", **extra), status


@bp.route("/certificates/<number>")
@staff_required(*VIEW_ROLES)
def certificate(number):
    return _render(_find(number))


@bp.route("/certificates/<number>/<any(revoke, reissue):action>", methods=["POST"])
@staff_required(*ACT_ROLES)
def certificate_action(number, action):
    """First post: the confirmation with the reason field; the confirmed post acts."""
    cert = _find(number)
    reason = request.form.get("reason", "")
    error = None
    if request.form.get("confirmed") == "1":
        try:
            if action == "revoke":
                rules.revoke(cert.number, reason, current_user())
                flash(f"证书 {cert.number} 已撤销")
                return redirect(url_for("staff.certificate", number=cert.number))
            new = rules.reissue(cert.number, reason, current_user())
            flash(f"证书已换发，新编号 {new.number}（已向学员发送微信消息，如已绑定）")
            return redirect(url_for("staff.certificate", number=new.number))
        except ApiError as err:
            error = err
    return _render(cert, error.status if error else 200, confirm_action=action, reason=reason, error=error)
