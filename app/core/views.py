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
            "contact": {"account_phone": cfg["CONTACT_ACCOUNT_PHONE"], "tech_phone": cfg["CONTACT_TECH_PHONE"],
                        "hours": cfg["CONTACT_HOURS"]},
            "is_dev": cfg["APP_ENV"] != "production" and cfg["SMS_PROVIDER"] == "outbox"}


@bp.app_template_filter("mask_mobile")
def _mask_mobile(value):
    return mask_mobile(value)


@bp.app_template_filter("mask_id")
def _mask_id(value):
    return mask_id(value)


@bp.route("/help")
def help_page():
    return render_template("core/help.html")


@bp.route("/healthz")
def healthz():
    """For the load balancer: the database and Redis both answer."""
    db.execute_sql("SELECT 1")
    get_redis().ping()
    return jsonify({"status": "ok"})
