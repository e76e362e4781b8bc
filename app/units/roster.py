"""The reader of a unit's list of learners (form 附件2), bounded before it is parsed.

    read_roster(data, require=("name", "id_number"), limits=xlsx_limits.DEFAULT) -> Roster

`data` is the xlsx upload (bytes). The zip is first checked by `xlsx_limits.check_xlsx_bounds`
(upload size, uncompressed size, rows and cells counted without an XML parser); only then does
openpyxl read it. Every refusal of the file as a whole is an ApiError 422 with a Chinese message.

The form: a header area ("区    县：渝中区", "单位全称：…", "联系人：…" — labels may have spaces
inside, the value in the same cell or the next one), then a table header row with 序号, 姓名,
身份证号码, 手机号码, 性别, 备注 (only 身份证号码 is needed to find the table; the first sheet
that has it within its first 30 rows is read), then one learner a row.

A Roster (a list of RosterRow, in sheet order) also carries `sheet`, `header_row` (Excel row
number), `columns` (which of the six were found) and `info` (district / unit / credit_code /
contact / phone / email found in the header area).

A RosterRow has the values as the contact typed them, cleaned where they are valid:

    row_no     the Excel row number (what the contact sees in the margin)
    seq        序号 as written ("" when absent)
    name       trimmed; the cleaned name when valid
    id_number  the cleaned number (GB 11643, final X upper-case) or None when invalid
    id_raw     what the cell held, for the error workbook
    mobile     cleaned mobile or None;  gender "M"/"F" or None;  note (备注) as written
    errors     [(code, reason), ...]; `ok` is True when there is none

Per-row verdicts (codes): missing_name, name (no spaces inside, letters/汉字/· only; padded
spaces are trimmed, not refused), missing_id, id (15-digit numbers refused, lower-case x made
upper-case, check digit), excel_number (the ID cell is a number: Excel dropped digits), gender
(not 男/女), gender_mismatch (differs from the ID's 17th digit), missing_mobile, mobile,
duplicate (every row of a repeated ID number is named, with the other rows' numbers; when the
rows give different names or genders, the reason says so). `require` lists the columns that
must be filled: "name" and "id_number" always for a group check; bulk registration adds
"mobile" and "gender". A value given in a column that is not required is still checked.

Blank rows (nothing in 姓名 / 身份证号码 / 手机号码) are skipped; the form's footer
(a cell starting "填表人：", "填表日期：", "审核人：", …) ends the table; more than MAX_ROWS learners is
refused as a whole.
"""
import datetime
import io
import re
from dataclasses import dataclass, field

from app.accounts import rules
from app.errors import ApiError
from app.units import xlsx_limits

MAX_ROWS = 10_000
HEADER_SCAN_ROWS = 30
UNREADABLE = "文件无法读取，请上传 Excel 的 .xlsx 文件（可在 Excel/WPS 中“另存为” .xlsx）"
EXCEL_NUMBER = "Excel 将身份证号存成了数字，末位可能已丢失，请将该列设为文本后重新填写"

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOISE = re.compile(r"[\s\u3000*＊:：]|[（(【\[].*?[）)】\]]")
COLUMNS = {  # header text (spaces, colons, notes in brackets removed) -> column key
    "序号": "seq", "姓名": "name", "身份证号码": "id_number", "身份证号": "id_number", "公民身份证号码": "id_number",
    "公民身份证号": "id_number", "手机号码": "mobile", "手机号": "mobile", "手机": "mobile", "联系电话": "mobile",
    "性别": "gender", "备注": "note",
}
_FOOTER = re.compile(r"^\s*(填\s*表\s*人|填\s*表\s*日\s*期|审\s*核\s*人|负\s*责\s*人|制\s*表\s*人?|单位负责人)\s*[:：]")
_LABELS = {"区县": "district", "单位全称": "unit", "单位名称": "unit", "单位": "unit",
           "统一社会信用代码": "credit_code", "联系人": "contact",
           "联系电话": "phone", "手机": "phone", "电子邮箱": "email", "邮箱": "email"}


def _spaced(label):
    return r"\s*".join(map(re.escape, label))


_LABEL_RE = "|".join(_spaced(k) for k in sorted(_LABELS, key=len, reverse=True))
_LABEL_NOTE = r"(?:\s*[（(][^）)]{0,10}[）)])?"  # 单位（盖章）：
_LABEL_SPLIT = re.compile(rf"({_LABEL_RE}){_LABEL_NOTE}\s*[:：]")
_LABEL_ONLY = re.compile(rf"^({_LABEL_RE}){_LABEL_NOTE}\s*[:：]?$")


@dataclass(slots=True)
class RosterRow:
    row_no: int
    seq: str = ""
    name: str = ""
    id_number: str | None = None
    id_raw: str = ""
    mobile: str | None = None
    mobile_raw: str = ""
    gender: str | None = None
    gender_raw: str = ""
    note: str = ""
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


class Roster(list):
    """The rows of a list (RosterRow), with the sheet name, header row, columns found and header-area info."""

    def __init__(self, rows=(), sheet="", header_row=0, columns=(), info=None):
        super().__init__(rows)
        self.sheet = sheet
        self.header_row = header_row
        self.columns = tuple(columns)
        self.info = info or {}


def text(value, limit=60):
    """A cell as shown and stored: control and invisible characters out, trimmed, at most `limit`."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    shown = _CONTROL.sub(" ", str(value).translate(_INVISIBLE)).strip()
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


def _label_key(label):
    return _LABELS["".join(label.split())]


def read_info(rows):
    """District / unit / credit code / contact / phone / email from the rows above the table header."""
    info = {}
    for row in rows:
        cells = [text(v, 100) for v in row if text(v, 100)]
        for i, cell in enumerate(cells):
            only = _LABEL_ONLY.match(cell)
            if only:
                if i + 1 < len(cells) and not _LABEL_ONLY.match(cells[i + 1]) and not _LABEL_SPLIT.search(cells[i + 1]):
                    info.setdefault(_label_key(only.group(1)), cells[i + 1].strip(" \u3000_"))
                continue
            parts = _LABEL_SPLIT.split(cell)  # [before, label, value, label, value, ...]
            for label, value in zip(parts[1::2], parts[2::2], strict=True):
                value = value.strip(" \u3000_")
                if value:
                    info.setdefault(_label_key(label), value)
    return info


def header_columns(row):
    """{column key: index} when `row` is the table header (it has an ID number column), else None."""
    found = {}
    for index, value in enumerate(row):
        key = COLUMNS.get(_NOISE.sub("", value)) if isinstance(value, str) else None
        if key and key not in found:
            found[key] = index
    return found if "id_number" in found else None


def _open(data, limits):
    import openpyxl

    xlsx_limits.check_xlsx_bounds(data, limits)
    try:
        return openpyxl.load_workbook(io.BytesIO(bytes(data)), read_only=True, data_only=True)
    except Exception:
        raise ApiError(UNREADABLE, status=422) from None


def read_roster(data, require=("name", "id_number"), limits=xlsx_limits.DEFAULT):
    """The learners of an uploaded 附件2 workbook with a verdict per row (see the module docstring)."""
    workbook = _open(data, limits)
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
                columns = header_columns(row)
                if columns is None:
                    above.append(row)
                    continue
                roster = Roster(_read_rows(rows, row_no, columns), sheet=sheet.title, header_row=row_no,
                                columns=columns, info=read_info(above))
                if not roster:
                    raise ApiError(f"工作表“{sheet.title}”的表头下没有学员", status=422)
                check_rows(roster, require)
                return roster
    finally:
        workbook.close()
    raise ApiError("没有找到“身份证号码”列：请使用单位学员名单模板（附件2），"
                   "表头含“序号”“姓名”“身份证号码”“手机号码”“性别”“备注”", status=422)


def _cell(row, columns, key):
    index = columns.get(key)
    return row[index] if index is not None and index < len(row) else None


def _read_rows(rows, header_row, columns):
    out = []
    for row_no, row in enumerate(rows, header_row + 1):
        if any(isinstance(v, str) and _FOOTER.match(v) for v in row):
            break  # the form's footer (填表人：… 填表日期：…) ends the table
        id_value = _cell(row, columns, "id_number")
        values = {k: _cell(row, columns, k) for k in ("seq", "name", "mobile", "gender", "note")}
        if not (text(id_value) or text(values["name"]) or text(values["mobile"])):
            continue
        if len(out) >= MAX_ROWS:
            raise ApiError(f"名单最多 {MAX_ROWS} 人，请分批上传", status=422, data={"max_rows": MAX_ROWS})
        item = RosterRow(row_no, seq=text(values["seq"], 10), name=text(values["name"], 30),
                         id_raw=text(id_value, 40), mobile_raw=text(values["mobile"], 20),
                         gender_raw=text(values["gender"], 6), note=text(values["note"], 60))
        if isinstance(id_value, int | float) and not isinstance(id_value, bool):
            item.errors.append(("excel_number", EXCEL_NUMBER))
            item.id_raw = ""  # the digits Excel kept are not the number; the contact retypes it
        out.append(item)
    return out


def check_rows(roster, require=("name", "id_number"), today=None):
    """Fill each row's cleaned values and `errors` (format rules, then duplicates); returns the roster."""
    today = today or datetime.date.today()
    for row in roster:
        _check_row(row, require, today)
    _mark_duplicates(roster)
    return roster


def _check_row(row, require, today):
    if not row.name:
        if "name" in require:
            row.errors.append(("missing_name", "未填写姓名"))
    else:
        try:
            row.name = rules.clean_name(row.name)
        except ValueError as exc:
            row.errors.append(("name", str(exc)))
    if row.errors and row.errors[0][0] == "excel_number":
        pass
    elif not row.id_raw:
        row.errors.append(("missing_id", "未填写身份证号"))
    else:
        try:
            row.id_number = rules.clean_id_number(row.id_raw, today)
        except ValueError as exc:
            row.errors.append(("id", str(exc)))
    if row.mobile_raw:
        try:
            row.mobile = rules.clean_mobile(row.mobile_raw)
        except ValueError as exc:
            row.errors.append(("mobile", str(exc)))
    elif "mobile" in require:
        row.errors.append(("missing_mobile", "未填写手机号码"))
    if row.gender_raw:
        try:
            row.gender = rules.clean_gender(row.gender_raw)
        except ValueError:
            row.errors.append(("gender", "性别应填写“男”或“女”"))
    elif "gender" in require:
        row.errors.append(("gender", "未填写性别"))
    if row.gender and row.id_number and rules.id_gender(row.id_number) != row.gender:
        row.errors.append(("gender_mismatch", "性别与身份证号不符（身份证号第 17 位奇数为男、偶数为女）"))


def _mark_duplicates(roster):
    groups = {}
    for row in roster:
        if row.id_number:
            groups.setdefault(row.id_number, []).append(row)
    for rows in groups.values():
        if len(rows) < 2:
            continue
        names = {r.name for r in rows}
        genders = {r.gender for r in rows if r.gender}
        for row in rows:
            others = "、".join(str(r.row_no) for r in rows if r is not row)
            reason = f"身份证号与第 {others} 行重复"
            if len(names) > 1:
                reason += f"，且姓名不同（{'、'.join(sorted(n or '空' for n in names))}）"
            if len(genders) > 1:
                reason += "，且性别不同"
            row.errors.append(("duplicate", reason))
