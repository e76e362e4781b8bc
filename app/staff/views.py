"""The console's home page and form helpers shared by its sections."""
from flask import render_template

from app.errors import ApiError, envelope, wants_json
from app.staff import bp
from app.staff.frame import staff_required


@bp.route("/")
@staff_required()
def home():
    return render_template("staff/home.html")


def field_errors(error):
    """The per-field messages of an error, for inline display."""
    if error is None or not isinstance(error.data, dict):
        return {}
    return error.data.get("fields") or {}


@bp.errorhandler(ApiError)
def console_error(err):
    """Errors of console pages stay inside the console (with its navigation and a way back)."""
    if wants_json():
        return envelope(err.code, err.message, err.data, err.status)
    return render_template("staff/error.html", message=err.message, status=err.status), err.status
