"""Development only: /dev/mail lists what the local SMTP server received, attachments downloadable."""
from flask import Blueprint, Response, current_app, render_template

from app.errors import ApiError
from app.mail import outbox

bp = Blueprint("mail_dev", __name__)


def _dev_only():
    if current_app.config["APP_ENV"] == "production":
        raise ApiError("页面不存在", status=404)


@bp.route("/dev/mail")
def mail_outbox():
    """The development mail outbox (newest first)."""
    _dev_only()
    return render_template("mail/dev_mail.html", messages=outbox.messages())


@bp.route("/dev/mail/<message_id>/<int:index>")
def mail_attachment(message_id, index):
    """Download one attachment of a stored message."""
    _dev_only()
    found = outbox.attachment(message_id, index)
    if found is None:
        raise ApiError("附件不存在", status=404)
    filename, content_type, data = found
    from urllib.parse import quote

    return Response(data, mimetype=content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename or 'attachment')}"})
