"""Trailing retention and cohort tables on the hand-built histories of conftest.py (month-end
MRR in the table there), worked out by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from revops.engines.metrics.periods import add_months
from revops.engines.revenue import cohort_table, trailing_retention
from revops.errors import MetricError
from tests.engines.revenue.conftest import D


def records(frame):
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def by_period(frame):
    return {r["period"]: r for r in records(frame)}


def test_three_month_retention_at_each_month_end(histories, session_of):
    rows = by_period(trailing_retention(session_of(histories), months=3))
    assert list(rows) == ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09"]
    # June's window (Apr-Jun) starts at March's end: acme 80, globex 260, initech 250, hooli 50,
    # umbrella 140 (wayne's credit: not paying). In June: 80, 260, 250, hooli back at 70,
    # umbrella 100 without its add-on
    june = rows["2025-06"]
    assert (june["accounts"], june["opening_mrr"], june["closing_mrr"]) == (5, 780.0, 760.0)
    assert june["nrr"] == pytest.approx(760 / 780)
    assert june["grr"] == pytest.approx((80 + 260 + 250 + 50 + 100) / 780)  # hooli capped at its 50
    assert june["logo_churn_rate"] == 0.0
    # August's window starts at May's end: hooli not paying, stark 90 and wayne 100 are; stark is gone by August
    august = rows["2025-08"]
    assert (august["accounts"], august["opening_mrr"], august["closing_mrr"]) == (6, 880.0, 790.0)
    assert august["nrr"] == pytest.approx(790 / 880) and august["grr"] == pytest.approx(790 / 880)
    assert august["logo_churn_rate"] == pytest.approx(1 / 6)


def test_trailing_windows_give_the_metrics_layers_nrr_grr_and_logo_churn(histories, session_of):
    """One definition: the window ending at month M is `revops metrics nrr --from M-2 --to M`."""
    session = session_of(histories)
    for period, row in by_period(trailing_retention(session, months=3)).items():
        month = D(int(period[:4]), int(period[5:]), 1)
        values = session.compute(["nrr", "grr", "logo_churn_rate"], start=add_months(month, -2),
                                 end=add_months(month, 1) - timedelta(days=1))
        for r in values.to_dict("records"):
            assert row[r["metric"]] == pytest.approx(r["value"]), (period, r["metric"])


def test_twelve_months_by_default_and_null_where_nobody_paid_at_the_start(histories, session_of):
    assert trailing_retention(session_of(histories)).empty  # history starts January 2025
    rows = by_period(trailing_retention(session_of(histories), months=6, start="2025-06-01"))
    assert (rows["2025-06"]["accounts"], rows["2025-06"]["nrr"]) == (0, None)  # December 2024: nobody paid yet
    # July's window starts at January's end: the six first customers, 850; July 950 without stark's 90
    assert rows["2025-07"]["nrr"] == pytest.approx((950 - 90) / 850)


def test_retention_by_segment(histories, session_of):
    frame = trailing_retention(session_of(histories), months=3, start="2025-08-01", end="2025-08-31", by="segment")
    got = {r["segment"]: (r["accounts"], r["nrr"], r["logo_churn_rate"]) for r in frame.to_dict("records")}
    # May's end: smb acme 80, globex 260, initech 250 (590, kept); enterprise umbrella 100,
    # stark 90, wayne 100 (290; stark gone by August)
    assert got == {"enterprise": (3, pytest.approx(200 / 290), pytest.approx(1 / 3)), "smb": (3, 1.0, 0.0)}


def test_logo_cohorts_by_start_month(histories, session_of):
    table = {r["cohort"]: r for r in records(cohort_table(session_of(histories), months=5))}
    assert list(table) == ["2025-01", "2025-05"]
    january = table["2025-01"]  # acme, globex, initech, hooli, umbrella, wayne
    assert (january["accounts"], january["mrr"]) == (6, 850.0)
    # Feb all; Mar wayne at 0; Apr hooli gone, wayne back; May hooli still gone; Jun hooli back
    assert [january[f"month_{k}"] for k in range(6)] == pytest.approx([1, 1, 5 / 6, 5 / 6, 5 / 6, 1])
    may = table["2025-05"]  # stark: Jun, Jul, gone in Aug, Sep; October not reached yet
    assert (may["accounts"], may["mrr"]) == (1, 90.0)
    assert [may[f"month_{k}"] for k in range(5)] == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert may["month_5"] is None


def test_revenue_cohorts_net_and_gross(histories, session_of):
    net = {r["cohort"]: r for r in cohort_table(session_of(histories), basis="revenue", months=3).to_dict("records")}
    # the January cohort: Feb 890, Mar 780, Apr 790 (no stark: it is May's) over 850
    assert [net["2025-01"][f"month_{k}"] for k in range(4)] == pytest.approx([1, 890 / 850, 780 / 850, 790 / 850])
    gross = {r["cohort"]: r for r in cohort_table(session_of(histories), basis="gross", months=3).to_dict("records")}
    # each account capped at its January MRR: March acme 80, globex 200 (not 260), initech 250,
    # hooli 50, umbrella 100 (not 140), wayne 0
    assert gross["2025-01"]["month_2"] == pytest.approx((80 + 200 + 250 + 50 + 100) / 850)
    assert gross["2025-01"]["month_1"] == pytest.approx(1.0)


def test_cohorts_by_segment_and_range(histories, session_of):
    frame = cohort_table(session_of(histories), months=1, by="segment", start="2025-01-01", end="2025-01-31")
    assert [(r["cohort"], r["segment"], r["accounts"], r["mrr"]) for r in frame.to_dict("records")] == [
        ("2025-01", "enterprise", 3, 250.0), ("2025-01", "smb", 3, 600.0)]


def test_as_of_a_day_cohorts_and_retention_know_only_that_day(histories, session_of):
    frame = cohort_table(session_of(histories, as_of="2025-03-15"), months=3)
    [january] = records(frame)
    # March 15: wayne's credit has started, nobody else stopped
    assert [january[f"month_{k}"] for k in range(3)] == pytest.approx([1, 1, 5 / 6])
    assert january["month_3"] is None


def test_bad_requests_say_what_to_do(histories, session_of):
    with pytest.raises(MetricError, match="unknown cohort basis 'seats'; use logo, revenue, gross"):
        cohort_table(session_of(histories), basis="seats")
    with pytest.raises(MetricError, match="at least 1 month"):
        trailing_retention(session_of(histories), months=0)
    with pytest.raises(MetricError, match="changes from month to month"):
        cohort_table(session_of(histories), by="movement")
