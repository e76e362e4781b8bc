"""Outgoing e-mail: a small provider contract, SMTP for real servers, and a development outbox.

`send(message)` hands an `email.message.EmailMessage` to the configured provider. Production uses
an SMTP relay (MAIL_SMTP_HOST, optional STARTTLS/SSL and login); development uses the same SMTP
provider against the local aiosmtpd server that scripts/dev starts (app/mail/devserver.py), which
stores every message it receives as a .eml file that /dev/mail lists.
"""
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from flask import current_app

log = logging.getLogger(__name__)
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class SmtpProvider:
    """Sends through an SMTP server; `security` is "", "starttls" or "ssl"."""

    def __init__(self, host, port, security="", username="", password="", timeout=20):
        self.host, self.port, self.security = host, int(port), security
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, message):
        cls = smtplib.SMTP_SSL if self.security == "ssl" else smtplib.SMTP
        with cls(self.host, self.port, timeout=self.timeout) as smtp:
            if self.security == "starttls":
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


def provider():
    cfg = current_app.config
    return SmtpProvider(cfg["MAIL_SMTP_HOST"], cfg["MAIL_SMTP_PORT"], cfg["MAIL_SMTP_SECURITY"],
                        cfg["MAIL_SMTP_USER"], cfg["MAIL_SMTP_PASSWORD"])


def build(to, subject, text, attachments=()):
    """An EmailMessage from the platform; attachments are (filename, bytes, (maintype, subtype))."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = formataddr((cfg["PLATFORM_NAME"], cfg["MAIL_FROM"]))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate()
    msg["Message-ID"] = make_msgid(domain=cfg["MAIL_FROM"].rpartition("@")[2] or None)
    msg.set_content(text)
    for filename, data, (maintype, subtype) in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def send(message):
    """Hand one message to the provider; raises on failure so a job's retry takes over."""
    provider().send(message)
    log.info("mail sent: %s", message["Subject"])
