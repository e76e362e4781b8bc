"""Working days for review deadlines: weekends, the national holidays and 调休 days of the year; a year
missing from the table falls back to Monday-Friday and is reported, never an error."""
import datetime
import logging

import pytest

from app.backfill import holidays

D = datetime.date


@pytest.mark.parametrize(("start", "count", "due"), [
    (D(2026, 3, 6), 3, D(2026, 3, 11)),    # Friday: the weekend does not count
    (D(2026, 3, 9), 3, D(2026, 3, 12)),    # Monday: plain weekdays
    (D(2026, 2, 12), 3, D(2026, 2, 24)),   # Thursday before 春节: Sat 14 Feb is a working day, 15-23 off
    (D(2026, 9, 30), 3, D(2026, 10, 10)),  # 国庆 1-7 Oct off, Sat 10 Oct is a working day -> 8, 9, 10
    (D(2026, 9, 18), 1, D(2026, 9, 20)),   # Sunday 20 Sep is a working day (调休)
    (D(2026, 4, 3), 1, D(2026, 4, 7)),     # 清明 4-6 Apr
    (D(2025, 9, 30), 3, D(2025, 10, 11)),  # 2025: 国庆+中秋 1-8 Oct, Sat 11 Oct works -> 9, 10, 11
    (D(2025, 1, 24), 1, D(2025, 1, 26)),   # 2025: Sunday 26 Jan works before 春节
    (D(2025, 12, 31), 1, D(2026, 1, 4)),   # across the year: 1-3 Jan 2026 off, Sunday 4 Jan works
])
def test_working_days_follow_the_official_schedule(start, count, due):
    assert holidays.add_working_days(start, count) == due


def test_the_holiday_and_makeup_days_themselves():
    assert not holidays.is_working_day(D(2026, 2, 16))  # a Monday inside 春节
    assert holidays.is_working_day(D(2026, 2, 28))      # a Saturday made a working day
    assert not holidays.is_working_day(D(2026, 3, 7))   # an ordinary Saturday
    assert not holidays.is_working_day(D(2025, 10, 8))  # a Wednesday of the 2025 National Day week
    assert holidays.working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4


def test_a_missing_year_counts_monday_to_friday_and_is_logged(caplog):
    holidays._warned.discard(2031)
    assert not holidays.working_days_known(2031)
    with caplog.at_level(logging.WARNING, logger="app.backfill.holidays"):
        assert holidays.add_working_days(D(2031, 1, 3), 3) == D(2031, 1, 8)  # Fri -> Mon, Tue, Wed
    assert "no schedule for 2031" in caplog.text
    assert holidays.missing_years(D(2026, 5, 1), D(2031, 1, 8)) == [2031]
