"""Masking of ID numbers and mobiles in pages, logs and exports."""
import logging
import re

# By shape alone: an 18-character ID anywhere in a line, whatever letter or escape (`%3D`) precedes it,
# as long as it is not part of a longer run of digits (order numbers stay readable).
ID_RE = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9Xx])")
MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_id(value):
    """5001**********123X: enough to recognise, not enough to use."""
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_mobile(value):
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "****" + value[-4:]


def mask_text(text):
    """Mask every ID number and mobile number found in free text."""
    text = ID_RE.sub(lambda m: mask_id(m.group(0)), text)
    return MOBILE_RE.sub(lambda m: mask_mobile(m.group(0)), text)


def escape_line_breaks(text):
    """One record, one line: CR/LF from a request (a path, a header) cannot forge a log line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class MaskingFormatter(logging.Formatter):
    def format(self, record):
        return mask_text(super().format(record))


_installed = False


def _escaped_args(args):
    """Values logged through arguments (paths, headers, user input) lose their line breaks."""
    if isinstance(args, dict):  # in place: gunicorn's access-log atoms are a dict subclass
        for key, value in list(args.items()):
            if isinstance(value, str) and ("\r" in value or "\n" in value):
                args[key] = escape_line_breaks(value)
        return args
    if isinstance(args, tuple):
        return tuple(escape_line_breaks(v) if isinstance(v, str) else v for v in args)
    return args


def install_log_masking():
    """Mask personal data in every log record, whichever logger or handler writes it."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.args = _escaped_args(record.args)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            return record
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
