"""Content, reports and announcements: the staff console's editor of projects, courses, chapter videos and
question banks; protected video links; the yearly reports; announcements on both fronts' home pages."""


def init_app(app):
    """Register the feature's blueprints (the staff sections register themselves when imported)."""
    from app.api import API_PREFIX
    from app.content import announcement_views, announcements, chapter_views, media, report_views, staff_views

    _ = chapter_views  # its routes join staff_views.bp
    app.register_blueprint(media.bp)
    app.register_blueprint(staff_views.bp)
    app.register_blueprint(report_views.bp)
    app.register_blueprint(announcement_views.bp)
    app.register_blueprint(announcement_views.api, url_prefix=API_PREFIX)
    app.jinja_env.globals["current_announcements"] = lambda: [announcements.view(a) for a in announcements.current()]
    app.register_blueprint(media.api, url_prefix=API_PREFIX)
