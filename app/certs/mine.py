"""我的证书: a learner's plans whose requirement is met, and their certificates of every year."""
from app.certs.models import Certificate, latest_certificate
from app.certs.profile import profile_of
from app.certs.service import certified_data, download_url, local_date, status_text, verify_url
from app.learning.flush import earned_hours, plan_complete
from app.learning.models import Enrollment, Project

STATE_TEXT = {"need_profile": "请先确认证书信息", "ready": "可打印证书", "issued": "已签发",
              "revoked": "已撤销"}


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
