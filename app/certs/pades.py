"""PAdES signatures on certificate PDFs (pyHanko): signing once at issue, checking an uploaded file.

`sign(pdf_bytes, signer, box)` adds a visible signature field over the drawn seal (transparent, so the
seal shows; readers open the signature panel from it), PAdES baseline B-B, SHA-256, the signer's
chain embedded, in an incremental update that leaves the document information as issued.
`check(data, roots)` validates the signature of an uploaded file against the platform's trusted roots
without fetching anything from the network.

pyHanko's synchronous calls start an asyncio loop of their own; where the calling thread already runs
one (an async server, or a test process driving a browser), `outside_loop` runs them in a short-lived
thread instead.
"""
import asyncio
import io
import logging
from concurrent.futures import ThreadPoolExecutor

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext

log = logging.getLogger(__name__)
FIELD = "PlatformSeal"
# Room for the CMS signature with the chain (about 4 KB with a 2048-bit key and one root): reserving it
# spares pyHanko a dry-run signature made only to measure the size.
BYTES_RESERVED = 8192
_STAMP = TextStampStyle(stamp_text="", border_width=0, background=None)

# What an uploaded file's signature says (see `check`).
UNSIGNED, INTACT, MODIFIED, FOREIGN, BROKEN = "unsigned", "intact", "modified", "foreign", "broken"


def outside_loop(fn, *args, **kwargs):
    """fn(*args, **kwargs), in another thread when this one runs an asyncio loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


class _SignatureRevision(IncrementalPdfFileWriter):
    """The incremental update that adds the signature, leaving the document information as issued.

    pyHanko's writer otherwise rewrites the information dictionary in the update (a new /ModDate and
    /Producer): a certificate's carries the certified data (/CertData), and reading and writing it again
    cost about a third of the signing time. The signature dictionary's /M records when it was signed.
    """

    def _update_meta(self):
        return None


def sign(pdf_bytes, signer, box, reason="证书签发", location=""):
    """The PDF with an incremental update carrying the signature (bytes)."""
    writer = _SignatureRevision(io.BytesIO(pdf_bytes), strict=False)
    meta = signers.PdfSignatureMetadata(field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason=reason, location=location or None)
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=_STAMP,
                                   new_field_spec=fields.SigFieldSpec(FIELD, box=tuple(int(v) for v in box)))
    out = io.BytesIO()
    outside_loop(pdf_signer.sign_pdf, writer, bytes_reserved=BYTES_RESERVED, output=out)
    return out.getvalue()


def check(data, roots):
    """{"state": one of UNSIGNED/INTACT/MODIFIED/FOREIGN/BROKEN, "signer": the signer's name or ""}.

    INTACT: exactly one signature, over the whole file, mathematically valid, chained to a trusted root.
    MODIFIED: the signed bytes were changed, or something was appended after signing (an incremental
    update). FOREIGN: a valid signature by a key that does not chain to the platform's root.
    """
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        log.info("uploaded PDF: signatures unreadable: %s", exc)
        return {"state": BROKEN, "signer": ""}
    if not signatures:
        return {"state": UNSIGNED, "signer": ""}
    if len(signatures) > 1:
        return {"state": MODIFIED, "signer": ""}
    embedded = signatures[0]
    try:
        status = outside_loop(validate_pdf_signature, embedded,
                              ValidationContext(trust_roots=roots, allow_fetching=False))
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
        log.info("uploaded PDF: signature not validated: %s", exc)
        return {"state": BROKEN, "signer": ""}
    signer = _signer_name(status)
    if not status.intact or not status.valid:
        return {"state": MODIFIED, "signer": signer}
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return {"state": MODIFIED, "signer": signer}
    if not status.trusted:
        return {"state": FOREIGN, "signer": signer}
    return {"state": INTACT, "signer": signer}


def _signer_name(status):
    try:
        return status.signing_cert.subject.native.get("common_name", "") or ""
    except (AttributeError, ValueError):
        return ""
