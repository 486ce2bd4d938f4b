"""Business minutes between two UTC instants, counted on the company's clock: its time zone,
working hours (09:00-17:00 unless said otherwise), working days and holidays.

January 2026: Fri 9, Sat 10, Sun 11, Mon 12, Tue 13, Wed 14. New York is UTC-5 in winter
and UTC-4 from Sunday 8 March 2026 (daylight saving time).
"""

from __future__ import annotations

import math
from datetime import date, datetime, time

import numpy as np
import pandas as pd
import pytest

from revops.engines.business_time import BusinessCalendar

T = datetime
UTC = BusinessCalendar("UTC")
NEW_YORK = BusinessCalendar("America/New_York")


def minutes(cal: BusinessCalendar, start: datetime | None, stop: datetime | None) -> float:
    [value] = cal.minutes_between([start], [stop])
    return float(value)


def test_within_one_working_day_every_minute_counts():
    assert minutes(UTC, T(2026, 1, 13, 10, 0), T(2026, 1, 13, 11, 30)) == 90


def test_friday_afternoon_to_monday_morning_skips_the_weekend():
    # Fri 16:00-17:00 (60) + Mon 09:00-10:00 (60)
    assert minutes(UTC, T(2026, 1, 9, 16, 0), T(2026, 1, 12, 10, 0)) == 120


def test_an_mql_in_the_evening_waits_only_from_the_next_opening():
    # Tue 20:00 -> Wed 09:30: nothing counts until Wed 09:00
    assert minutes(UTC, T(2026, 1, 13, 20, 0), T(2026, 1, 14, 9, 30)) == 30
    # before the opening on the same day: 07:00 -> 09:45
    assert minutes(UTC, T(2026, 1, 14, 7, 0), T(2026, 1, 14, 9, 45)) == 45


def test_an_mql_on_a_weekend_waits_from_monday_opening():
    assert minutes(UTC, T(2026, 1, 10, 11, 0), T(2026, 1, 12, 9, 45)) == 45
    # a contact on the weekend itself happened before any business minute passed
    assert minutes(UTC, T(2026, 1, 10, 11, 0), T(2026, 1, 11, 15, 0)) == 0


def test_whole_working_days_in_between_count_eight_hours_each():
    # Mon 10:00 -> Thu 10:00: three working days of 480 minutes
    assert minutes(UTC, T(2026, 1, 12, 10, 0), T(2026, 1, 15, 10, 0)) == 3 * 480


def test_a_holiday_counts_like_a_weekend_day():
    with_holiday = BusinessCalendar("UTC", holidays=(date(2026, 1, 12),))
    # Fri 16:00 -> Tue 10:00 with Monday off: 60 + 60
    assert minutes(with_holiday, T(2026, 1, 9, 16, 0), T(2026, 1, 13, 10, 0)) == 120
    # without the holiday Monday's 480 minutes count as well
    assert minutes(UTC, T(2026, 1, 9, 16, 0), T(2026, 1, 13, 10, 0)) == 120 + 480
    # an MQL on the holiday waits until the next working day opens
    assert minutes(with_holiday, T(2026, 1, 12, 11, 0), T(2026, 1, 13, 9, 15)) == 15


def test_utc_instants_are_read_on_the_company_clock():
    # Sat 02:00 UTC is Friday 21:00 in New York; Mon 14:30 UTC is Mon 09:30 there
    assert minutes(NEW_YORK, T(2026, 1, 10, 2, 0), T(2026, 1, 12, 14, 30)) == 30
    # read in UTC the same instants would be Saturday night to Monday 14:30: 330 minutes
    assert minutes(UTC, T(2026, 1, 10, 2, 0), T(2026, 1, 12, 14, 30)) == 330


def test_daylight_saving_time_moves_the_opening_in_utc():
    # 13:00-14:00 UTC is 08:00-09:00 in New York in winter (before opening) ...
    assert minutes(NEW_YORK, T(2026, 3, 2, 13, 0), T(2026, 3, 2, 14, 0)) == 0
    # ... and 09:00-10:00 after the clocks went forward on 8 March
    assert minutes(NEW_YORK, T(2026, 3, 9, 13, 0), T(2026, 3, 9, 14, 0)) == 60


def test_the_working_week_and_hours_come_from_the_model():
    from revops.model import load_model

    model = load_model(None)
    model.company.timezone = "Asia/Dubai"  # UTC+4, working Sunday to Thursday, 08:30-17:30
    model.company.business_hours.start = "08:30"
    model.company.business_hours.end = "17:30"
    model.company.business_hours.days = ["sun", "mon", "tue", "wed", "thu"]
    model.company.holidays = [date(2026, 1, 11)]
    cal = BusinessCalendar.of(model.company)
    assert cal.weekmask == "1111001"
    assert (cal.start, cal.end, cal.minutes_per_day) == (time(8, 30), time(17, 30), 540)
    # Thu 8 Jan 16:30 Dubai (12:30 UTC) -> Mon 12 Jan 09:30 Dubai (05:30 UTC):
    # Thu 60 min, Fri and Sat off, Sun 11 a holiday, Mon 60 min
    assert minutes(cal, T(2026, 1, 8, 12, 30), T(2026, 1, 12, 5, 30)) == 120


def test_seconds_count_as_fractions_of_a_minute():
    assert minutes(UTC, T(2026, 1, 13, 10, 0, 0), T(2026, 1, 13, 10, 1, 30)) == 1.5


def test_missing_instants_give_nan_and_a_stop_before_the_start_is_negative():
    assert math.isnan(minutes(UTC, T(2026, 1, 13, 10), None))
    assert math.isnan(minutes(UTC, None, T(2026, 1, 13, 10)))
    assert minutes(UTC, T(2026, 1, 12, 10, 0), T(2026, 1, 9, 16, 0)) == -120


def test_whole_columns_at_once_agree_with_one_at_a_time():
    rng = np.random.default_rng(7)
    start = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 60 * 86400, 500), unit="s")
    stop = start + pd.to_timedelta(rng.integers(0, 7 * 86400, 500), unit="s")
    holidays = BusinessCalendar("America/New_York", holidays=(date(2026, 1, 19), date(2026, 2, 16)))
    together = holidays.minutes_between(pd.Series(start), pd.Series(stop))
    one_by_one = [_slow_minutes(holidays, a.to_pydatetime(), b.to_pydatetime()) for a, b in zip(start, stop)]
    assert together == pytest.approx(one_by_one)


def _slow_minutes(cal: BusinessCalendar, start: datetime, stop: datetime) -> float:
    """Minute by minute on the local clock: the obvious, slow way."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(cal.timezone)
    local = [pd.Timestamp(x, tz="UTC").tz_convert(tz).tz_localize(None) for x in (start, stop)]
    total = 0.0
    day = local[0].normalize()
    while day <= local[1]:
        if day.strftime("%a").lower() in cal.days and day.date() not in cal.holidays:
            opens = day + pd.Timedelta(hours=cal.start.hour, minutes=cal.start.minute)
            closes = day + pd.Timedelta(hours=cal.end.hour, minutes=cal.end.minute)
            lo, hi = max(opens, local[0]), min(closes, local[1])
            total += max((hi - lo) / pd.Timedelta(minutes=1), 0.0)
        day += pd.Timedelta(days=1)
    return total


# -- deadlines: adding business time to a start -------------------------------------------------

def due(cal: BusinessCalendar, start: datetime | None, minutes: float) -> datetime | None:
    [value] = cal.add_business_minutes([start], minutes)
    return None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()


def test_four_business_hours_from_friday_afternoon_run_into_monday():
    # Fri 15:00: two hours left on Friday, two more from Monday 09:00
    assert due(UTC, T(2026, 1, 9, 15, 0), 240) == T(2026, 1, 12, 11, 0)


def test_a_deadline_on_closing_time_stays_on_that_day():
    assert due(UTC, T(2026, 1, 13, 13, 0), 240) == T(2026, 1, 13, 17, 0)
    # from closing time itself the next hour is the next morning's first
    assert due(UTC, T(2026, 1, 13, 17, 0), 60) == T(2026, 1, 14, 10, 0)


def test_an_mql_outside_hours_gets_its_time_from_the_next_opening():
    assert due(UTC, T(2026, 1, 13, 20, 0), 30) == T(2026, 1, 14, 9, 30)  # evening
    assert due(UTC, T(2026, 1, 14, 6, 0), 30) == T(2026, 1, 14, 9, 30)  # early morning
    assert due(UTC, T(2026, 1, 10, 11, 0), 60) == T(2026, 1, 12, 10, 0)  # Saturday


def test_a_holiday_pushes_the_deadline_a_day_further():
    with_holiday = BusinessCalendar("UTC", holidays=(date(2026, 1, 12),))
    # Fri 16:00 + 2 h: one hour on Friday, Monday off, one hour on Tuesday
    assert due(with_holiday, T(2026, 1, 9, 16, 0), 120) == T(2026, 1, 13, 10, 0)
    assert due(UTC, T(2026, 1, 9, 16, 0), 120) == T(2026, 1, 12, 10, 0)


def test_deadlines_are_read_on_the_company_clock_and_given_back_in_utc():
    # Fri 20:00 UTC is 15:00 in New York: two hours there, then Monday 09:00-11:00 New York,
    # which is 16:00 UTC in winter
    assert due(NEW_YORK, T(2026, 1, 9, 20, 0), 240) == T(2026, 1, 12, 16, 0)
    # the same SLA across the change to summer time: Fri 6 March 15:00 EST (20:00 UTC) ->
    # Mon 9 March 11:00 EDT, which is 15:00 UTC
    assert due(NEW_YORK, T(2026, 3, 6, 20, 0), 240) == T(2026, 3, 9, 15, 0)


def test_business_days_are_working_days_worth_of_hours():
    [friday] = UTC.add_business_days([T(2026, 1, 9, 10, 0)], 1)
    assert friday == np.datetime64("2026-01-12T10:00")  # Friday 10:00 -> Monday 10:00
    [evening] = UTC.add_business_days([T(2026, 1, 13, 20, 0)], 1)
    assert evening == np.datetime64("2026-01-14T17:00")  # by the end of the next working day
    [two] = UTC.add_business_days([T(2026, 1, 8, 12, 0)], 2)
    assert two == np.datetime64("2026-01-12T12:00")  # Thu -> Mon, the weekend skipped


def test_adding_nothing_keeps_the_instant_and_missing_values_stay_missing():
    assert due(UTC, T(2026, 1, 10, 11, 0), 0) == T(2026, 1, 10, 11, 0)
    assert due(UTC, None, 60) is None
    [value] = UTC.add_business_minutes([T(2026, 1, 13, 10)], [float("nan")])
    assert np.isnat(value)
    with pytest.raises(ValueError, match="negative"):
        UTC.add_business_minutes([T(2026, 1, 13, 10)], -5)


def test_minutes_per_row_and_round_trips_with_minutes_between():
    rng = np.random.default_rng(11)
    cal = BusinessCalendar("America/New_York", holidays=(date(2026, 1, 19), date(2026, 2, 16)))
    start = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90 * 86400, 800), unit="s")
    minutes = rng.integers(1, 5 * 480, 800).astype(float)
    deadline = cal.add_business_minutes(pd.Series(start), minutes)
    assert cal.minutes_between(pd.Series(start), deadline) == pytest.approx(minutes)
    # and the deadline is the earliest such instant: one minute before it, less time had passed
    earlier = pd.DatetimeIndex(deadline) - pd.Timedelta(minutes=1)
    assert np.all(cal.minutes_between(pd.Series(start), earlier) < minutes)
