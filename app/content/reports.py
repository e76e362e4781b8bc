"""The yearly reports (finance, reviewers, administrators): each is one grouped query over indexed columns.

For a year (the projects of that year):
- `learners(year, by)`: learners enrolled (an active enrollment) and completed (every course, the hours reached),
  and hours earned, per district/county or per unit. A learner's unit is the unit that bought their seat or
  registered them that year (the lowest unit id when several did); the district is that unit's; learners
  without a unit are "个人（无单位）". Reads one row per enrollment: `Enrollment.hours_earned` and
  `completed_at` are kept by the learning code as courses complete, so 2 million chapter-progress rows are
  never scanned (bench/bench_reports.py);
- `certificates(year)`: certificates issued per ISO week (Beijing time), revoked ones included (they were issued);
- `money(year)`: revenue (paid orders, by the day they were paid) and refunds (successful ones, by the day they
  finished) per day, Beijing time.
Each returns {"rows": [...], "totals": {...}}; totals are computed from the same rows.
"""
import datetime

from app.certs.districts import district_name
from app.db import db

NO_UNIT = "个人（无单位）"


def _pg():
    return "postgres" in type(db.obj).__name__.lower()


def _day(column):
    """The Beijing-time date of a UTC timestamp column, as 'YYYY-MM-DD' text, in SQL."""
    if _pg():
        return f"to_char({column} + interval '8 hours', 'YYYY-MM-DD')"
    return f"date({column}, '+8 hours')"


def _rows(sql, params):
    return list(db.execute_sql(sql.replace("%s", db.param), params).fetchall())



def learners(year, by="district"):
    """Enrolled, completed and hours per district (by="district") or per unit (by="unit")."""
    key = "u.id, u.name" if by == "unit" else "u.district_code"
    sql = (
        f"SELECT {key}, COUNT(*), SUM(CASE WHEN e.completed_at IS NOT NULL THEN 1 ELSE 0 END), SUM(e.hours_earned)"
        " FROM enrollment e JOIN project p ON p.id = e.project_id"
        " LEFT JOIN (SELECT user_id, MIN(unit_id) AS unit_id FROM unit_member WHERE year = %s GROUP BY user_id) m"
        " ON m.user_id = e.user_id LEFT JOIN unit u ON u.id = m.unit_id"
        f" WHERE p.year = %s AND e.status = 'active' GROUP BY {key}")
    groups = {}
    for *group, enrolled, completed, hours in _rows(sql, (year, year)):
        if group[0] is None:
            label = NO_UNIT
        elif by == "unit":
            label = group[1] if group[1] not in groups else f"{group[1]}（{group[0]}）"  # same-named units apart
        else:
            label = district_name(group[0]) or "未知区县"
        row = groups.setdefault(label, [0, 0, 0])
        row[0] += enrolled
        row[1] += int(completed or 0)
        row[2] += int(hours or 0)
    rows = [{"label": label, "enrolled": e, "completed": c, "hours": h,
             "rate": round(100 * c / e, 1) if e else 0.0} for label, (e, c, h) in groups.items()]
    rows.sort(key=lambda r: (r["label"] == NO_UNIT, -r["enrolled"], r["label"]))
    totals = {k: sum(r[k] for r in rows) for k in ("enrolled", "completed", "hours")}
    return {"rows": rows, "totals": totals}


def certificates(year):
    """Certificates issued per ISO week of Beijing time."""
    sql = (f"SELECT {_day('c.issued_at')} AS d, COUNT(*) FROM certificate c JOIN project p ON p.id = c.project_id"
           " WHERE p.year = %s GROUP BY d ORDER BY d")
    weeks = {}
    for day, count in _rows(sql, (year,)):
        iso = datetime.date.fromisoformat(str(day)[:10]).isocalendar()
        monday = datetime.date.fromisocalendar(iso.year, iso.week, 1)
        weeks[monday] = weeks.get(monday, 0) + count
    rows = [{"label": f"{m:%Y-%m-%d} 起", "week": m.isoformat(), "issued": n} for m, n in sorted(weeks.items())]
    return {"rows": rows, "totals": {"issued": sum(r["issued"] for r in rows)}}


def money(year):
    """Revenue (paid orders) and refunds (successful) per Beijing day, in fen."""
    paid = _rows(f"SELECT {_day('o.paid_at')} AS d, COUNT(*), SUM(o.amount_fen) FROM \"order\" o"
                 " JOIN project p ON p.id = o.project_id WHERE p.year = %s AND o.paid_at IS NOT NULL"
                 " GROUP BY d", (year,))
    refunded = _rows(f"SELECT {_day('r.finished_at')} AS d, COUNT(*), SUM(r.amount_fen) FROM refund r"
                     " JOIN \"order\" o ON o.id = r.order_id JOIN project p ON p.id = o.project_id"
                     " WHERE p.year = %s AND r.status = 'success' AND r.finished_at IS NOT NULL GROUP BY d", (year,))
    days = {}
    for day, count, fen in paid:
        days.setdefault(str(day)[:10], [0, 0, 0, 0])[0:2] = [int(count), int(fen or 0)]
    for day, count, fen in refunded:
        days.setdefault(str(day)[:10], [0, 0, 0, 0])[2:4] = [int(count), int(fen or 0)]
    rows = [{"label": day, "orders": v[0], "revenue_fen": v[1], "refunds": v[2], "refunded_fen": v[3],
             "net_fen": v[1] - v[3]} for day, v in sorted(days.items())]
    totals = {k: sum(r[k] for r in rows) for k in ("orders", "revenue_fen", "refunds", "refunded_fen", "net_fen")}
    return {"rows": rows, "totals": totals}


REPORTS = {
    "district": ("按区县：参训与完成", lambda y: learners(y, "district")),
    "unit": ("按单位：参训与完成", lambda y: learners(y, "unit")),
    "certificates": ("每周发证", certificates),
    "money": ("每日收入与退款", money),
}
