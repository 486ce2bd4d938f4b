"""Business-hour deadlines computed by the backend agree with the company calendar in Python,
in every kind of time zone (half-hour offsets, southern summers, midnight clock changes)."""

from __future__ import annotations

from datetime import date

import ibis
import numpy as np
import pandas as pd
import pytest

from revops.engines.business_time import BusinessCalendar
from revops.engines.sla.business_clock import calendar_tables, with_deadline, with_position

ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "America/Santiago")


@pytest.mark.parametrize("zone", ZONES)
def test_sql_deadlines_and_durations_match_the_python_calendar(zone):
    cal = BusinessCalendar(zone, holidays=(date(2026, 1, 19), date(2026, 4, 3), date(2026, 9, 7)))
    rng = np.random.default_rng(3)
    n = 3000
    start = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 330 * 86400, n), unit="s")
    stop = start + pd.to_timedelta(rng.integers(0, 12 * 86400, n), unit="s")
    minutes = 240.0
    tables = calendar_tables(cal, date(2026, 1, 1), date(2027, 1, 31))
    t = ibis.memtable(pd.DataFrame({"i": np.arange(n), "start": start, "stop": stop}))
    t = with_position(t, "start", "p_start", tables)
    t = with_position(t, "stop", "p_stop", tables)
    t = with_deadline(t, "p_start", minutes, "due", tables)
    out = ibis.duckdb.connect().execute(t).sort_values("i")
    expected_due = cal.add_business_minutes(pd.Series(start), minutes)
    assert (out["due"].to_numpy(dtype="datetime64[us]") == expected_due).all()
    expected_minutes = cal.minutes_between(pd.Series(start), pd.Series(stop))
    assert (out["p_stop"] - out["p_start"]).to_numpy() == pytest.approx(expected_minutes)


def test_instants_outside_the_calendar_get_no_deadline():
    tables = calendar_tables(BusinessCalendar("UTC"), date(2026, 1, 1), date(2026, 1, 31))
    t = ibis.memtable(pd.DataFrame({"start": pd.to_datetime(["2025-06-01 10:00", None])}))
    t = with_deadline(with_position(t, "start", "p", tables), "p", 60, "due", tables)
    out = ibis.duckdb.connect().execute(t)
    assert out["p"].isna().all() and out["due"].isna().all()


@pytest.mark.parametrize("dialect", ["postgres", "pyspark"])
def test_the_clocks_compile_for_other_backends(dialect, crm):
    from revops.engines.sla import ClockRequest, sla_clocks
    from tests.engines.sla.conftest import T, model_with, sla

    if dialect == "pyspark" and ibis.options.pyspark is None:  # the compiler reads this option
        from ibis.config import Config

        class PySparkOptions(Config):
            treat_nan_as_null: bool = False

        ibis.options.pyspark = PySparkOptions()
    store = crm(leads=[{"lead_id": "l1", "mql_at": T(2026, 1, 13, 10)}])
    model = model_with(sla(reminder_before=1), sla("kickoff", "opportunity.closed_won",
                                                   "opportunity.kickoff_held", 5, "days"))
    expr = sla_clocks(store.ibis, model, ClockRequest(at=T(2026, 1, 14)))
    sql = ibis.to_sql(expr, dialect=dialect)
    assert "opportunity_history" in sql and "activities" in sql and "leads" in sql
