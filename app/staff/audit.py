"""The audit log: every staff action with who, when (UTC), what, on what, before and after.

Values are stored as JSON with ID numbers and mobiles masked: the log says that a full ID number
was viewed, never the number itself.
"""
import json

from flask import has_request_context, request

from app.masking import mask_text
from app.staff.models import AuditEntry

ACTION_TITLES = {}


def _dump(value):
    if value is None or value == "":
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return mask_text(text)


def _actor():
    from app.accounts.policy import current_user

    return current_user() if has_request_context() else None


def record(action, target_type, target_id, before=None, after=None, detail=None, actor=None):
    """Store one staff action; the actor is the logged-in staff member (or `actor` outside a request)."""
    actor = actor or _actor()
    ip = (request.remote_addr or "")[:64] if has_request_context() else ""
    return AuditEntry.create(actor=getattr(actor, "id", None), actor_name=getattr(actor, "name", "") or "",
                             action=action[:40], target_type=target_type[:30], target_id=str(target_id or "")[:40],
                             before=_dump(before), after=_dump(after), detail=_dump(detail), ip=ip)


def register_action(action, title):
    """A Chinese title for an action code, shown in the audit log page."""
    ACTION_TITLES[action] = title


def action_title(action):
    return ACTION_TITLES.get(action, action)


def loads(text):
    """An entry's before/after/detail back as Python values (plain text stays text)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def search(actor=None, action=None, target_type=None, target_id=None, since=None, until=None, text=None):
    """Entries matching every given filter, newest first (a query the table pages)."""
    q = AuditEntry.select()
    if actor:
        q = q.where(AuditEntry.actor_name.contains(actor) | (AuditEntry.actor == _int(actor)))
    if action:
        q = q.where(AuditEntry.action == action)
    if target_type:
        q = q.where(AuditEntry.target_type == target_type)
    if target_id:
        q = q.where(AuditEntry.target_id == str(target_id))
    if since:
        q = q.where(AuditEntry.created_at >= since)
    if until:
        q = q.where(AuditEntry.created_at < until)
    if text:
        q = q.where(AuditEntry.before.contains(text) | AuditEntry.after.contains(text)
                    | AuditEntry.detail.contains(text))
    return q


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
