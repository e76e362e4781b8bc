"""The keyed fingerprint over a certificate's printed data, and the signed download links.

fingerprint = HMAC-SHA256(CERT_SIGNING_KEY, the certified data as canonical JSON), shown as 32 base32
characters in groups of four. It is printed on the page and stored in the PDF's metadata and in the
database; only the platform (which holds the key) can compute it, so a PDF whose data was edited no
longer matches, and a database row edited behind the platform's back is noticed too.
"""
import base64
import hashlib
import hmac
import json

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

# The certified data: what the fingerprint covers, the page prints and the PDF's metadata repeats.
FIELDS = ("number", "name", "id_number", "org_label", "organisation", "project", "year", "hours", "issuer",
          "issued_on")
# Labels on the page; the organisation's is "工作单位" (a unit) or "档案所在地" (a district).
LABELS = {"name": "姓名", "id_number": "身份证号", "organisation": "工作单位", "project": "培训项目",
          "year": "培训年度", "hours": "学时", "issuer": "发证机构", "issued_on": "发证日期", "number": "证书编号"}
ORG_LABELS = ("工作单位", "档案所在地")
DOWNLOAD_SALT = "certificate-download"


def _keys():
    cfg = current_app.config
    old = [k for k in (cfg.get("CERT_SIGNING_OLD_KEYS") or "").split(",") if k.strip()]
    return [cfg["CERT_SIGNING_KEY"], *[k.strip() for k in old]]


def canonical(data):
    """One byte string per data set: the fields in a fixed order, as strings."""
    return json.dumps({k: str(data.get(k, "")) for k in FIELDS}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode()


def fingerprint(data, key=None):
    digest = hmac.new((key or _keys()[0]).encode(), canonical(data), hashlib.sha256).digest()
    text = base64.b32encode(digest[:20]).decode()
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def fingerprint_matches(data, expected):
    """True when `data` carries the fingerprint `expected` under the current or an older key."""
    return any(hmac.compare_digest(fingerprint(data, key), expected or "") for key in _keys())


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DOWNLOAD_SALT)


def download_token(number):
    return _serializer().dumps({"n": number})


def number_from_token(token):
    """(certificate number, None) for a good link; (None, "expired") or (None, "invalid") otherwise."""
    try:
        payload = _serializer().loads(token, max_age=current_app.config["CERT_LINK_DAYS"] * 86400)
    except SignatureExpired:
        return None, "expired"
    except BadSignature:
        return None, "invalid"
    number = payload.get("n") if isinstance(payload, dict) else None
    return (number, None) if isinstance(number, str) else (None, "invalid")
