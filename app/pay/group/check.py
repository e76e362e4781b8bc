"""Checking a group-purchase list without revealing anything stored about a person.

    check_lines(project, entries) -> dict   one entry per line, valid_user_ids, counts

Each line: the ID number's format and check digit (GB 11643), the typed name's rule, duplicates
(every line of a repeated number is named), the person is registered, a typed name matches the
stored one. The answer only ever contains what the contact typed and these verdicts:

    "未注册，请先批量注册"      no account has that number
    "姓名与身份证号不一致"      the typed name is not the account's name (which is never shown)

Whether the person already owns the plan, holds a seat in an unpaid order or has a disabled
account is not looked at and never said: an unpaid order reserves nobody, and a seat paid for a
learner who owns the plan by then is refunded automatically (app.pay.duplicates).

Database: one query per check whatever the number of lines (the accounts by blind index: one IN
over the hashes of every valid number under every configured PII key; split only when SQLite's
bound-variable limit would be passed), none when no line has a valid number.
"""
import datetime
import functools
import operator
import re
import sqlite3

import peewee

from app.accounts import rules
from app.accounts.models import User
from app.db import db
from app.masking import mask_id
from app.pay.group.lines import MAX_LINES, too_many
from app.pii import cipher

NOT_REGISTERED = "未注册，请先批量注册"
NAME_MISMATCH = "姓名与身份证号不一致"
_SPACES = str.maketrans({"\u3000": " "})


def _param_limit():
    """How many values one IN (...) may bind: SQLite's compiled limit; PostgreSQL has none that matters."""
    if isinstance(db.obj, peewee.SqliteDatabase):
        try:
            return db.connection().getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except AttributeError:  # Python < 3.11
            return 999
    return None


def _chunks(values, size):
    if not size or len(values) <= size:
        return [values]
    return [values[i:i + size] for i in range(0, len(values), size)]


def _in(field, values):
    """`field IN (?, ?, ...)` with the placeholders written at once (peewee's in_ costs ~0.1 s per 10,000)."""
    return peewee.NodeList((field, peewee.SQL("IN (" + ",".join([db.param] * len(values)) + ")", values)))


def accounts_by_number(numbers):
    """{id_number: (user_id, stored name)} of the registered ones: one query (see the module docstring)."""
    if not numbers:
        return {}
    c = cipher()
    by_hash = {}
    for number in numbers:
        for h in c.all_indexes(number, "id_number"):
            by_hash[h] = number
    found = {}
    for chunk in _chunks(list(by_hash), _param_limit()):
        query = User.select(User.id, User.id_number_hash, User.name).where(_in(User.id_number_hash, chunk))
        for user_id, h, name in db.execute(query).fetchall():  # plain rows: no model wrappers
            found.setdefault(by_hash[h], (user_id, name))
    return found


_DIGITS18 = re.compile(r"^\d{17}[\dX]$")


@functools.lru_cache(maxsize=65536)
def _birth_ok(yyyymmdd, today):
    try:
        birth = datetime.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return 1900 <= birth.year and birth <= today


def clean_number(text, today):
    """rules.clean_id_number, with a quick path for the common valid number (same result, same errors)."""
    value = text.upper() if text[-1:] == "x" else text
    if (_DIGITS18.match(value) and value[:2] in rules.PROVINCES and _birth_ok(value[6:14], today)
            and rules.CHECK_CHARS[sum(map(operator.mul, map(int, value[:17]), rules.WEIGHTS)) % 11] == value[17]):
        return value
    return rules.clean_id_number(text, today)


def _format(entry, line, today):
    """Name rule and ID number of a line without known errors; returns the cleaned number or None."""
    errors = []
    if entry.name is not None:
        try:
            line["name"] = rules.clean_name(entry.name.translate(_SPACES))
        except ValueError as exc:
            errors.append(("name", str(exc)))
    if not entry.id_text:
        errors.append(("missing_id", "未填写身份证号"))
        number = None
    else:
        try:
            number = clean_number(entry.id_text, today)
        except ValueError as exc:
            number = None
            errors.append(("invalid", str(exc)))
    line["masked"] = mask_id(number or entry.id_text)
    if errors:
        line["code"], line["reason"] = errors[0][0], "；".join(reason for _, reason in errors)
    return number if not errors else None


def _mark_duplicates(by_number):
    for lines in by_number.values():
        if len(lines) < 2:
            continue
        names = {ln["name"] for ln in lines if ln["name"]}
        for line in lines:
            others = "、".join(str(o["no"]) for o in lines if o is not line)
            line["code"], line["reason"] = "duplicate", f"身份证号与第 {others} 行重复" + (
                "，且姓名不同" if len(names) > 1 else "")


def check_lines(project, entries):
    """Check every Entry for a group order of `project` (see the module docstring). JSON-ready dict:

        project_id, lines: [{no, raw, name (as typed), masked, status ("ok" | "error"), code, reason,
        user_id (internal: never shown)}], valid_user_ids, labels {user_id: typed name},
        counts {total, ok, error, by_code}, unit_price_fen, amount_fen
    """
    if len(entries) > MAX_LINES:
        raise too_many(len(entries))
    today = datetime.date.today()
    lines, by_number = [], {}
    for entry in entries:
        line = {"no": entry.no, "raw": entry.raw, "name": entry.name, "masked": "", "status": "error",
                "code": None, "reason": None, "user_id": None}
        lines.append(line)
        if entry.errors:
            line["code"], line["reason"] = entry.errors[0][0], "；".join(reason for _, reason in entry.errors)
            line["masked"] = mask_id(rules_safe_number(entry.id_text))
            continue
        number = _format(entry, line, today)
        if number:
            by_number.setdefault(number, []).append(line)
    _mark_duplicates(by_number)
    unique = {n: ls[0] for n, ls in by_number.items() if len(ls) == 1}
    accounts = accounts_by_number(list(unique))
    valid, labels = [], {}
    for number, line in unique.items():
        account = accounts.get(number)
        if account is None:
            line["code"], line["reason"] = "not_registered", NOT_REGISTERED
        elif line["name"] is not None and line["name"] != account[1]:
            line["code"], line["reason"] = "name_mismatch", NAME_MISMATCH
        else:
            line["status"], line["user_id"] = "ok", account[0]
            valid.append(account[0])
            labels[account[0]] = line["name"] or ""
    by_code = {}
    for line in lines:
        if line["code"]:
            by_code[line["code"]] = by_code.get(line["code"], 0) + 1
    return {"project_id": project.id, "lines": lines, "valid_user_ids": valid, "labels": labels,
            "counts": {"total": len(lines), "ok": len(valid), "error": len(lines) - len(valid), "by_code": by_code},
            "unit_price_fen": project.price_fen, "amount_fen": project.price_fen * len(valid)}


def rules_safe_number(text):
    """The ID text of a refused line, for masking (spaces out)."""
    return "".join(str(text or "").split())
