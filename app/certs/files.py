"""The signed certificate PDF: made once when the certificate is issued, kept in app/storage.

`ensure_signed(cert)` renders the page (the full ID number when CERT_PRINT_FULL_ID is on), signs it
(PAdES, app/certs/pades.py) and stores it under a key that includes the file's hash; the record then
points at it (`pdf_key`, `pdf_sha256`). A record points at one file for good: when two requests race,
the first to record its key wins and the other's file is removed. Every download serves those bytes.
"""
import hashlib
import logging

from flask import current_app

from app.accounts.models import User
from app.accounts.service import id_number_of
from app.certs import pades, pdf, pki
from app.certs.models import Certificate
from app.errors import ApiError
from app.storage import NotFound, StorageError, storage

log = logging.getLogger(__name__)
UNAVAILABLE = "证书服务暂不可用，请稍后再试或联系客服"


def storage_key(cert, sha256):
    return f"certificates/{cert.year}/{cert.number}-{sha256[:16]}.pdf"


def make_signed(cert):
    """The certificate's signed PDF bytes, made now (not stored)."""
    from app.certs.service import certified_data, verify_url

    cfg = current_app.config
    printed_id = id_number_of(User.get_by_id(cert.user_id)) if cfg["CERT_PRINT_FULL_ID"] else None
    try:
        unsigned = pdf.render(certified_data(cert), verify_url(cert), cert.fingerprint, cfg["CERT_FONT_PATH"],
                              cfg.get("CERT_FALLBACK_FONT_PATH") or "", printed_id=printed_id)
        signer, _, _ = pki.current()
    except (pdf.FontMissing, pki.SignerMissing) as exc:
        log.error("certificate %s cannot be made: %s", cert.number, exc)
        raise ApiError(UNAVAILABLE, code="certificate_unavailable", status=503) from None
    return pades.sign(unsigned, signer, pdf.SEAL_BOX, location=cfg["CERT_ISSUER"])


def ensure_signed(cert):
    """The certificate with its signed file stored (made on the first call; later calls are free)."""
    if cert.pdf_key:
        return cert
    data = make_signed(cert)
    sha256 = hashlib.sha256(data).hexdigest()
    key = storage_key(cert, sha256)
    try:
        storage().put(key, data, "application/pdf")
    except StorageError as exc:
        log.error("certificate %s: storing the signed PDF failed: %s", cert.number, exc)
        raise ApiError(UNAVAILABLE, code="certificate_unavailable", status=503) from None
    won = Certificate.update(pdf_key=key, pdf_sha256=sha256).where(
        Certificate.id == cert.id, Certificate.pdf_key == "").execute()
    if not won:  # another request stored its file first: keep that one
        storage().delete(key)
    return Certificate.get_by_id(cert.id)


def signed_bytes(cert):
    """The stored signed PDF of a certificate (made first if an older record has none)."""
    cert = ensure_signed(cert)
    try:
        return storage().get(cert.pdf_key)
    except NotFound:
        log.error("certificate %s: the signed PDF %s is missing from storage", cert.number, cert.pdf_key)
        raise ApiError(UNAVAILABLE, code="certificate_unavailable", status=503) from None
    except StorageError as exc:
        log.error("certificate %s: reading the signed PDF failed: %s", cert.number, exc)
        raise ApiError(UNAVAILABLE, code="certificate_unavailable", status=503) from None
