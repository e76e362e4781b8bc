"""The "suspicious learning" section: a ranking with drill-down into one learner's events."""
import datetime

from flask import render_template, request

from app.accounts.models import User
from app.errors import ApiError
from app.learning.models import LearningEvent
from app.staff import bp
from app.staff import integrity as rules
from app.staff.frame import register_section, staff_required
from app.staff.person_page import REASON_TEXT, event_counts
from app.staff.tables import SHANGHAI, paginate

register_section("integrity", "可疑学习", "staff.integrity", ("reviewer",), order=40)
PERIODS = [("7", "最近 7 天"), ("30", "最近 30 天"), ("365", "最近一年"), ("all", "全部")]


def _since(days):
    if days == "all":
        return None
    days = int(days) if days in {p for p, _ in PERIODS} else 30
    today = datetime.datetime.now(SHANGHAI).date() - datetime.timedelta(days=days - 1)
    start = datetime.datetime.combine(today, datetime.time(), SHANGHAI)
    return start.astimezone(datetime.UTC).replace(tzinfo=None)


@bp.route("/integrity")
@staff_required("reviewer")
def integrity():
    period = request.args.get("period", "30")
    if period not in {p for p, _ in PERIODS}:
        period = "30"
    since = _since(period)
    page = paginate(rules.ranking(since=since), rules.SORTS, "score", default_desc=True, args={"period": period},
                    tiebreak=LearningEvent.user, total=rules.ranked_count(since=since))
    return render_template("staff/integrity.html", page=page, period=period, periods=PERIODS,
                           active_section="integrity")


@bp.route("/integrity/<int:user_id>")
@staff_required("reviewer")
def integrity_person(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise ApiError("没有这个账号", status=404)
    reason = request.args.get("reason", "")
    reason = reason if reason in REASON_TEXT else ""
    page = paginate(rules.events(user.id, reason), {"time": LearningEvent.created_at}, "time",
                    default_desc=True, args={"reason": reason}, per_page=50)
    reasons = [("", "全部")] + list(REASON_TEXT.items())
    return render_template("staff/integrity_person.html", person=user, page=page, counts=event_counts(user),
                           reason=reason, reasons=reasons, reason_text=REASON_TEXT, active_section="integrity")
