"""Certificates in the console: search, and revoke or re-issue with a reason (audited)."""
from app.accounts import rules, service
from app.certs import service as certs
from app.certs.models import Certificate
from app.errors import ApiError
from app.staff import audit

for _code, _title in [("certificate.revoke", "撤销证书"), ("certificate.reissue", "换发证书")]:
    audit.register_action(_code, _title)


def learner_for(text):
    """An ID number or mobile typed into a search box, resolved through the blind index (or None)."""
    text = (text or "").strip()
    lookups = ((rules.clean_id_number, service.find_by_id_number), (rules.clean_mobile, service.find_by_mobile))
    for clean, find in lookups:
        try:
            value = clean(text)
        except ValueError:
            continue
        return find(value) or False
    return None


def search(number="", name="", user_id=None, status="", year=None):
    """Certificates matching every given filter (a query the table pages)."""
    q = Certificate.select()
    if number:
        q = q.where(Certificate.number.contains(number.strip().upper()))
    if name:
        q = q.where(Certificate.name.contains(name.strip()))
    if user_id:
        q = q.where(Certificate.user == user_id)
    if status:
        q = q.where(Certificate.status == status)
    if year:
        q = q.where(Certificate.year == year)
    return q


def _reason(reason, what):
    reason = " ".join((reason or "").split())[:100]
    if not reason:
        raise ApiError(f"请填写{what}原因", status=422, data={"fields": {"reason": f"请填写{what}原因"}})
    return reason


def revoke(number, reason, staff=None):
    reason = _reason(reason, "撤销")
    cert = certs.revoke(number, reason, staff)
    audit.record("certificate.revoke", "certificate", cert.number, {"status": "valid"},
                 {"status": cert.status, "revoked_at": cert.revoked_at}, {"reason": reason}, actor=staff)
    return cert


def reissue(number, reason, staff=None):
    """A new certificate from the learner's current data; the old one is marked replaced."""
    reason = _reason(reason, "换发")
    old = certs.find(number)
    new = certs.reissue(number, staff=staff)
    audit.record("certificate.reissue", "certificate", old.number, {"number": old.number, "status": old.status,
                                                                   "name": old.name},
                 {"number": new.number, "status": new.status, "name": new.name}, {"reason": reason}, actor=staff)
    return new


def chain(cert):
    """The certificate and the ones it replaced or was replaced by, oldest first."""
    older = []
    prev = Certificate.get_or_none(Certificate.replaced_by == cert.id)
    while prev is not None and len(older) < 20:
        older.insert(0, prev)
        prev = Certificate.get_or_none(Certificate.replaced_by == prev.id)
    newer = []
    nxt = cert.replaced_by_id
    while nxt and len(newer) < 20:
        c = Certificate.get_by_id(nxt)
        newer.append(c)
        nxt = c.replaced_by_id
    return older + [cert] + newer
