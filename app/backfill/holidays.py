"""China's official working days: the one table of public holidays and 调休 days, updated once a year.

Each December the State Council's General Office publishes the next year's schedule
(国务院办公厅关于 YYYY 年部分节假日安排的通知). Add that year to HOLIDAYS (days off that would
otherwise be working days or weekend days inside a holiday) and MAKEUP_WORKDAYS (weekend days that are
working days). A year missing here falls back to Monday-Friday: `working_days_known(year)` says so, and
the review page and the log warn staff about it.
"""
import datetime
import logging

log = logging.getLogger(__name__)


def _span(year, month, day, days):
    start = datetime.date(year, month, day)
    return [start + datetime.timedelta(days=i) for i in range(days)]


HOLIDAYS = {
    # 国办发明电〔2024〕12号 (2024-11-12)
    2025: {*_span(2025, 1, 1, 1), *_span(2025, 1, 28, 8), *_span(2025, 4, 4, 3), *_span(2025, 5, 1, 5),
           *_span(2025, 5, 31, 3), *_span(2025, 10, 1, 8)},
    # 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)
    2026: {*_span(2026, 1, 1, 3), *_span(2026, 2, 15, 9), *_span(2026, 4, 4, 3), *_span(2026, 5, 1, 5),
           *_span(2026, 6, 19, 3), *_span(2026, 9, 25, 3), *_span(2026, 10, 1, 7)},
}
MAKEUP_WORKDAYS = {
    2025: {datetime.date(2025, 1, 26), datetime.date(2025, 2, 8), datetime.date(2025, 4, 27),
           datetime.date(2025, 9, 28), datetime.date(2025, 10, 11)},
    2026: {datetime.date(2026, 1, 4), datetime.date(2026, 2, 14), datetime.date(2026, 2, 28),
           datetime.date(2026, 5, 9), datetime.date(2026, 9, 20), datetime.date(2026, 10, 10)},
}

_warned = set()


def working_days_known(year):
    """Whether the table holds that year's official schedule."""
    return year in HOLIDAYS


def is_working_day(day):
    """A working day: an official one, or Monday-Friday for a year missing from the table (logged once)."""
    if not working_days_known(day.year):
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning("working-day table has no schedule for %s: counting Monday-Friday", day.year)
        return day.weekday() < 5
    if day in MAKEUP_WORKDAYS[day.year]:
        return True
    return day.weekday() < 5 and day not in HOLIDAYS[day.year]


def add_working_days(start, count):
    """The date `count` working days after `start` (a date; `start` itself does not count)."""
    day = start
    while count > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def working_days_between(start, end):
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    days, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        days += is_working_day(day)
    return days


def missing_years(*days):
    """The years among these dates that the table lacks (for the staff warning)."""
    return sorted({d.year for d in days if not working_days_known(d.year)})
