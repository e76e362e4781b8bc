"""What a learner's page in the console shows: plans and progress, orders, certificates, events."""
from peewee import fn

from app.accounts.models import AuthEvent
from app.certs.models import Certificate
from app.certs.service import status_text
from app.learning.flush import earned_hours, plan_complete
from app.learning.models import Enrollment, LearningEvent, Project
from app.money import yuan
from app.pay.models import Order
from app.pay.orders import STATUS_TEXT

REFUSED = ("stale_session", "replay", "out_of_order", "beyond_duration", "prompt_pending")
CLAMPED = ("too_fast", "gap")
FAILED = ("prompt_wrong", "prompt_failed")
REASON_TEXT = {"stale_session": "会话失效", "replay": "重复心跳", "out_of_order": "心跳乱序",
               "beyond_duration": "超出时长", "prompt_pending": "答题期间心跳", "too_fast": "进度过快（已截断）",
               "gap": "心跳间隔过长（已截断）", "prompt_wrong": "答题错误", "prompt_failed": "答题失败次数过多",
               "prompt_passed": "答题正确"}


SOURCE_TEXT = {"purchase": "个人购买", "group": "单位团购", "grant": "工作人员开通", "backfill": "补录"}


def plans(user):
    rows = (Enrollment.select(Enrollment, Project).join(Project).where(Enrollment.user == user.id)
            .order_by(Project.year.desc(), Project.id))
    return [{"project": e.project.name, "year": e.project.year,
             "source": SOURCE_TEXT.get(e.source, e.source), "status": e.status,
             "earned": earned_hours(user.id, e.project.id), "required": e.project.credit_hours,
             "complete": plan_complete(user.id, e.project), "started_at": e.started_at,
             "certified_at": e.certified_at} for e in rows]


def orders(user, limit=50):
    rows = (Order.select(Order, Project).join(Project).where(Order.buyer == user.id)
            .order_by(Order.id.desc()).limit(limit))
    return [{"order_no": o.order_no, "project": o.project.name, "kind": o.kind, "seats": o.seat_count,
             "amount": yuan(o.amount_fen), "refunded": yuan(o.refunded_fen),
             "status": STATUS_TEXT.get(o.status, o.status), "created_at": o.created_at, "paid_at": o.paid_at}
            for o in rows]


def certificates(user):
    rows = Certificate.select().where(Certificate.user == user.id).order_by(Certificate.id.desc())
    return [{"number": c.number, "project": c.project_name, "name": c.name, "status": c.status,
             "status_text": status_text(c.status), "issued_at": c.issued_at} for c in rows]


def event_counts(user):
    """Refused, clamped heartbeats and failed questions of this learner, by reason."""
    rows = (LearningEvent.select(LearningEvent.reason, fn.SUM(LearningEvent.count).alias("n"))
            .where(LearningEvent.user == user.id).group_by(LearningEvent.reason))
    counts = {r.reason: int(r.n or 0) for r in rows}
    return {"refused": sum(counts.get(r, 0) for r in REFUSED), "clamped": sum(counts.get(r, 0) for r in CLAMPED),
            "failed": sum(counts.get(r, 0) for r in FAILED),
            "by_reason": sorted(((REASON_TEXT.get(k, k), v) for k, v in counts.items()), key=lambda kv: -kv[1])}


def recent_events(user, limit=20):
    rows = (LearningEvent.select().where(LearningEvent.user == user.id)
            .order_by(LearningEvent.id.desc()).limit(limit))
    return [{"at": e.created_at, "reason": REASON_TEXT.get(e.reason, e.reason), "code": e.reason,
             "chapter_id": e.chapter_id, "detail": e.detail} for e in rows]


def auth_events(user, limit=10):
    rows = AuthEvent.select().where(AuthEvent.user == user.id).order_by(AuthEvent.id.desc()).limit(limit)
    return [{"at": e.created_at, "kind": e.kind, "detail": e.detail} for e in rows]


def page_data(user):
    return {"plans": plans(user), "orders": orders(user), "certificates": certificates(user),
            "counts": event_counts(user), "events": recent_events(user), "auth_events": auth_events(user)}
