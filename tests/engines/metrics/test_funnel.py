"""Lead funnel metrics on hand-built leads whose answers are worked out here.

Calendar: Jan 2026 Fri 9, Mon 12, Tue 13, Wed 14, Thu 15, Fri 16; Fri 13 Feb, Mon 16 Feb
(Presidents' Day), Tue 17 Feb. The default model works 09:00-17:00 Monday to Friday in
America/New_York (UTC-5 in winter); the store holds naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from revops.model import load_model
from tests.engines.metrics.conftest import metric_values, value

T = datetime
COUNTS = ["lead_count", "mql_count", "sql_count"]
RATES = ["mql_to_sql_rate", "sql_to_opportunity_rate", "lead_to_customer_rate"]


def lead(lid, created, source, owner, **kw):
    return {"lead_id": lid, "created_at": created, "source": source, "owner_id": owner, **kw}


def by(rows, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r["value"] for r in rows}


@pytest.fixture
def funnel(gtm):
    return gtm(
        users=[{"user_id": "u1", "segment": "smb", "team": "east"},
               {"user_id": "u2", "segment": "enterprise", "team": "west"}],
        opportunities=[
            {"opportunity_id": "op1", "stage": "closed_won", "amount": 10_000.0, "created_at": T(2026, 2, 1),
             "close_date": date(2026, 3, 1)},
            {"opportunity_id": "op2", "stage": "closed_lost", "amount": 8_000.0, "created_at": T(2026, 2, 20),
             "close_date": date(2026, 4, 1)},
            {"opportunity_id": "op3", "stage": "discovery", "amount": 5_000.0, "created_at": T(2026, 4, 20),
             "close_date": date(2026, 7, 1)},
        ],
        leads=[
            # Q1 leads: l1 goes all the way to a won deal, l2 to a lost one, l3 stops at MQL, l4 at new
            lead("l1", T(2026, 1, 5, 12), "web", "u1", industry="saas", persona="buyer",
                 mql_at=T(2026, 1, 6, 12), sql_at=T(2026, 1, 20, 12), converted=True,
                 converted_at=T(2026, 2, 1, 12), converted_opportunity_id="op1"),
            lead("l2", T(2026, 1, 10, 12), "web", "u2", industry="retail", persona="user",
                 mql_at=T(2026, 1, 12, 12), sql_at=T(2026, 2, 15, 12), converted=True,
                 converted_at=T(2026, 2, 20, 12), converted_opportunity_id="op2"),
            lead("l3", T(2026, 2, 1, 12), "event", "u1", industry="saas", persona="buyer",
                 mql_at=T(2026, 2, 2, 12)),
            lead("l4", T(2026, 2, 20, 12), "event", "u2", industry="retail", persona="user"),
            # created in Q1, MQL and SQL in Q2; the source recorded only the opportunity id
            lead("l5", T(2026, 3, 5, 12), "web", "u1", industry="saas", persona="buyer",
                 mql_at=T(2026, 4, 2, 12), sql_at=T(2026, 4, 10, 12), converted_opportunity_id="op3"),
            lead("l6", T(2026, 4, 3, 12), "partner", "u2", industry="saas", persona="user",
                 mql_at=T(2026, 4, 5, 12), sql_at=T(2026, 5, 20, 12)),
        ],
    )


def test_counts_bucket_each_step_by_its_own_date(funnel):
    rows = metric_values(funnel, COUNTS, period="quarter")
    assert [(r["metric"], r["period"], r["value"]) for r in rows] == [
        ("lead_count", "2026-Q1", 5.0), ("lead_count", "2026-Q2", 1.0),     # l1-l5 | l6
        ("mql_count", "2026-Q1", 3.0), ("mql_count", "2026-Q2", 2.0),       # l1 l2 l3 | l5 l6
        ("sql_count", "2026-Q1", 2.0), ("sql_count", "2026-Q2", 2.0),       # l1 l2 | l5 l6
    ]


def test_mql_to_sql_rate_follows_the_mql_cohort(funnel):
    rows = metric_values(funnel, "mql_to_sql_rate", period="quarter")
    # Q1 MQLs l1, l2, l3: l1 and l2 became SQL (l2 only in Q2: still counts for its Q1 cohort)
    # Q2 MQLs l5, l6: both became SQL
    assert by(rows, "period") == {"2026-Q1": pytest.approx(2 / 3), "2026-Q2": 1.0}


def test_sql_to_opportunity_counts_a_converted_flag_or_an_opportunity_id(funnel):
    rows = metric_values(funnel, "sql_to_opportunity_rate", period="quarter")
    # Q1 SQLs l1, l2: both converted; Q2 SQLs l5 (opportunity id only) and l6 (not converted)
    assert by(rows, "period") == {"2026-Q1": 1.0, "2026-Q2": 0.5}


def test_lead_to_customer_needs_the_converted_deal_to_be_won(funnel):
    rows = metric_values(funnel, "lead_to_customer_rate", period="quarter")
    # Q1 leads l1-l5: only l1's deal (op1) is won; l2's deal was lost, l5's is open
    assert by(rows, "period") == {"2026-Q1": pytest.approx(1 / 5), "2026-Q2": 0.0}
    assert value(funnel, "lead_to_customer_rate") == pytest.approx(1 / 6)


def test_monthly_periods_are_filled_with_zero_counts_and_null_rates(funnel):
    counts = metric_values(funnel, "lead_count", period="month", start="2026-01-01", end="2026-06-30")
    assert [(r["period"], r["value"]) for r in counts] == [
        ("2026-01", 2.0), ("2026-02", 2.0), ("2026-03", 1.0), ("2026-04", 1.0), ("2026-05", 0.0),
        ("2026-06", 0.0)]
    rates = metric_values(funnel, "mql_to_sql_rate", period="month", start="2026-01-01", end="2026-04-30")
    # nobody became MQL in March: no cohort, no rate
    assert [(r["period"], r["value"]) for r in rates] == [
        ("2026-01", 1.0), ("2026-02", 0.0), ("2026-03", None), ("2026-04", 1.0)]


def test_by_source_and_the_leads_own_columns(funnel):
    assert by(metric_values(funnel, "lead_count", by="source"), "source") == {
        "event": 2.0, "partner": 1.0, "web": 3.0}
    # web MQLs l1, l2, l5 all became SQL; event's l3 did not; partner's l6 did
    assert by(metric_values(funnel, "mql_to_sql_rate", by="source"), "source") == {
        "event": 0.0, "partner": 1.0, "web": 1.0}
    assert by(metric_values(funnel, "mql_count", by="industry"), "industry") == {"retail": 1.0, "saas": 4.0}
    # a custom attribute of the leads table
    assert by(metric_values(funnel, "sql_count", by="persona"), "persona") == {"buyer": 2.0, "user": 2.0}
    assert value(funnel, "lead_count", where="source = 'web' and industry = 'saas'") == 2


def test_by_the_owners_team_and_segment(funnel):
    # east (u1) MQLs l1, l3, l5: l1 and l5 became SQL; west (u2) MQLs l2, l6: both
    assert by(metric_values(funnel, "mql_to_sql_rate", by="team"), "team") == {
        "east": pytest.approx(2 / 3), "west": 1.0}
    assert by(metric_values(funnel, "lead_count", by=["segment", "source"]), "segment", "source") == {
        ("enterprise", "event"): 1.0, ("enterprise", "partner"): 1.0, ("enterprise", "web"): 1.0,
        ("smb", "event"): 1.0, ("smb", "web"): 2.0}


def test_as_of_a_past_day_later_steps_do_not_count(funnel):
    day = "2026-02-10"
    # l4-l6 did not exist yet; l2 became SQL on Feb 15, after the day
    assert value(funnel, "lead_count", as_of=day) == 3
    assert value(funnel, "mql_count", as_of=day) == 3
    assert value(funnel, "sql_count", as_of=day) == 1
    assert value(funnel, "mql_to_sql_rate", as_of=day) == pytest.approx(1 / 3)
    # l1 was converted on Feb 1
    assert value(funnel, "sql_to_opportunity_rate", as_of=day) == 1.0
    # op1 was won on Mar 1: on Feb 10 no lead had become a customer, on Mar 15 l1 had
    assert value(funnel, "lead_to_customer_rate", as_of=day) == 0.0
    assert value(funnel, "lead_to_customer_rate", as_of="2026-03-15") == pytest.approx(1 / 5)


def test_as_of_an_opportunity_created_later_is_not_a_conversion_yet(funnel):
    rows = metric_values(funnel, "sql_to_opportunity_rate", period="quarter", as_of="2026-04-15")
    # Q2 SQLs by Apr 15: l5 only (l6 on May 20); its opportunity op3 was created on Apr 20
    assert by(rows, "period") == {"2026-Q1": 1.0, "2026-Q2": 0.0}


def test_an_empty_period_gives_zero_counts_and_null_rates(funnel):
    empty = {"start": "2030-01-01", "end": "2030-12-31"}
    for name in COUNTS:
        assert value(funnel, name, **empty) == 0
    for name in [*RATES, "speed_to_lead_minutes", "speed_to_lead_p90_minutes", "first_contact_sla_breach_rate"]:
        assert value(funnel, name, **empty) is None


# -- speed to lead ------------------------------------------------------------------------

def call(lid, owner, source, mql_at, contacted_at):
    return lead(lid, T(2026, 1, 2, 12), source, owner, mql_at=mql_at, first_contacted_at=contacted_at)


@pytest.fixture
def calls(gtm):
    return gtm(
        users=[{"user_id": "u1", "team": "east"}, {"user_id": "u2", "team": "west"}],
        leads=[
            # Fri 16:00 New York -> Mon 10:00: 60 + 60
            call("s1", "u1", "web", T(2026, 1, 9, 21), T(2026, 1, 12, 15)),
            # Tue 20:00 New York (already Wednesday in UTC) -> Wed 09:30: 30
            call("s2", "u1", "web", T(2026, 1, 14, 1), T(2026, 1, 14, 14, 30)),
            # Wed 10:00 -> 10:10: 10
            call("s3", "u1", "event", T(2026, 1, 14, 15), T(2026, 1, 14, 15, 10)),
            # Thu 11:00, never contacted: not in the median
            call("s4", "u2", "event", T(2026, 1, 15, 16), None),
            # Fri 09:00 -> 15:00: 360
            call("s5", "u2", "web", T(2026, 1, 16, 14), T(2026, 1, 16, 20)),
            # contacted (outbound) two weeks before it became MQL: no response time to measure
            call("s6", "u2", "event", T(2026, 1, 20, 15), T(2026, 1, 5, 15)),
            # Fri 13 Feb 16:00 -> Tue 17 Feb 10:00: 120 with Monday a holiday, 600 without
            call("s7", "u2", "partner", T(2026, 2, 13, 21), T(2026, 2, 17, 15)),
        ],
    )


@pytest.fixture
def model():
    m = load_model(None)
    m.company.holidays = [date(2026, 2, 16)]
    return m


def test_speed_to_lead_is_the_median_of_business_minutes_per_mql_month(calls, model):
    rows = metric_values(calls, ["speed_to_lead_minutes", "speed_to_lead_p90_minutes"], period="month",
                         model=model)
    # January: 120, 30, 10, 360 -> median (30 + 120) / 2; p90 at 2.7 of [10, 30, 120, 360]
    assert [(r["metric"], r["period"], r["value"]) for r in rows] == [
        ("speed_to_lead_minutes", "2026-01", 75.0), ("speed_to_lead_minutes", "2026-02", 120.0),
        ("speed_to_lead_p90_minutes", "2026-01", pytest.approx(120 + 0.7 * 240)),
        ("speed_to_lead_p90_minutes", "2026-02", 120.0)]


def test_speed_to_lead_skips_the_company_holidays(calls, model):
    feb = {"start": "2026-02-01", "end": "2026-02-28"}
    assert value(calls, "speed_to_lead_minutes", model=model, **feb) == 120
    assert value(calls, "speed_to_lead_minutes", **feb) == 600  # the default model has no holidays


def test_speed_to_lead_is_read_on_the_company_clock(calls):
    utc = load_model(None)
    utc.company.timezone = "UTC"
    jan = {"start": "2026-01-01", "end": "2026-01-31"}
    # on UTC clocks s1 is Fri 21:00 -> Mon 15:00 (360), s2 Wed 01:00 -> 14:30 (330) and
    # s5 14:00 -> 20:00 (180): [10, 180, 330, 360] -> median 255 instead of New York's 75
    assert value(calls, "speed_to_lead_minutes", model=utc, **jan) == 255
    assert value(calls, "speed_to_lead_minutes", **jan) == 75


def test_speed_to_lead_by_source_and_by_team(calls, model):
    # web 120, 30, 360; event 10 (s4 never contacted, s6 contacted before MQL); partner 120
    assert by(metric_values(calls, "speed_to_lead_minutes", by="source", model=model), "source") == {
        "event": 10.0, "partner": 120.0, "web": 120.0}
    # east 120, 30, 10; west 360, 120
    assert by(metric_values(calls, "speed_to_lead_minutes", by="team", model=model), "team") == {
        "east": 30.0, "west": 240.0}


def test_first_contact_sla_breach_rate_counts_late_and_still_waiting_mqls(calls, model):
    rows = metric_values(calls, "first_contact_sla_breach_rate", period="month", model=model,
                         today=date(2026, 3, 31))
    # the default SLA: 4 business hours. January MQLs s1-s6: s5 (360) was late and s4 is
    # still waiting; s6 was contacted before it became MQL. February: s7 in 120
    assert by(rows, "period") == {"2026-01": pytest.approx(2 / 6), "2026-02": 0.0}


def test_an_mql_whose_sla_clock_is_still_running_is_not_counted_yet(calls, model):
    # end of Sunday Jan 11 (19:00 in New York): s1 has waited 60 of its 240 business minutes
    # and will be called on Monday; no MQL has an outcome yet, and none has been called
    assert value(calls, "first_contact_sla_breach_rate", as_of="2026-01-11", model=model) is None
    assert value(calls, "speed_to_lead_minutes", as_of="2026-01-11", model=model) is None
    # end of Thursday Jan 15: s1-s3 met it, s4 (MQL at 11:00) has waited 360 minutes
    assert value(calls, "first_contact_sla_breach_rate", as_of="2026-01-15", model=model) == 0.25


def test_the_sla_is_read_from_the_model(calls, model):
    sla = model.sla("mql_to_first_contact")
    sla.duration, sla.unit = 1, "hours"
    # wall-clock hour: January s1 (66 h), s2 (13.5 h), s4 (waiting), s5 (6 h) missed it
    assert value(calls, "first_contact_sla_breach_rate", model=model, today=date(2026, 3, 31),
                 start="2026-01-01", end="2026-01-31") == pytest.approx(4 / 6)
    from revops.errors import MetricError

    model.slas = [s for s in model.slas if s.key != "mql_to_first_contact"]
    with pytest.raises(MetricError, match="needs an SLA from lead.mql_at to lead.first_contacted_at"):
        value(calls, "first_contact_sla_breach_rate", model=model)


def test_an_mql_called_after_closing_past_its_deadline_breached_as_the_sla_engine_says(gtm, model):
    from revops.engines.sla import clock_request, status

    # MQL Wed 13:00 New York: 4 business hours are due at 17:00 the same day. Called at 17:30,
    # before Thursday opens: no business minute passed after 17:00, yet the call came after
    # the deadline, so the SLA was breached (as `revops sla status` says).
    store = gtm(users=[{"user_id": "u1", "team": "east"}],
                leads=[call("late", "u1", "web", T(2026, 1, 14, 18), T(2026, 1, 14, 22, 30)),
                       call("ontime", "u1", "web", T(2026, 1, 14, 18), T(2026, 1, 14, 22))])
    rates = metric_values(store, "first_contact_sla_breach_rate", by="lead_id", model=model,
                          today=date(2026, 1, 31))
    assert by(rates, "lead_id") == {"late": 1.0, "ontime": 0.0}
    clocks = status(store.ibis, model, clock_request(at="2026-01-31", keys="mql_to_first_contact"))
    states = dict(zip(clocks.column("record_id").to_pylist(), clocks.column("state").to_pylist()))
    assert states == {"late": "breached", "ontime": "met"}
