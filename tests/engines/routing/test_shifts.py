"""A rep's working hours on their own clock: daylight saving, weekends, holidays, local days."""

from __future__ import annotations

from datetime import date, datetime, time

from revops.engines.routing.shifts import ShiftClock


def clock(zone: str, holidays=frozenset()) -> ShiftClock:
    return ShiftClock(zone, time(9), time(17), ("mon", "tue", "wed", "thu", "fri"), frozenset(holidays))


def test_the_working_day_moves_with_daylight_saving_time():
    ny = clock("America/New_York")
    # Friday 2026-03-06 (EST, UTC-5): 13:30 UTC is 08:30 local. Monday 2026-03-09 (EDT, UTC-4): 09:30.
    assert not ny.status(datetime(2026, 3, 6, 13, 30)).at_work
    assert ny.status(datetime(2026, 3, 9, 13, 30)).at_work


def test_after_friday_closing_the_next_start_is_monday_morning_local():
    paris = clock("Europe/Paris")
    status = paris.status(datetime(2026, 5, 15, 16, 0))  # Friday 18:00 in Paris
    assert not status.at_work
    assert status.next_start == datetime(2026, 5, 18, 7, 0)  # Monday 09:00 CEST


def test_a_holiday_is_not_a_working_day_and_the_local_date_decides():
    tokyo = clock("Asia/Tokyo", {date(2026, 5, 13)})
    # 2026-05-13 01:00 UTC is 10:00 on the Wednesday in Tokyo: the holiday, so no work that day.
    status = tokyo.status(datetime(2026, 5, 13, 1, 0))  # Wednesday 10:00 Tokyo
    assert not status.at_work
    assert status.day == date(2026, 5, 13).toordinal()
    assert status.next_start == datetime(2026, 5, 14, 0, 0)  # Thursday 09:00 JST


def test_answers_come_from_the_cached_stretch_until_it_ends():
    ny = clock("America/New_York")
    first = ny.status(datetime(2026, 5, 12, 14, 0))
    assert ny.status(datetime(2026, 5, 12, 20, 59)) is first  # 16:59 local: same stretch at work
    after = ny.status(datetime(2026, 5, 12, 21, 0))            # 17:00 local: day over
    assert after is not first and not after.at_work and after.day == first.day


def test_an_unknown_time_zone_reads_as_utc():
    assert clock("Mars/Olympus").zone_name == "UTC"
