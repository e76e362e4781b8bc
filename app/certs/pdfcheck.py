"""Reading an uploaded PDF within bounds, so a hostile file cannot hold a web worker.

A certificate is one A4 page of a few dozen objects. Before any text is extracted, every object of
the file is visited once and every stream decoded under a ceiling (pypdf's own limits, tightened for
this call only); the work stops at the first bound passed: pages, objects, bytes of one decoded
stream, bytes decoded in all, seconds. The file size itself is bounded by the upload limit.
"""
import io
import time

from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError
from pypdf.generic import IndirectObject, StreamObject

MAX_PAGES = 2
MAX_OBJECTS = 3000
MAX_STREAM_BYTES = 4 * 1024 * 1024
MAX_DECODED_BYTES = 12 * 1024 * 1024
MAX_SECONDS = 3.0
NOT_READABLE = "无法读取该文件：请上传从本平台下载的证书 PDF 原件（未加密、未转换格式）"
TOO_COMPLEX = "该文件的内容超出证书文件的正常范围（页数、对象或数据量过大），不是本平台签发的证书，已拒绝查验"
TOO_SLOW = "该文件结构异常，查验超时，不是本平台签发的证书，已拒绝查验"


class Refused(Exception):
    """The file is not read further; `message` says why, for the user."""

    def __init__(self, message, reason):
        super().__init__(reason)
        self.message = message
        self.reason = reason


def _limits():
    return {"zlib_maximum_output_length": MAX_STREAM_BYTES, "lzw_maximum_output_length": MAX_STREAM_BYTES,
            "run_length_maximum_output_length": MAX_STREAM_BYTES, "brotli_maximum_output_length": MAX_STREAM_BYTES,
            "jbig2_maximum_output_length": MAX_STREAM_BYTES, "image_maximum_buffer_size": MAX_STREAM_BYTES,
            "array_based_stream_maximum_output_length": MAX_STREAM_BYTES,
            "maximum_declared_stream_length": MAX_STREAM_BYTES, "stream_decoding_work_maximum_length": MAX_STREAM_BYTES,
            "array_maximum_element_count": 20_000, "dictionary_maximum_element_count": 5_000,
            "page_tree_maximum_entries": 100, "form_fields_maximum_entries": 100,
            "xform_maximum_invocations_per_extraction": 50, "jbig2dec_binary": None}


def read(data, max_seconds=MAX_SECONDS):
    """(text of page 1, document information dict) of `data`, or Refused."""
    deadline = time.monotonic() + max_seconds
    try:
        with apply_configuration(**_limits()):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise Refused(NOT_READABLE, "encrypted")
            pages = len(reader.pages)
            if pages == 0:
                raise Refused(NOT_READABLE, "no page")
            if pages > MAX_PAGES:
                raise Refused(TOO_COMPLEX, f"{pages} pages")
            _visit_objects(reader, deadline)
            text = reader.pages[0].extract_text() or ""
            _check_time(deadline)
            return text, dict(reader.metadata or {})
    except LimitReachedError as exc:
        raise Refused(TOO_COMPLEX, f"pypdf limit: {exc}") from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OverflowError, MemoryError) as exc:
        raise Refused(NOT_READABLE, f"{type(exc).__name__}: {exc}") from None


def _visit_objects(reader, deadline):
    """Resolve every object in the cross-reference tables and decode every stream, within the bounds."""
    numbers = {(num, gen) for gen, table in reader.xref.items() for num in table}
    numbers |= {(num, 0) for num in reader.xref_objStm}
    if len(numbers) > MAX_OBJECTS:
        raise Refused(TOO_COMPLEX, f"{len(numbers)} objects")
    decoded = 0
    for num, gen in sorted(numbers):
        _check_time(deadline)
        obj = reader.get_object(IndirectObject(num, gen, reader))
        if isinstance(obj, StreamObject):
            decoded += len(obj.get_data())
            if decoded > MAX_DECODED_BYTES:
                raise Refused(TOO_COMPLEX, f"more than {MAX_DECODED_BYTES} decoded bytes")


def _check_time(deadline):
    if time.monotonic() > deadline:
        raise Refused(TOO_SLOW, "time budget spent")
