"""Rows of a bulk registration list: the list reader's verdicts plus the rule on repeated mobiles.

The reader (app.units.roster, with 手机号码 required) judges 姓名, 身份证号码, 手机号码 and 性别
(format, check digit, name rule, gender against the ID number, duplicate rows). Here one more rule:
a mobile repeated on the list is refused on every row that carries it. HR lists often repeat one
number (the HR office's own), but the first-login SMS code goes to that mobile, so whoever holds it
could take over every such account, and a mobile logs in and resets one account only. Those rows
are refused with the reason, to be fixed with each person's own mobile (or they register alone).
"""
from dataclasses import dataclass

REQUIRED = ("name", "id_number", "mobile")


@dataclass(slots=True)
class Row:
    """One list row: what was written (cleaned when valid) and the verdict."""

    no: int  # the Excel row number
    name: str
    id_number: str  # cleaned, or what was written when invalid
    mobile: str
    reason: str = ""  # why refused ("" while acceptable)
    outcome: str = ""  # created / linked / refused, set by app.bulk.accounts

    @property
    def refused(self):
        return bool(self.reason)


def from_roster(roster):
    """Rows from the reader's RosterRows, refused with the reader's reasons where it found any."""
    rows = [Row(r.row_no, r.name, r.id_number or r.id_raw, r.mobile or r.mobile_raw,
                reason="；".join(reason for _, reason in r.errors)) for r in roster]
    return refuse_repeated_mobiles(rows)


def refuse_repeated_mobiles(rows):
    """Every acceptable row whose mobile appears on another acceptable row is refused."""
    seen = {}
    for row in rows:
        if not row.refused:
            seen.setdefault(row.mobile, []).append(row)
    for same in seen.values():
        if len(same) > 1:
            numbers = "、".join(str(r.no) for r in same)
            for row in same:
                row.reason = f"手机号码在名单中重复（第 {numbers} 行），请填写本人手机号"
    return rows
