"""Group purchase (团体购买): check a unit's list of ID numbers before one order pays for them all.

Plain functions; no Flask request objects, only the app context (database, Redis, PII keys):

    split_lines(text)                        -> list[str]    pasted text, blank lines dropped
    parse_xlsx(file_bytes)                   -> SheetLines   the ID column of the unit's list (form 附件2)
    check_lines(project, lines, buyer=None)  -> dict         one entry per line, valid_user_ids, counts
    public_view(result)                      -> dict         what the page / API shows (no full ID numbers)
    error_workbook(result_or_saved)          -> bytes        the failed lines as xlsx: 行号, 填写内容, 原因
    save_check(result, buyer, project)       -> check_id     kept 24 h in Redis, readable by the buyer only
    load_check(check_id, buyer)              -> dict         the saved check (same line shape, slimmer)

Line numbers ("no", and "第 N 行" in reasons):
  * pasted text: blank lines (empty or only spaces) are dropped and do not count; "no" is the
    1-based position among the non-blank lines, i.e. the N-th ID number of the list;
  * xlsx: the Excel row number, as the contact sees it in the left margin of Excel/WPS.

Normalisation of a line before the GB 11643 check (rules.clean_id_number): every whitespace
character is removed, inside the number too (lists are copied from Excel and chat messages,
"5001 0319 9003 0776 57" is one number), as are zero-width characters and surrounding quotes;
full-width digits and x become ASCII, a final x becomes X. Nothing else is guessed.

Database: three queries per check whatever the number of lines: the accounts by blind index
(one IN over the hashes of every valid number under every configured PII key), the enrollments,
and the seats of open orders. Fewer only when there is nothing to ask: no line with a valid
number (no query), or no active account among them (just the first).  SQLite's bound-variable limit is read from the
connection; the account query is split only if lines x keys exceeds it (stock SQLite >= 3.32:
32766, so up to 3 keys during a rotation still make one query for 10,000 lines).
"""
import datetime
import io
import json
import re
import secrets
import sqlite3
import zipfile
from dataclasses import dataclass

import peewee

from app.accounts import rules
from app.accounts.models import User
from app.db import db, utcnow
from app.errors import ApiError
from app.learning.models import Enrollment
from app.masking import mask_id
from app.pay import orders
from app.pay.models import Order, OrderSeat
from app.pii import cipher
from app.redis_client import get_redis

MAX_LINES = 10_000
MAX_XLSX_BYTES = 2 * 1024 * 1024  # the upload itself (same as the API's body limit)
MAX_XLSX_UNZIPPED = 60 * 1024 * 1024  # what it expands to (a zip bomb is refused before parsing)
HEADER_SCAN_ROWS = 30  # the table header is looked for in the first rows of each sheet
RAW_DISPLAY_CHARS = 60  # a pasted line is shown (and stored) up to this length
CHECK_TTL = 24 * 3600
CHECKS_PER_BUYER = 5  # older saved checks of the same buyer are dropped
_CHECK_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# Error codes of a line (stable, for the page to filter or count) and their reasons.
EXCEL_NUMBER = "Excel 将身份证号存成了数字，末位可能已丢失，请将该列设为文本后重新填写"
NOT_REGISTERED = "该身份证号未注册，请先注册或批量注册"
INACTIVE = "账号已停用"
OWNED = "已购买该项目"
PENDING_OTHER = "已在其他待支付订单中"

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_QUOTES = "'\"`‘’“”＇＂"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # also what openpyxl refuses to write


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a list with its number; `error` = (code, reason) already known (e.g. from Excel)."""

    raw: str
    no: int
    error: tuple[str, str] | None = None


class SheetLines(list):
    """The entries read from an xlsx list (a list of Entry), with what the header area said."""

    def __init__(self, entries=(), sheet="", header_row=0, info=None):
        super().__init__(entries)
        self.sheet = sheet
        self.header_row = header_row
        self.info = info or {}  # district / unit / contact, when the form's header area gives them


def _too_many(count):
    return ApiError(f"名单最多 {MAX_LINES} 行，当前 {count} 行，请分批校验", status=422,
                    data={"max_lines": MAX_LINES, "lines": count})


# ---------------------------------------------------------------------------------------------
# Reading a list
# ---------------------------------------------------------------------------------------------

def split_lines(text):
    """The non-blank lines of pasted text, as pasted (numbering: position among these lines)."""
    lines = [line for line in str(text or "").splitlines() if line.translate(_INVISIBLE).strip()]
    if not lines:
        raise ApiError("请粘贴学员的身份证号，每行一个", status=422)
    if len(lines) > MAX_LINES:
        raise _too_many(len(lines))
    return lines


def normalise(raw):
    """The candidate ID number in a line: no whitespace or invisible characters, no quotes around."""
    value = "".join(str(raw).translate(_INVISIBLE).split())
    return value.strip(_QUOTES)


def display(raw):
    """A line as shown and stored: control characters out, trimmed, at most RAW_DISPLAY_CHARS."""
    text = _CONTROL.sub(" ", str(raw).translate(_INVISIBLE)).strip()
    return text if len(text) <= RAW_DISPLAY_CHARS else text[:RAW_DISPLAY_CHARS - 1] + "…"


_HEADER_NOISE = re.compile(r"[\s*＊:：]|[（(【\[].*?[）)】\]]")
_ID_HEADER = re.compile(r"^(公民)?身份证(号码|号)?$")
_LABELS = r"区县|区（县）|区\(县\)|单位名称|单位|联系人"
_LABEL_NOTE = r"(?:[（(][^）)]{0,10}[）)])?"  # 单位（盖章）：
_LABEL_SPLIT = re.compile(rf"({_LABELS}){_LABEL_NOTE}\s*[:：]")
_LABEL_ONLY = re.compile(rf"^({_LABELS}){_LABEL_NOTE}\s*[:：]?$")
_INFO_KEYS = {"区县": "district", "区（县）": "district", "区(县)": "district", "单位名称": "unit", "单位": "unit",
              "联系人": "contact"}


def _header_text(value):
    return _HEADER_NOISE.sub("", value) if isinstance(value, str) else ""


def _read_info(rows):
    """District / unit / contact from the header area: "单位：xx局" in a cell, or "单位" then a cell."""
    info = {}
    for row in rows:
        cells = [str(v).strip() for v in row if v is not None and str(v).strip()]
        for i, text in enumerate(cells):
            only = _LABEL_ONLY.match(text)
            if only:
                if i + 1 < len(cells) and not _LABEL_ONLY.match(cells[i + 1]):
                    info.setdefault(_INFO_KEYS[only.group(1)], display(cells[i + 1]))
                continue
            parts = _LABEL_SPLIT.split(text)  # [before, label, value, label, value, ...]
            for label, value in zip(parts[1::2], parts[2::2], strict=True):
                value = value.strip(" \u3000_")
                if value:
                    info.setdefault(_INFO_KEYS[label], display(value))
    return info


def _number_text(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _open_workbook(file_bytes):
    import openpyxl

    data = bytes(file_bytes or b"")
    if not data:
        raise ApiError("上传的文件是空的，请选择单位的学员名单（.xlsx）", status=422)
    if len(data) > MAX_XLSX_BYTES:
        raise ApiError(f"文件过大（超过 {MAX_XLSX_BYTES // 1024 // 1024} MB），请删除多余的工作表或图片，或分批上传",
                       status=422)
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise ApiError("这是旧版 .xls 文件或加密的 Excel 文件，请在 Excel/WPS 中“另存为” .xlsx（不设密码）后上传",
                       status=422)
    unreadable = ApiError("文件无法读取，请上传 Excel 的 .xlsx 文件（可在 Excel/WPS 中“另存为” .xlsx）", status=422)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_XLSX_UNZIPPED:
                raise ApiError("文件内容过大，请删除多余的工作表或图片，或分批上传", status=422)
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ApiError:
        raise
    except Exception:  # not a zip, not a workbook, a broken part: all mean the same to the user
        raise unreadable from None


def parse_xlsx(file_bytes):
    """The ID numbers of the unit's list (form 附件2) as SheetLines of Entry, numbered by Excel row.

    The first sheet whose first rows hold a "身份证号码" (or "身份证号") header cell is read, that
    column below it. Empty cells are skipped, except when the row has a name: then the line says
    the ID number is missing. A number cell (Excel turned the ID into a number, dropping digits)
    becomes an error line. `info` gets district / unit / contact from the header area if present.
    """
    workbook = _open_workbook(file_bytes)
    try:
        for sheet in workbook.worksheets:
            if not hasattr(sheet, "iter_rows"):  # chart sheets
                continue
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # some writers store a wrong size; read what is there
            rows = sheet.iter_rows(values_only=True)
            above = []
            for row_no, row in enumerate(rows, 1):
                if row_no > HEADER_SCAN_ROWS:
                    break
                headers = [_header_text(v) for v in row]
                id_col = next((i for i, h in enumerate(headers) if _ID_HEADER.match(h)), None)
                if id_col is None:
                    above.append(row)
                    continue
                name_col = next((i for i, h in enumerate(headers) if h == "姓名"), None)
                entries = _read_table(rows, row_no, id_col, name_col)
                if not entries:
                    raise ApiError(f"工作表“{sheet.title}”的“身份证号码”列下没有内容", status=422)
                return SheetLines(entries, sheet=sheet.title, header_row=row_no, info=_read_info(above))
    finally:
        workbook.close()
    raise ApiError("没有找到“身份证号码”列：请使用单位学员名单模板（附件2），表头含“姓名”“身份证号码”等列",
                   status=422)


def _read_table(rows, header_row, id_col, name_col):
    entries, beyond = [], 0
    for row_no, row in enumerate(rows, header_row + 1):
        value = row[id_col] if id_col < len(row) else None
        if isinstance(value, str) and not value.translate(_INVISIBLE).strip():
            value = None
        if len(entries) >= MAX_LINES:  # past the limit: only count, to say how many there are
            beyond += value is not None
            continue
        if value is None:
            name = row[name_col] if name_col is not None and name_col < len(row) else None
            try:
                name = rules.clean_name(name)
            except ValueError:
                continue  # an empty row, a numbered but unfilled row, a footer
            entries.append(Entry("", row_no, ("missing", f"未填写身份证号（姓名：{name}）")))
        elif isinstance(value, bool) or not isinstance(value, int | float):
            entries.append(Entry(str(value), row_no))
        else:
            entries.append(Entry(_number_text(value), row_no, ("excel_number", EXCEL_NUMBER)))
    if beyond:
        raise _too_many(len(entries) + beyond)
    return entries


# ---------------------------------------------------------------------------------------------
# Checking a list
# ---------------------------------------------------------------------------------------------

def _entries(raw_lines):
    entries = [item if isinstance(item, Entry) else Entry(str(item), no)
               for no, item in enumerate(raw_lines, 1)]
    if len(entries) > MAX_LINES:
        raise _too_many(len(entries))
    return entries


def _param_limit():
    """How many values one IN (...) may bind: SQLite's compiled limit; PostgreSQL has none that matters."""
    if isinstance(db.obj, peewee.SqliteDatabase):
        try:
            return db.connection().getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except AttributeError:  # Python < 3.11: assume the historical default
            return 999
    return None


def _chunks(values, size):
    if not size or len(values) <= size:
        return [values]
    return [values[i:i + size] for i in range(0, len(values), size)]


def _in(field, values):
    """`field IN (?, ?, ...)` for a non-empty list of plain values, the placeholders written at once.

    Same SQL as field.in_(values), but peewee builds a node per value and renders the list twice
    (once to see if it is empty): ~0.1 s per 10,000 values, as much as the queries themselves.
    """
    return peewee.NodeList((field, peewee.SQL("IN (" + ",".join([db.param] * len(values)) + ")", values)))


def _accounts_by_number(numbers):
    """{id_number: (user_id, name, is_active)} of the registered ones: one query (see module doc)."""
    if not numbers:
        return {}
    c = cipher()
    by_hash = {}
    for number in numbers:
        for h in c.all_indexes(number, "id_number"):
            by_hash[h] = number
    found = {}
    for chunk in _chunks(list(by_hash), _param_limit()):
        query = User.select(User.id, User.id_number_hash, User.name, User.is_active).where(
            _in(User.id_number_hash, chunk))
        for user_id, h, name, active in db.execute(query).fetchall():  # plain rows: no model wrappers
            found.setdefault(by_hash[h], (user_id, name, bool(active)))
    return found


def _owners(project, user_ids):
    """The users among `user_ids` who own the plan: orders.owners' condition, one query."""
    query = Enrollment.select(Enrollment.user).where(
        Enrollment.project == project.id, Enrollment.status == "active", _in(Enrollment.user, user_ids))
    return {row[0] for row in db.execute(query).fetchall()}


def _open_seats(project, user_ids):
    """{user_id: (buyer_id, order_no)}: seats in unpaid orders for the plan (orders.in_open_orders' condition)."""
    query = (OrderSeat.select(OrderSeat.user, Order.buyer, Order.order_no).join(Order)
             .where(Order.project == project.id, Order.status.in_(orders.OPEN_STATES), _in(OrderSeat.user, user_ids))
             .order_by(Order.id))
    seats = {}
    for user_id, buyer_id, order_no in db.execute(query).fetchall():
        seats.setdefault(user_id, (buyer_id, order_no))
    return seats


_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[Ee]\+?\d+$")
_DIGIT_RUN = re.compile(r"\d{15}")


def _format_error(value, exc):
    """(code, reason) of a line that is not a valid number, with a hint when Excel mangled it."""
    if _SCIENTIFIC.match(value):  # copied from a number cell shown as 5.00103E+17
        return "excel_number", EXCEL_NUMBER
    if len(value) > 18 and _DIGIT_RUN.search(value):  # a name, a mobile or a second number on the line
        return "invalid", "每行只填写一个身份证号，不要带姓名、手机号等其他内容"
    reason = str(exc)
    if len(value) == 18 and value.isdigit() and value.endswith("000") and "校验位" in reason:
        reason += "（末三位为 000，可能是 Excel 将身份证号存成了数字，请将该列设为文本后重新填写）"
    return "invalid", reason


def check_lines(project, raw_lines, buyer=None):
    """Check every line of a list for a group order of `project`.

    `raw_lines`: strings (numbered by position, as from split_lines) or Entry items (as from
    parse_xlsx). `buyer` (optional) only words the reason of a line already in one of the
    buyer's own unpaid orders (with its order number). Returns a JSON-ready dict:

        project_id, source ("text" | "xlsx"), sheet (xlsx: name, header_row, district/unit/contact),
        lines: [{no, raw, id_number, masked, status ("ok" | "error"), code, reason, user_id, name}],
        valid_user_ids (in list order), counts {total, ok, error, by_code}, unit_price_fen, amount_fen

    code (None when ok): invalid, excel_number, missing, duplicate, not_registered, inactive,
    owned, pending_order. A duplicate, owned, pending or inactive line carries the account's
    user_id and name too; only "ok" lines are in valid_user_ids.
    """
    entries = _entries(raw_lines)
    today = datetime.date.today()
    lines, first = [], {}  # first: id_number -> the line where it first appears
    for entry in entries:
        line = {"no": entry.no, "raw": display(entry.raw), "id_number": None, "masked": "", "status": "error",
                "code": None, "reason": None, "user_id": None, "name": None}
        lines.append(line)
        if entry.error:
            line["code"], line["reason"] = entry.error
            line["masked"] = mask_id(normalise(entry.raw))
            continue
        value = normalise(entry.raw)
        try:
            number = rules.clean_id_number(value, today)
        except ValueError as exc:
            (line["code"], line["reason"]), line["masked"] = _format_error(value, exc), mask_id(value)
            continue
        line["id_number"], line["masked"] = number, mask_id(number)
        if number in first:
            line["code"], line["reason"] = "duplicate", f"与第 {first[number]['no']} 行重复"
        else:
            first[number] = line

    accounts = _accounts_by_number(list(first))
    active_ids = []
    for number, line in first.items():
        account = accounts.get(number)
        if account is None:
            line["code"], line["reason"] = "not_registered", NOT_REGISTERED
            continue
        line["user_id"], line["name"], active = account
        if not active:
            line["code"], line["reason"] = "inactive", INACTIVE
        else:
            active_ids.append(line["user_id"])
    owned = _owners(project, active_ids) if active_ids else set()
    pending = _open_seats(project, active_ids) if active_ids else {}  # not narrowed by `owned`: always 3

    buyer_id = getattr(buyer, "id", None)
    valid = []
    for line in first.values():
        uid = line["user_id"]
        if line["code"] is not None:
            continue
        if uid in owned:
            line["code"], line["reason"] = "owned", OWNED
        elif uid in pending:
            seat_buyer, order_no = pending[uid]
            line["code"] = "pending_order"
            line["reason"] = (f"已在您的待支付订单 {order_no} 中" if buyer_id is not None and seat_buyer == buyer_id
                              else PENDING_OTHER)
        else:
            line["status"] = "ok"
            valid.append(uid)
    for line in lines:  # a repeated line names the same person as the line it repeats
        if line["code"] == "duplicate":
            original = first[line["id_number"]]
            line["user_id"], line["name"] = original["user_id"], original["name"]

    by_code = {}
    for line in lines:
        if line["code"]:
            by_code[line["code"]] = by_code.get(line["code"], 0) + 1
    return {
        "project_id": project.id,
        "source": "xlsx" if isinstance(raw_lines, SheetLines) else "text",
        "sheet": ({"name": raw_lines.sheet, "header_row": raw_lines.header_row, **raw_lines.info}
                  if isinstance(raw_lines, SheetLines) else None),
        "lines": lines,
        "valid_user_ids": valid,
        "counts": {"total": len(lines), "ok": len(valid), "error": len(lines) - len(valid), "by_code": by_code},
        "unit_price_fen": project.price_fen,
        "amount_fen": project.price_fen * len(valid),
    }


def public_view(result):
    """The check for the page / API: masked numbers; the pasted text only for the lines to fix."""
    view = {k: result.get(k) for k in ("project_id", "source", "sheet", "counts", "unit_price_fen", "amount_fen")}
    view["lines"] = [
        {"no": line["no"], "status": "ok", "masked": line["masked"], "name": line.get("name")}
        if line["status"] == "ok" else
        {"no": line["no"], "status": "error", "code": line["code"], "reason": line["reason"], "raw": line["raw"],
         "masked": line["masked"], "name": line.get("name")}
        for line in result["lines"]]
    return view


# ---------------------------------------------------------------------------------------------
# The error file
# ---------------------------------------------------------------------------------------------

def error_workbook(result):
    """xlsx bytes: the failed lines (行号, 填写内容, 原因), 填写内容 kept as text to fix and paste again.

    Works on a check_lines result or a load_check one. The pasted text is written as it was (the
    unit's contact needs the full number to correct it), always as a string cell: never a number
    (Excel would round it) nor a formula (a line starting with "=" stays text).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误行")
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 26
    sheet.column_dimensions["C"].width = 56
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in ("行号", "填写内容", "原因"):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    text_align = Alignment(horizontal="left")
    for line in result["lines"]:
        if line["status"] == "ok":
            continue
        content = WriteOnlyCell(sheet, value=_CONTROL.sub(" ", line.get("raw") or ""))
        content.data_type = "s"
        content.number_format = "@"
        content.alignment = text_align
        sheet.append([line["no"], content, line["reason"] or ""])
    notes = workbook.create_sheet("说明")
    for text in ("“错误行”表列出未通过校验的行及原因。",
                 "请按原因修改“填写内容”列（该列为文本格式，身份证号不会被改成数字），",
                 "修改后复制该列，粘贴到团体购买页面重新校验；已购买或在待支付订单中的学员无需再次提交。"):
        notes.append([text])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Keeping a check for the next steps (download the error file, place the order)
# ---------------------------------------------------------------------------------------------

def _check_key(check_id):
    return f"group:check:{check_id}"


def _slim(line):
    """What is kept of a line: ok -> user id + masked number; error -> also the pasted text and reason."""
    if line["status"] == "ok":
        return {"no": line["no"], "status": "ok", "masked": line["masked"], "user_id": line["user_id"]}
    return {"no": line["no"], "status": "error", "code": line["code"], "reason": line["reason"],
            "raw": line["raw"], "masked": line["masked"]}


def save_check(result, buyer, project):
    """Keep a check 24 hours in Redis for its buyer; returns its random id.

    Only user ids, masked numbers and the failed lines' pasted text are kept (no full number of
    a valid line, no names). A buyer keeps at most CHECKS_PER_BUYER checks; older ones go.
    """
    check_id = secrets.token_urlsafe(18)
    payload = {
        "check_id": check_id, "buyer_id": buyer.id, "project_id": project.id,
        "created_at": utcnow().isoformat() + "Z", "source": result.get("source", "text"),
        "sheet": {k: v for k, v in (result.get("sheet") or {}).items() if k != "contact"} or None,
        "counts": result["counts"], "valid_user_ids": result["valid_user_ids"],
        "unit_price_fen": result.get("unit_price_fen"), "amount_fen": result.get("amount_fen"),
        "lines": [_slim(line) for line in result["lines"]],
    }
    r = get_redis()
    recent = f"group:checks:{buyer.id}"
    pipe = r.pipeline()
    pipe.set(_check_key(check_id), json.dumps(payload, ensure_ascii=False, separators=(",", ":")), ex=CHECK_TTL)
    pipe.lpush(recent, check_id)
    pipe.lrange(recent, CHECKS_PER_BUYER, -1)
    pipe.ltrim(recent, 0, CHECKS_PER_BUYER - 1)
    pipe.expire(recent, CHECK_TTL)
    dropped = pipe.execute()[2]
    if dropped:
        r.delete(*[_check_key(c) for c in dropped])
    return check_id


def load_check(check_id, buyer):
    """The saved check, for its buyer only (anyone else, or after 24 h: 404, same message)."""
    gone = ApiError("名单校验结果不存在或已过期（保留 24 小时），请重新校验名单", status=404)
    if not isinstance(check_id, str) or not _CHECK_ID_RE.match(check_id) or buyer is None:
        raise gone
    raw = get_redis().get(_check_key(check_id))
    if raw is None:
        raise gone
    saved = json.loads(raw)
    if saved.get("buyer_id") != buyer.id:
        raise gone
    return saved
