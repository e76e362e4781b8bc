"""The learner is told of a decision: template message (official account) or subscribe message
(mini-program), once per decision; the page shows the same state and reason."""
from app.accounts.models import User
from app.backfill import service
from app.learning.models import Project


def decided(application):
    """Queue the message for this decision (the submission count makes each decision its own event)."""
    from flask import current_app, url_for

    from app.wechat import messages

    project = Project.get_by_id(application.project_id)
    approved = application.state == "approved"
    note = "已开通，可以开始学习" if approved else (service.REASONS.get(application.reason_code) or "请修改后重新提交")
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    messages.notify(f"backfill-decided:{application.id}:{application.submissions}", User.get_by_id(application.user_id),
                    "backfill_decided",
                    {"project": project.name, "result": "已通过" if approved else "未通过", "note": note,
                     "time": application.decided_at},
                    url=base + url_for("backfill.page"), page="pages/backfill/backfill")
