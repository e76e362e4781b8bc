"""Pages every visitor sees: home, help and contact (R-3), health check."""
from flask import Blueprint, current_app, jsonify, render_template

from app.accounts.policy import current_user
from app.db import db
from app.masking import mask_id, mask_mobile
from app.redis_client import get_redis

bp = Blueprint("core", __name__)


@bp.app_context_processor
def inject_globals():
    cfg = current_app.config
    return {"platform_name": cfg["PLATFORM_NAME"], "current_user": current_user(),
            "contact": contact_lines(cfg),
            "is_dev": cfg["APP_ENV"] != "production" and cfg["SMS_PROVIDER"] == "outbox"}


def contact_lines(cfg):
    """Customer-service lines and mailboxes (R-3), for every page's footer and the API."""
    return {"account_phone": cfg["CONTACT_ACCOUNT_PHONE"], "account_key": cfg["CONTACT_ACCOUNT_KEY"],
            "tech_phone": cfg["CONTACT_TECH_PHONE"], "tech_key": cfg["CONTACT_TECH_KEY"],
            "hours": cfg["CONTACT_HOURS"], "register_mail": cfg["CONTACT_REGISTER_MAIL"],
            "backfill_mail": cfg["CONTACT_BACKFILL_MAIL"]}


@bp.app_template_filter("pct")
def _pct(value):
    """A percentage as a whole number 0-100 (progress bars use the pct-N classes)."""
    try:
        return max(0, min(100, int(float(value))))
    except (TypeError, ValueError):
        return 0


@bp.app_template_filter("mask_mobile")
def _mask_mobile(value):
    return mask_mobile(value)


@bp.app_template_filter("mask_id")
def _mask_id(value):
    return mask_id(value)


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on their own (PDFs, JSON); pages link the same file."""
    return current_app.send_static_file("favicon.ico")


@bp.route("/help")
def help_page():
    return render_template("core/help.html")


@bp.route("/healthz")
def healthz():
    """For the load balancer: the database and Redis both answer."""
    db.execute_sql("SELECT 1")
    get_redis().ping()
    return jsonify({"status": "ok"})
