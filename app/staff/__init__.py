"""The staff console under /staff: its frame (navigation, roles, audit) and the sections built here."""
from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")


def init_app(app):
    """Register the console's blueprint and its own sections; other features register theirs."""
    # Importing the view modules adds their routes and sections.
    from app.staff import admin_views, certificate_views, frame, integrity_views, people_views, views  # noqa: F401

    frame.init_app(app)
    app.register_blueprint(bp)
