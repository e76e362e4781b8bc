"""A seat bought twice: the later-paid one is refunded automatically, nothing the learner has is revoked.

Unpaid orders reserve nobody, so a learner may be in a unit's unpaid group order and buy alone
(or be in two units' orders). Whichever order is paid first grants the plan; when another order
is paid, orders.on_paid leaves the learner's enrollment as it is, and its seat for them is a
duplicate:

    duplicate_seats(order) -> [OrderSeat]   active seats of a paid order whose learner's active
                                            enrollment came from another seat

settle.refund_duplicates(order), run by the after-paid job, refunds them at once through the
ordinary refund path (settle.refund_seats, reason DUPLICATE_REASON): when it succeeds,
orders.on_seats_refunded revokes enrollments *of the refunded seats* only, and the learner's
enrollment belongs to the other seat, so it is untouched. Nobody pays twice for one seat.
"""
from app.learning.models import Enrollment
from app.pay.models import OrderSeat

DUPLICATE_REASON = "重复购买，自动退款"


def duplicate_seats(order):
    seats = list(OrderSeat.select().where(OrderSeat.order == order.id, OrderSeat.status == "active"))
    if not seats:
        return []
    owned_by = {e.user_id: e.seat_id for e in Enrollment.select(Enrollment.user, Enrollment.seat_id).where(
        Enrollment.project == order.project_id, Enrollment.status == "active",
        Enrollment.user.in_([s.user_id for s in seats]))}
    return [s for s in seats if s.user_id in owned_by and owned_by[s.user_id] != s.id]
