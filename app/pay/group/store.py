"""What is kept of a group check, and for how long.

    public_view(result)                    -> dict    the answer for the page / API
    save_check(result, buyer, unit, project) -> check_id   kept CHECK_TTL in Redis, for that buyer only
    load_check(check_id, buyer)            -> dict    the saved check
    error_workbook(saved)                  -> bytes   the failed lines as xlsx: 行号, 填写内容 (masked), 原因
    record_check(result, buyer, unit, project)        a GroupCheckRecord for staff (ID numbers masked)

The answer and everything kept carry only what the contact typed (names, numbers) and verdicts;
ID numbers are masked everywhere except in the contact's own request. Failed lines are kept one
hour, as long as the page needs them to offer the error file, masked.
"""
import io
import json
import re
import secrets

from app.db import utcnow
from app.errors import ApiError
from app.masking import mask_id
from app.redis_client import get_redis

CHECK_TTL = 3600
CHECKS_PER_BUYER = 5  # older saved checks of the same buyer are dropped
_CHECK_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9０-９][0-9０-９XxＸｘ ]{4,}[0-9０-９XxＸｘ]")


def masked(text):
    """A typed line with every run of 6+ digits (an ID number, valid or not, a mobile) masked."""
    return _DIGITS.sub(lambda m: mask_id(m.group(0)), text or "")


def public_view(result):
    """Masked numbers, the typed names, verdicts; never a stored name or any account state."""
    view = {k: result.get(k) for k in ("project_id", "unit_id", "source", "counts", "unit_price_fen", "amount_fen")}
    view["lines"] = [
        {"no": ln["no"], "status": "ok", "masked": ln["masked"], "name": ln["name"]} if ln["status"] == "ok" else
        {"no": ln["no"], "status": "error", "masked": ln["masked"], "name": ln["name"], "code": ln["code"],
         "reason": ln["reason"], "raw": masked(ln["raw"])}
        for ln in result["lines"]]
    return view


def _check_key(check_id):
    return f"group:check:{check_id}"


def save_check(result, buyer, unit, project):
    """Keep a check for its buyer; returns its random id (older checks beyond CHECKS_PER_BUYER go)."""
    check_id = secrets.token_urlsafe(18)
    payload = {
        "check_id": check_id, "buyer_id": buyer.id, "unit_id": unit.id, "project_id": project.id,
        "created_at": utcnow().isoformat() + "Z", "counts": result["counts"],
        "valid_user_ids": result["valid_user_ids"], "labels": {str(k): v for k, v in result["labels"].items()},
        "unit_price_fen": result["unit_price_fen"], "amount_fen": result["amount_fen"],
        "errors": [{"no": ln["no"], "raw": masked(ln["raw"]), "reason": ln["reason"]}
                   for ln in result["lines"] if ln["status"] != "ok"],
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
    """The saved check, for its buyer only (anyone else, or after an hour: 404, same message)."""
    gone = ApiError("名单校验结果不存在或已过期（保留 1 小时），请重新校验名单", status=404)
    if not isinstance(check_id, str) or not _CHECK_ID_RE.match(check_id) or buyer is None:
        raise gone
    raw = get_redis().get(_check_key(check_id))
    if raw is None:
        raise gone
    saved = json.loads(raw)
    if saved.get("buyer_id") != buyer.id:
        raise gone
    return saved


def mark_ordered(saved, order_no):
    """Remember the order made from a check: placing the order again returns it instead of a second one."""
    r = get_redis()
    key = _check_key(saved["check_id"])
    ttl = r.ttl(key)
    if ttl and ttl > 0:
        r.set(key, json.dumps({**saved, "order_no": order_no}, ensure_ascii=False, separators=(",", ":")), ex=ttl)


def error_workbook(saved):
    """xlsx bytes of the failed lines: 行号 (the list's line or Excel row), 填写内容 masked, 原因."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误行")
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 30
    sheet.column_dimensions["C"].width = 56
    header = []
    for title in ("行号", "填写内容", "原因"):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for line in saved["errors"]:
        content = WriteOnlyCell(sheet, value=_CONTROL.sub(" ", line["raw"] or ""))
        content.data_type = "s"  # never a number or a formula
        sheet.append([line["no"], content, line["reason"] or ""])
    notes = workbook.create_sheet("说明")
    for text in ("“错误行”表列出未通过校验的行及原因（身份证号已部分隐藏，请按行号在原名单中查找）。",
                 "请在原名单中修改后重新粘贴或上传校验。未注册的学员请先批量注册。"):
        notes.append([text])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def record_check(result, buyer, unit, project):
    """Keep for staff who asked about which ID numbers (masked), with the counts."""
    from app.units.models import GroupCheckRecord

    GroupCheckRecord.create(unit=unit.id, user=buyer.id, project=project.id, line_count=result["counts"]["total"],
                            failed_count=result["counts"]["error"],
                            ids_masked=json.dumps([ln["masked"] for ln in result["lines"]]))
