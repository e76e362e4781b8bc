"""Read the development SMTP server's stored messages (for /dev/mail and the tests)."""
import email
from email import policy
from pathlib import Path

from flask import current_app


def _dir():
    return Path(current_app.config["MAIL_OUTBOX_DIR"])


def _parse(path):
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    body = msg.get_body(preferencelist=("plain",))
    attachments = [{"filename": part.get_filename(), "content_type": part.get_content_type(),
                    "size": len(part.get_payload(decode=True) or b"")} for part in msg.iter_attachments()]
    return {"id": path.stem, "from": str(msg["From"]), "to": str(msg["To"]), "subject": str(msg["Subject"]),
            "date": str(msg["Date"] or ""), "text": body.get_content() if body else "",
            "attachments": attachments}


def messages(limit=50):
    """The newest messages first, parsed."""
    folder = _dir()
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    return [_parse(p) for p in paths]


def attachment(message_id, index):
    """(filename, content type, bytes) of one attachment, or None."""
    if not message_id.replace("-", "").isalnum():
        return None
    path = _dir() / f"{message_id}.eml"
    if not path.is_file():
        return None
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    parts = list(msg.iter_attachments())
    if not 0 <= index < len(parts):
        return None
    part = parts[index]
    return part.get_filename(), part.get_content_type(), part.get_payload(decode=True)
