"""What losing a plan does to learning as a whole: one place for refunds and every other revocation.

A paid seat stops counting (refunded; or, later, settled as bought twice): if the learner's enrollment
rests on it and no other valid source carries the plan, the learner loses the plan. Then, in this order:
the current playback session of the plan ends in Redis (its heartbeats earn nothing from now on, still
one Redis call with no database read), what was watched before is folded into the database, the
enrollment is revoked and an issued certificate of the plan is revoked. Buying again starts from the
progress recorded here. If another valid source carries the plan (an individual purchase, another paid
seat), the enrollment moves to it and nothing is revoked.
"""
import logging

from app.certs.models import REFUND_REVOKE_REASON, Certificate
from app.db import utcnow
from app.learning.flush import flush_one
from app.learning.keys import keys, raw_redis
from app.learning.models import Chapter, Course, Enrollment
from app.learning.playback import end_sessions
from app.pay.models import Order, OrderSeat

log = logging.getLogger(__name__)
PAID_STATES = ("paid", "partially_refunded")


def seat_released(user_id, project_id, seat_id, why="refund"):
    """A paid seat of this learner and plan no longer counts. Call inside the transaction that changes the
    seat, after marking it (it must not be "active" any more), and call `after_commit` once that committed.

    Returns "unaffected" (the enrollment rests on something else, or there is none), "moved" (another valid
    seat carries the plan now) or "revoked".
    """
    enrollment = Enrollment.get_or_none(Enrollment.user == user_id, Enrollment.project == project_id)
    if enrollment is None or enrollment.status != "active" or enrollment.seat_id != seat_id:
        return "unaffected"
    other = other_valid_seat(user_id, project_id, seat_id)
    if other is not None:
        order = Order.get_by_id(other.order_id)
        Enrollment.update(source="purchase" if order.kind == "individual" else "group", order_id=order.id,
                          seat_id=other.id).where(Enrollment.id == enrollment.id).execute()
        log.info("seat %s released: account %s keeps project %s through seat %s", seat_id, user_id, project_id,
                 other.id)
        return "moved"
    revoke_plan(user_id, project_id, why)
    return "revoked"


def other_valid_seat(user_id, project_id, seat_id):
    """An active seat of a paid order of this plan for this learner, other than `seat_id` (the oldest)."""
    return (OrderSeat.select().join(Order)
            .where(OrderSeat.user == user_id, OrderSeat.status == "active", OrderSeat.id != seat_id,
                   Order.project == project_id, Order.status.in_(PAID_STATES))
            .order_by(OrderSeat.id).first())


def revoke_plan(user_id, project_id, why):
    """The learner no longer holds the plan: stop the session, keep what was watched, revoke the enrollment
    and a valid certificate of the plan."""
    end_sessions(user_id, project_id, why)
    chapter_ids = [c.id for c in Chapter.select(Chapter.id).join(Course).where(Course.project == project_id)]
    for chapter_id in chapter_ids:
        flush_one(user_id, chapter_id)  # watched before the revocation: it counts (the enrollment is active)
    now = utcnow()
    Enrollment.update(status="revoked", revoked_at=now).where(
        Enrollment.user == user_id, Enrollment.project == project_id, Enrollment.status == "active").execute()
    certs = Certificate.update(status="revoked", revoked_at=now, revoke_reason=REFUND_REVOKE_REASON).where(
        Certificate.user == user_id, Certificate.project == project_id, Certificate.status == "valid").execute()
    forget_live_progress(user_id, chapter_ids)
    log.info("account %s lost project %s (%s): sessions ended, enrollment revoked, %s certificate(s) revoked",
             user_id, project_id, why, certs)


def forget_live_progress(user_id, chapter_ids):
    """Drop what Redis holds for these chapters (the database has it): nothing earned later can be folded in."""
    if not chapter_ids:
        return
    pipe = raw_redis().pipeline()
    for chapter_id in chapter_ids:
        k = keys(user_id, chapter_id)
        pipe.delete(k["coverage"], k["position"], k["done"])
        pipe.srem(k["dirty"], f"{user_id}:{chapter_id}")
    pipe.execute()


def after_commit(user_id, project_id, outcome, why="refund"):
    """Once the revocation committed: end the plan's session again, in case one was started meanwhile (its
    start saw the enrollment still active)."""
    if outcome == "revoked":
        end_sessions(user_id, project_id, why)
