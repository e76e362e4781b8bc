"""The consent documents as pages (linked from the forms that ask for them)."""
from flask import Blueprint, abort, render_template

from app.consents import DOCUMENTS

bp = Blueprint("consents", __name__)


@bp.route("/legal/<key>")
def document(key):
    if key not in DOCUMENTS:
        abort(404)
    title, version, template = DOCUMENTS[key]
    return render_template(template, title=title, version=version)
