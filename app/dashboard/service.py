"""The rows of the unit dashboard, in a constant number of queries whatever the number of learners.

A unit's learners for a year are its UnitMember rows of that year: people it bought seats for
(source "seat") or registered in bulk ("bulk"); people who merely picked the unit on a
certificate are not among them. For each: the seat (paid / waiting for payment / refunded / bought
alone / none), hours earned and courses done in that year's plans, and the valid certificate.
"""
import datetime

from peewee import fn

from app.accounts.models import User
from app.certs.models import Certificate
from app.learning.models import Course, CourseCompletion, Enrollment, Project
from app.masking import mask_id
from app.pay.models import Order, OrderSeat
from app.pii import cipher
from app.units.models import UnitMember

CST = datetime.timezone(datetime.timedelta(hours=8))
SEATS = {"paid": "已开通", "pending": "待支付", "refunded": "已退款", "self": "自行购买", "none": "未购买"}
STATES = {"not_started": "未开始", "learning": "学习中", "completed": "已完成", "certified": "已发证"}
FILTERS = ("all", "unpaid", "not_started", "learning", "completed", "certified")


def _local_date(value):
    return value.replace(tzinfo=datetime.UTC).astimezone(CST).strftime("%Y-%m-%d") if value else ""


def years(unit):
    """Years that have learners in this unit (newest first)."""
    return [y for (y,) in UnitMember.select(UnitMember.year).where(UnitMember.unit == unit.id)
            .distinct().order_by(UnitMember.year.desc()).tuples()]


def _seat_states(unit, members, projects):
    states = {}
    query = (OrderSeat.select(OrderSeat.user, OrderSeat.status, Order.status)
             .join(Order).where(Order.unit == unit.id, Order.project.in_(projects), OrderSeat.user.in_(members)))
    rank = {"paid": 3, "pending": 2, "refunded": 1}
    for uid, seat_status, order_status in query.tuples():
        if seat_status == "refunded" or order_status in ("refunded",):
            state = "refunded"
        elif order_status in ("paid", "partially_refunded"):
            state = "paid"
        elif order_status == "pending":
            state = "pending"
        else:
            continue
        if rank[state] > rank.get(states.get(uid), 0):
            states[uid] = state
    return states


def learners(unit, year):
    """Every learner of the unit for `year`, as dicts (sorted by name)."""
    members = UnitMember.select(UnitMember.user).where(UnitMember.unit == unit.id, UnitMember.year == year)
    projects = Project.select(Project.id).where(Project.year == year)
    required = max([p.credit_hours for p in Project.select(Project.credit_hours).where(Project.year == year)] or [0])
    users = list(User.select(User.id, User.name, User.id_number_enc).where(User.id.in_(members)).tuples())
    seats = _seat_states(unit, members, projects)
    enrolled = {uid for (uid,) in Enrollment.select(Enrollment.user).where(
        Enrollment.user.in_(members), Enrollment.project.in_(projects), Enrollment.status == "active").tuples()}
    done = {uid: (int(hours or 0), count) for uid, hours, count in CourseCompletion.select(
        CourseCompletion.user, fn.SUM(CourseCompletion.credit_hours), fn.COUNT(CourseCompletion.id))
        .join(Course).where(CourseCompletion.user.in_(members), Course.project.in_(projects))
        .group_by(CourseCompletion.user).tuples()}
    certs = {uid: (number, issued) for uid, number, issued in Certificate.select(
        Certificate.user, Certificate.number, Certificate.issued_at).where(
        Certificate.user.in_(members), Certificate.project.in_(projects), Certificate.status == "valid").tuples()}
    c = cipher()
    out = []
    for uid, name, id_enc in users:
        hours, courses = done.get(uid, (0, 0))
        seat = seats.get(uid) or ("self" if uid in enrolled else "none")
        number, issued = certs.get(uid, ("", None))
        state = ("certified" if number else "completed" if required and hours >= required
                 else "learning" if courses or hours else "not_started")
        id_number = c.decrypt(id_enc, "id_number")
        out.append({"user_id": uid, "name": name, "id_masked": mask_id(id_number), "id_tail": id_number[-4:],
                    "seat": seat, "seat_text": SEATS[seat], "hours": hours, "required": required,
                    "courses_done": courses, "state": state, "state_text": STATES[state],
                    "cert_number": number, "cert_date": _local_date(issued)})
    out.sort(key=lambda r: (r["name"], r["id_masked"]))
    return out


def search(rows, q="", status="all"):
    """Filter by state ("unpaid": no paid seat) and by name or the last four ID characters."""
    q = (q or "").strip().upper()[:20]
    if status == "unpaid":
        rows = [r for r in rows if r["seat"] not in ("paid", "self")]
    elif status in STATES:
        rows = [r for r in rows if r["state"] == status]
    if q:
        rows = [r for r in rows if q in r["name"].upper() or (len(q) == 4 and r["id_tail"] == q)]
    return rows


def summary(rows):
    counts = {k: sum(1 for r in rows if r["state"] == k) for k in STATES}
    return {"total": len(rows), "paid": sum(1 for r in rows if r["seat"] in ("paid", "self")), **counts}


def public(row):
    """A row as the pages and the API show it (no internal ids)."""
    return {k: v for k, v in row.items() if k not in ("user_id", "id_tail")}
