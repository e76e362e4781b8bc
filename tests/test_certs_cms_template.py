"""The signature container made from a template (app/certs/cms_template.py) and the signature revision.

The template's container must be exactly what pyHanko builds itself for the same digest; anything the
template cannot reproduce goes to pyHanko; and signing leaves the certificate's document information
as issued.
"""
import asyncio
import datetime
import hashlib
import io
import os

import pytest
from asn1crypto import cms
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import Signer
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

from app.certs import pades, pki
from app.certs.cms_template import _Template
from app.certs.models import Certificate
from app.storage import storage
from tests.certs_fixtures import finished_learner, issued


@pytest.fixture
def signer(tmp_path):
    return pki.load({"CERT_PKI_DIR": str(tmp_path / "pki")})[0]


def _settings():
    return PdfCMSSignedAttributes(signing_time=datetime.datetime.now(datetime.UTC))


def _run(coroutine):
    """Run a coroutine to its end, in another thread when this one already runs an event loop (the browser
    tests leave one)."""
    return pades.outside_loop(asyncio.run, coroutine)


def _pyhanko(signer, digest, **kwargs):
    """pyHanko's own container for `digest` (Signer.async_sign, not the template's)."""
    return _run(Signer.async_sign(signer, digest, "sha256", **kwargs))


def _attr_types(content):
    return [a["type"].native for a in content["content"]["signer_infos"][0]["signed_attrs"]]


def test_the_template_container_is_byte_for_byte_pyhankos(signer):
    assert "_cms_templates" not in signer.__dict__
    for _ in range(3):
        digest = hashlib.sha256(os.urandom(64)).digest()
        fast = _run(signer.async_sign(digest, "sha256", use_pades=True, signed_attr_settings=_settings()))
        slow = _pyhanko(signer, digest, use_pades=True, signed_attr_settings=_settings())
        assert fast.dump() == slow.dump()
        info = fast["content"]["signer_infos"][0]
        message_digest = [a for a in info["signed_attrs"] if a["type"].native == "message_digest"]
        assert message_digest[0]["values"][0].native == digest
    template = signer.__dict__["_cms_templates"][("sha256", 32)]
    assert template.usable is True
    assert _attr_types(fast) == ["content_type", "message_digest", "signing_certificate_v2"]  # PAdES B-B


def test_the_signature_is_over_the_signed_attributes_as_a_set(signer):
    digest = hashlib.sha256(b"certificate").digest()
    content = _run(signer.async_sign(digest, "sha256", use_pades=True, signed_attr_settings=_settings()))
    info = content["content"]["signer_infos"][0]
    signed = b"\x31" + info["signed_attrs"].dump()[1:]
    public_key = serialization.load_der_public_key(signer.signing_cert.public_key.dump())
    public_key.verify(info["signature"].native, signed, padding.PKCS1v15(), hashes.SHA256())  # raises if wrong
    tampered = bytearray(signed)
    tampered[-1] ^= 1
    with pytest.raises(InvalidSignature):
        public_key.verify(info["signature"].native, bytes(tampered), padding.PKCS1v15(), hashes.SHA256())


def test_signatures_the_template_cannot_reproduce_go_to_pyhanko(signer):
    digest = hashlib.sha256(b"not pades").digest()
    content = _run(signer.async_sign(digest, "sha256", use_pades=False, signed_attr_settings=_settings()))
    assert "signing_time" in _attr_types(content)  # CAdES without PAdES: a signing time, per signature
    assert "_cms_templates" not in signer.__dict__
    dry = _run(signer.async_sign(digest, "sha256", dry_run=True, use_pades=True))
    assert _attr_types(dry) == ["content_type", "message_digest", "signing_certificate_v2"]
    assert "_cms_templates" not in signer.__dict__  # a dry run is pyHanko's too


def test_a_template_is_not_used_when_its_parts_are_not_found_once():
    marker, signature = b"M" * 32, b"S" * 256
    attrs = b"\xa0\x40" + b"a" * 10 + marker + b"b" * 22
    assert _Template(b"head" + attrs + b"mid" + signature + b"end", marker, attrs, signature).usable is True
    assert _Template(b"head" + attrs + marker + signature, marker, attrs, signature).usable is False
    assert _Template(b"head" + attrs + signature + signature, marker, attrs, signature).usable is False
    assert _Template(b"head" + marker + attrs.replace(marker, b"x" * 32) + signature, marker,
                     attrs.replace(marker, b"x" * 32), signature).usable is False  # digest outside the attributes
    timed = attrs + bytes.fromhex("06092a864886f70d010905")
    assert _Template(b"head" + timed + signature, marker, timed, signature).usable is False


def test_signing_leaves_the_document_information_as_issued(app, registered):
    user, project = finished_learner()
    cert = Certificate.get_by_id(issued(user, project).id)
    signed = storage().get(cert.pdf_key)
    first_eof = signed.index(b"%%EOF") + len(b"%%EOF")
    issued_part, update = signed[:first_eof], signed[first_eof:]
    assert b"/CertData" in issued_part
    assert b"/Sig" in update
    assert b"/CertData" not in update  # the information dictionary is not written again
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    assert reader.trailer["/Info"]["/CertNumber"] == cert.number
    assert pades.check(signed, pki.current()[1])["state"] == pades.INTACT
    assert isinstance(reader.embedded_signatures[0].signed_data, cms.SignedData)
