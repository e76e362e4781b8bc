"""Bounds on an uploaded xlsx, checked on the zip itself before any XML parser sees it.

    check_xlsx_bounds(data, limits=DEFAULT) -> None    or raises ApiError 422 with a message in Chinese

An xlsx is a zip of XML parts. A few hundred kilobytes can expand to millions of cells (a 195 KB
file with 4 million cells took 19 s of CPU in openpyxl), so before parsing:

  1. the upload's own size (`max_bytes`);
  2. the uncompressed size the zip declares, in total (`max_unzipped`);
  3. the worksheets are decompressed as a stream, never beyond `max_unzipped` whatever the
     headers declare, and their `<row>` and `<c>` start tags are counted with a byte pattern
     (no XML parser): more than `max_rows` rows or `max_cells` cells is refused.

Step 3 costs about as much as decompressing (roughly 0.1 s for 30 MB); a refused file stops at the
first limit passed.
"""
import io
import re
import zipfile
from dataclasses import dataclass

from app.errors import ApiError


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 2 * 1024 * 1024  # the upload (same as the API's body limit)
    max_unzipped: int = 40 * 1024 * 1024  # every part together, once expanded
    max_rows: int = 12_000  # <row> elements over all worksheets (10,000 learners + the header area)
    max_cells: int = 200_000  # <c> elements over all worksheets


DEFAULT = Limits()
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_CHUNK = 1024 * 1024


def _refuse(message, **data):
    return ApiError(message, status=422, data=data or None)


def _too_big(limits):
    size = limits.max_unzipped // 1024 // 1024
    return _refuse(f"文件内容过大（解压后超过 {size} MB），请删除多余的工作表、图片或空白格式后重新上传，或分批上传",
                   max_unzipped=limits.max_unzipped)


def _count_tags(stream, budget, limits, counts):
    """Add the <row>/<c> tags of one part to `counts`; returns the bytes left of `budget`."""
    tail = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        budget -= len(chunk)
        if budget < 0:
            raise _too_big(limits)
        data = tail + chunk
        cut = data.rfind(b"<")  # a tag cut by the chunk boundary is counted with the next chunk
        if cut == -1:
            body, tail = data, b""
        else:
            body, tail = data[:cut], data[cut:]
        counts[0] += len(_ROW.findall(body))
        counts[1] += len(_CELL.findall(body))
        _check_counts(counts, limits)
    counts[0] += len(_ROW.findall(tail))
    counts[1] += len(_CELL.findall(tail))
    _check_counts(counts, limits)
    return budget


def _check_counts(counts, limits):
    rows, cells = counts
    if rows > limits.max_rows:
        raise _refuse(f"表格行数过多（超过 {limits.max_rows} 行），请删除多余的行或分批上传（每批最多 10000 人）",
                      max_rows=limits.max_rows)
    if cells > limits.max_cells:
        raise _refuse(f"表格单元格过多（超过 {limits.max_cells} 个），请只保留名单所需的列和行，或分批上传",
                      max_cells=limits.max_cells)


def check_xlsx_bounds(data, limits=DEFAULT):
    """Refuse an upload that is empty, too large, not an xlsx, or expands beyond `limits`."""
    data = bytes(data or b"")
    if not data:
        raise _refuse("上传的文件是空的，请选择单位的学员名单（.xlsx）")
    if len(data) > limits.max_bytes:
        raise _refuse(f"文件过大（超过 {limits.max_bytes // 1024 // 1024} MB），请删除多余的工作表或图片，或分批上传",
                      max_bytes=limits.max_bytes)
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise _refuse("这是旧版 .xls 文件或加密的 Excel 文件，请在 Excel/WPS 中“另存为” .xlsx（不设密码）后上传")
    unreadable = _refuse("文件无法读取，请上传 Excel 的 .xlsx 文件（可在 Excel/WPS 中“另存为” .xlsx）")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > limits.max_unzipped:
                raise _too_big(limits)
            sheets = [i for i in infos if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
            if not sheets:
                raise unreadable
            budget, counts = limits.max_unzipped, [0, 0]
            for info in sheets:
                with archive.open(info) as stream:
                    budget = _count_tags(stream, budget, limits, counts)
    except ApiError:
        raise
    except Exception:  # not a zip, a broken or encrypted part: all mean the same to the user
        raise unreadable from None
