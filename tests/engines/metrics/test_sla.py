"""SLA metrics: attainment, breaches, open breaches and median time, by SLA and by the owner's
team and region. The company clock is UTC, 09:00-17:00 Monday to Friday; January 2026:
Mon 12, Tue 13, Wed 14. The numbers are read at the end of the as-of day (Wed 14)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from revops.model import load_model
from revops.model.sections.slas import SlaPolicy
from tests.engines.metrics.conftest import metric_values, value

T = datetime
TODAY = date(2026, 1, 14)


def sla_model():
    model = load_model(None)
    model.company.timezone = "UTC"
    model.slas = [
        SlaPolicy(key="first_touch", label="MQL to first touch", start="lead.mql_at",
                  stop="lead.first_contacted_at", duration=4, unit="business_hours", owner_team="sales_ops"),
        SlaPolicy(key="sql_to_opp", label="SQL to opportunity", start="lead.sql_at",
                  stop="lead.converted_at", duration=1, unit="days", owner_team="revops"),
    ]
    return model


@pytest.fixture
def funnel(gtm):
    return gtm(
        users=[{"user_id": "ana", "team": "SDR NA", "region": "NA"},
               {"user_id": "ben", "team": "SDR EMEA", "region": "EMEA"}],
        leads=[
            # first_touch: ana meets 2 and breaches 1; ben breaches 1 (still open) and has 1 running
            {"lead_id": "a1", "owner_id": "ana", "mql_at": T(2026, 1, 12, 9), "first_contacted_at": T(2026, 1, 12, 9, 30)},
            {"lead_id": "a2", "owner_id": "ana", "mql_at": T(2026, 1, 12, 10), "first_contacted_at": T(2026, 1, 12, 11, 30)},
            {"lead_id": "a3", "owner_id": "ana", "mql_at": T(2026, 1, 12, 10), "first_contacted_at": T(2026, 1, 13, 10),
             "sql_at": T(2026, 1, 13, 10), "converted_at": T(2026, 1, 13, 12)},
            {"lead_id": "b1", "owner_id": "ben", "mql_at": T(2026, 1, 13, 9)},
            {"lead_id": "b2", "owner_id": "ben", "mql_at": T(2026, 1, 14, 16)},  # due Thu 12:00
            # sql_to_opp: ben's SQL of Monday never converted
            {"lead_id": "b3", "owner_id": "ben", "sql_at": T(2026, 1, 12, 15)},
        ])


def test_attainment_and_breaches_by_sla(funnel):
    model = sla_model()
    rows = metric_values(funnel, ["sla_attainment_rate", "sla_breaches", "sla_open_breaches"],
                         model=model, today=TODAY, by="sla")
    got = {(r["metric"], r["sla"]): r["value"] for r in rows}
    # first_touch: met a1, a2; breached a3 (a day late), b1 (never); b2 still due
    assert got[("sla_attainment_rate", "first_touch")] == pytest.approx(2 / 4)
    assert got[("sla_breaches", "first_touch")] == 2
    assert got[("sla_open_breaches", "first_touch")] == 1
    # sql_to_opp: a3 converted in 2 hours; b3 open past its day
    assert got[("sla_attainment_rate", "sql_to_opp")] == pytest.approx(1 / 2)
    assert got[("sla_open_breaches", "sql_to_opp")] == 1


def test_attainment_by_the_owners_team_and_region(funnel):
    rows = metric_values(funnel, "sla_attainment_rate", model=sla_model(), today=TODAY, by="team",
                         where="sla = 'first_touch'")
    assert {r["team"]: r["value"] for r in rows} == {"SDR NA": pytest.approx(2 / 3), "SDR EMEA": 0.0}
    rows = metric_values(funnel, "sla_breaches", model=sla_model(), today=TODAY, by="region,owner_team")
    assert {(r["region"], r["owner_team"]): r["value"] for r in rows} == {
        ("NA", "sales_ops"): 1, ("EMEA", "sales_ops"): 1, ("EMEA", "revops"): 1}


def test_median_minutes_on_the_slas_clock(funnel):
    # first touches stopped: 30, 90 and (Mon 10:00 -> Tue 10:00) 480 business minutes
    assert value(funnel, "sla_median_minutes", model=sla_model(), today=TODAY,
                 where="sla = 'first_touch'") == 90


def test_read_as_of_an_earlier_day(funnel):
    # at the end of Monday a3 has not been called yet and is past due: open; b1 is no MQL yet
    rows = metric_values(funnel, ["sla_breaches", "sla_open_breaches"], model=sla_model(),
                         as_of="2026-01-12", today=TODAY, where="sla = 'first_touch'")
    assert {r["metric"]: r["value"] for r in rows} == {"sla_breaches": 1, "sla_open_breaches": 1}


def test_attainment_by_month_of_the_start(funnel):
    rows = metric_values(funnel, "sla_attainment_rate", model=sla_model(), today=TODAY, period="month")
    assert [(r["period"], r["value"]) for r in rows] == [("2026-01", pytest.approx(3 / 6))]


def test_a_model_without_slas_breaches_nothing(funnel):
    model = load_model(None)
    model.slas = []
    assert value(funnel, "sla_breaches", model=model, today=TODAY) == 0
    assert value(funnel, "sla_attainment_rate", model=model, today=TODAY) is None
