"""Privacy consents (PIPL): the privacy notice and the separate consent to processing sensitive data.

ID numbers are sensitive personal information, so besides accepting the privacy notice a person
gives a separate, explicit consent to their processing (PIPL art. 29). Each document has a version;
what a person accepted is stored per document with its version, the time (UTC) and the IP.

    DOCUMENTS          key -> (title, current version, template)
    require(accepted)  check a submitted {key: version} covers every document at its current version
    record(user, accepted, ip)   store them (after `require`)
    missing(user)      keys whose current version this person has not accepted
"""
from app.consents.models import Consent
from app.db import utcnow
from app.errors import ApiError

DOCUMENTS = {
    "privacy": ("个人信息保护政策", "2026-11-01", "consents/privacy.html"),
    "sensitive_pi": ("敏感个人信息处理单独同意书", "2026-11-01", "consents/sensitive_pi.html"),
}


def current():
    """{key: current version} of every document."""
    return {key: doc[1] for key, doc in DOCUMENTS.items()}


def require(accepted):
    """Raise 422 unless `accepted` names every document at its current version."""
    accepted = accepted if isinstance(accepted, dict) else {}
    fields = {key: f"请阅读并同意《{title}》" for key, (title, version, _) in DOCUMENTS.items()
              if accepted.get(key) != version}
    if fields:
        raise ApiError(next(iter(fields.values())), status=422, data={"fields": fields})
    return current()


def record(user, accepted, ip=""):
    """Store one row per document for this person (call `require` first)."""
    now = utcnow()
    rows = [{"user": user.id, "document": key, "version": version, "accepted_at": now, "ip": (ip or "")[:64]}
            for key, version in require(accepted).items()]
    Consent.insert_many(rows).execute()


def missing(user):
    """Documents whose current version this person has not accepted yet."""
    have = {(c.document, c.version) for c in Consent.select().where(Consent.user == user.id)}
    return [key for key, version in current().items() if (key, version) not in have]
