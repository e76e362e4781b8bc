"""Reading a group-purchase list into Entry items: pasted text, or the unit's 附件2 workbook.

    split_lines(text)     -> [Entry]   the non-blank lines; "no" = position among them
    from_roster(roster)   -> [Entry]   the rows of app.units.roster (verdicts kept); "no" = Excel row

A pasted line is an ID number alone (the manual's way: one a line) or a name and an ID number
("姓名 身份证号"): the ID number is the trailing run of digit/X tokens, so a number pasted with
spaces inside ("5001 0319 9003 0776 57") is one number; whatever comes before it is the name as
typed, checked by the name rule (no space inside: "孙 涛 5001…" is refused). A name written
against the number ("张三500103…") is split at the first digit.
"""
import re
from typing import NamedTuple

from app.errors import ApiError

MAX_LINES = 10_000
RAW_DISPLAY_CHARS = 60

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_BLANK = " \t\r\n\f\v\u3000\u00a0\u200b\u200c\u200d\u2060\ufeff\u00ad"  # a line of only these is blank
_QUOTES = "'\"`‘’“”＇＂,，;；"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ID_TOKEN = re.compile(r"^[0-9０-９XxＸｘ]+$")
_GLUED = re.compile(r"^(\D+?)([0-9０-９].*)$")
# The common line, read without the general path: an optional plain name, one space or tab, 18 characters.
_PLAIN = re.compile(r"^[ \t]*(?:([\u3400-\u9fffA-Za-z·]+)[ \t\u3000]+)?(\d{17}[\dXx])[ \t]*$")


class Entry(NamedTuple):
    """One line: its number, the text as shown, the typed name (None: not given), the ID text, known errors."""

    no: int
    raw: str
    name: str | None
    id_text: str
    errors: tuple = ()


def too_many(count):
    return ApiError(f"名单最多 {MAX_LINES} 行，当前 {count} 行，请分批校验", status=422,
                    data={"max_lines": MAX_LINES, "lines": count})


def display(raw):
    """A line as shown: control characters out, trimmed, at most RAW_DISPLAY_CHARS."""
    text = _CONTROL.sub(" ", str(raw).translate(_INVISIBLE)).strip()
    return text if len(text) <= RAW_DISPLAY_CHARS else text[:RAW_DISPLAY_CHARS - 1] + "…"


def parse_line(raw, no):
    """An Entry from one pasted line (see the module docstring)."""
    plain = _PLAIN.match(raw)
    if plain and len(raw) <= RAW_DISPLAY_CHARS:
        return Entry(no, raw.strip(" \t"), plain.group(1), plain.group(2))
    tokens = [t.strip(_QUOTES) for t in str(raw).translate(_INVISIBLE).split()]
    tokens = [t for t in tokens if t]
    id_tokens = []
    while tokens and _ID_TOKEN.match(tokens[-1]):
        id_tokens.insert(0, tokens.pop())
    if not id_tokens and tokens:
        glued = _GLUED.match(tokens[-1])
        if glued:
            tokens[-1:] = [glued.group(1)]
            id_tokens = [glued.group(2)]
        elif len(tokens) == 1 and any(c.isdigit() for c in tokens[0]):
            id_tokens = [tokens.pop()]  # a malformed number alone: its own error, not a name
    name = " ".join(tokens) or None
    return Entry(no, display(raw), name, "".join(id_tokens))


def split_lines(text):
    """The non-blank lines of pasted text as Entry items."""
    lines = [line for line in str(text or "").splitlines() if line.strip(_BLANK)]
    if not lines:
        raise ApiError("请粘贴学员的身份证号，每行一个（也可以写成“姓名 身份证号”）", status=422)
    if len(lines) > MAX_LINES:
        raise too_many(len(lines))
    return [parse_line(line, no) for no, line in enumerate(lines, 1)]


def from_roster(roster):
    """Entries from a read 附件2 workbook: the name column is always checked, verdicts come along."""
    if len(roster) > MAX_LINES:
        raise too_many(len(roster))
    return [Entry(row.row_no, display(f"{row.name} {row.id_raw}".strip()), row.name or None, row.id_raw,
                  tuple(row.errors)) for row in roster]
