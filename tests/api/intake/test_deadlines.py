"""The first-contact due time of an answer: the MQL SLA in business hours, else the routing
fallback, computed from a cache that must agree with BusinessCalendar at every instant."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from revops.api.intake.deadlines import FALLBACK, FirstContactClock
from revops.model.schema import RevenueModel

TUESDAY_11AM_NY = datetime(2026, 5, 12, 15, 0)


def with_company(model: RevenueModel, **company) -> RevenueModel:
    data = model.model_dump(mode="json", by_alias=True)
    data["company"].update(company)
    return RevenueModel.model_validate(data)


def test_an_mql_is_due_four_business_hours_later_and_a_friday_evening_one_on_monday(default_model):
    clock = FirstContactClock(default_model)
    mql = {"mql_at": TUESDAY_11AM_NY, "first_contacted_at": None}
    friday_evening = {"mql_at": datetime(2026, 5, 15, 22, 0), "first_contacted_at": None}  # 18:00 New York
    [(key, due), (_, monday)] = clock.due([mql, friday_evening], [True, True], TUESDAY_11AM_NY)
    assert key == "mql_to_first_contact" and due == datetime(2026, 5, 12, 19, 0)  # 15:00 New York
    assert monday == datetime(2026, 5, 18, 17, 0)  # Monday 09:00 + 4 h = 13:00 New York


def test_a_contacted_mql_runs_no_sla_clock_and_an_assigned_non_mql_runs_the_fallback(default_model):
    clock = FirstContactClock(default_model)
    contacted = {"mql_at": TUESDAY_11AM_NY, "first_contacted_at": TUESDAY_11AM_NY}
    assigned = {"mql_at": None}
    nurtured = {"mql_at": None}
    out = clock.due([contacted, assigned, nurtured], [True, True, False], TUESDAY_11AM_NY)
    assert out == [(FALLBACK, datetime(2026, 5, 12, 19, 0)), (FALLBACK, datetime(2026, 5, 12, 19, 0)), (None, None)]


def test_the_cached_deadlines_agree_with_the_business_calendar_everywhere(default_model):
    # Holidays, a time zone with a spring-forward inside the window, a six-day week.
    model = with_company(default_model, timezone="Europe/Berlin", holidays=["2026-03-30", "2026-04-03"],
                         business_hours={"start": "08:30", "end": "18:00",
                                         "days": ["mon", "tue", "wed", "thu", "fri", "sat"]})
    clock = FirstContactClock(model)
    rng = random.Random(5)
    start = datetime(2026, 3, 20)
    instants = sorted(start + timedelta(seconds=rng.randrange(0, 86_400 * 21)) for _ in range(3000))
    instants += [datetime(2026, 3, 23, 7, 30), datetime(2026, 3, 23, 17, 0)]  # exactly opening and closing
    for minutes in (60.0, 240.0, 570.0, 1500.0):
        cached = [clock.business_due(t, minutes) for t in instants]
        exact = clock.calendar.add_business_minutes(instants, np.full(len(instants), minutes))
        assert cached == [pd.Timestamp(v).to_pydatetime() for v in exact], minutes
    assert date(2026, 3, 30) in model.company.holidays
