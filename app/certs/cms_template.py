"""PAdES signature containers made from a template: pyHanko's own CMS, built once per signer.

pyHanko builds each CMS SignedData with asn1crypto, which copies and serialises the signer's
certificate chain and attributes again for every signature: about 10-15 ms, most of a certificate's
signing time. For a PAdES signature without a timestamp, every byte of that container is the same from
one signature to the next except two: the document's digest (inside the signed attributes) and the
signature value (as long as the RSA key's modulus, always). So `TemplateSigner.async_sign` asks
pyHanko once for the container of a marker digest, finds the marker and the signature in its bytes,
and for every later signature copies it with the new digest in place, signs the signed attributes
(DER-encoded as a SET, as CMS prescribes) with the signer's own `async_sign_raw`, and puts the new
signature in place. RSASSA-PKCS1-v1_5 is deterministic, so the result is byte for byte what pyHanko
would have built itself (tests/test_certs_cms_template.py compares them).

Anything else (a dry run, a timestamp, CAdES or Adobe attributes, another digest per call, custom
attribute providers) goes to pyHanko's own `async_sign` unchanged, as does a template whose bytes do
not hold the marker and the signature exactly once, or whose attributes vary per call (a signing time).
"""
import hashlib
import threading

from asn1crypto import cms
from pyhanko.sign.signers import Signer

_SIGNING_TIME = bytes.fromhex("06092a864886f70d010905")  # the OID 1.2.840.113549.1.9.5, DER-encoded


class _Template:
    """A container's bytes and where its digest, signed attributes and signature sit in them."""

    def __init__(self, der, marker, signed_attrs, signature):
        self.der = der
        self.digest_at = _only(der, marker)
        self.signature_at = _only(der, signature)
        self.attrs_at = _only(der, signed_attrs)
        self.attrs_len = len(signed_attrs)
        self.digest_len = len(marker)
        self.signature_len = len(signature)
        self.usable = (self.digest_at is not None and self.signature_at is not None and self.attrs_at is not None
                       and self.attrs_at <= self.digest_at < self.attrs_at + self.attrs_len
                       and _SIGNING_TIME not in signed_attrs)


def _only(haystack, needle):
    """The one offset of `needle` in `haystack`, or None when it is missing or occurs again."""
    at = haystack.find(needle)
    if at < 0 or haystack.find(needle, at + 1) >= 0:
        return None
    return at


class TemplateSigner(Signer):
    """A pyHanko Signer whose plain PAdES signatures reuse a container template (see the module)."""

    _templates_lock = threading.Lock()

    async def async_sign(self, data_digest, digest_algorithm, dry_run=False, use_pades=False, timestamper=None,
                         signed_attr_settings=None, is_pdf_sig=True, encap_content_info=None):
        plain = (not dry_run and use_pades and is_pdf_sig and timestamper is None and encap_content_info is None
                 and self.signed_attr_prov_spec is None and self.unsigned_attr_prov_spec is None
                 and (signed_attr_settings is None or (signed_attr_settings.cades_signed_attrs is None
                                                       and signed_attr_settings.adobe_revinfo_attr is None)))
        if plain:
            template = await self._template(digest_algorithm, len(data_digest), signed_attr_settings)
            if template.usable:
                der = await self._fill(template, data_digest, digest_algorithm)
                if der is not None:
                    return cms.ContentInfo.load(der)
        return await super().async_sign(data_digest, digest_algorithm, dry_run=dry_run, use_pades=use_pades,
                                        timestamper=timestamper, signed_attr_settings=signed_attr_settings,
                                        is_pdf_sig=is_pdf_sig, encap_content_info=encap_content_info)

    async def _fill(self, template, data_digest, digest_algorithm):
        """The template's bytes for `data_digest`, signed; None if the signature's length differs."""
        der = bytearray(template.der)
        der[template.digest_at:template.digest_at + template.digest_len] = data_digest
        attrs = bytes(der[template.attrs_at:template.attrs_at + template.attrs_len])
        signature = await self.async_sign_raw(b"\x31" + attrs[1:], digest_algorithm)
        if len(signature) != template.signature_len:
            return None
        der[template.signature_at:template.signature_at + template.signature_len] = signature
        return bytes(der)

    async def _template(self, digest_algorithm, digest_len, settings):
        templates = self.__dict__.setdefault("_cms_templates", {})
        key = (digest_algorithm, digest_len)
        if key not in templates:
            marker = hashlib.sha512(b"cms-template-marker").digest()[:digest_len]
            content = await super().async_sign(marker, digest_algorithm, use_pades=True,
                                               signed_attr_settings=settings)
            signer_info = content["content"]["signer_infos"][0]
            with self._templates_lock:
                templates[key] = _Template(content.dump(), marker, signer_info["signed_attrs"].dump(),
                                           signer_info["signature"].native)
        return templates[key]
