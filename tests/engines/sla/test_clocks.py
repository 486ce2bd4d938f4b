"""SLA clocks: when each promise is due, and whether it was met, breached or is still running.

January 2026: Fri 9, Sat 10, Sun 11, Mon 12, Tue 13, Wed 14, Thu 15. Unless a test says
otherwise the company works 09:00-17:00 Monday to Friday on UTC, and the SLA is the speed-to-
lead promise: first contact within 4 business hours of becoming an MQL.
"""

from __future__ import annotations

from datetime import date

import pytest

from revops.errors import SlaError
from tests.engines.sla.conftest import T, by_record, clock_rows, model_with, sla

FIRST_TOUCH = sla(reminder_before=1)


def lead(lead_id: str, mql_at=None, contacted=None, **kw):
    return {"lead_id": lead_id, "mql_at": mql_at, "first_contacted_at": contacted, "owner_id": "rep", **kw}


def test_met_breached_and_due_at_the_moment_asked(crm):
    store = crm(leads=[
        lead("called_in_time", T(2026, 1, 13, 10), T(2026, 1, 13, 13)),   # due 14:00
        lead("called_late", T(2026, 1, 13, 10), T(2026, 1, 13, 15)),      # an hour late
        lead("waiting", T(2026, 1, 13, 16)),                              # due Wed 12:00
        lead("forgotten", T(2026, 1, 12, 9)),                              # due Mon 13:00
        lead("not_an_mql"),
    ])
    rows = by_record(clock_rows(store, model_with(FIRST_TOUCH), at=T(2026, 1, 14, 10)))
    assert set(rows) == {"called_in_time", "called_late", "waiting", "forgotten"}

    met = rows["called_in_time"]
    assert (met["state"], met["due_at"], met["stopped_at"]) == ("met", T(2026, 1, 13, 14), T(2026, 1, 13, 13))
    assert met["elapsed_minutes"] == 180 and met["minutes_late"] is None

    late = rows["called_late"]
    assert (late["state"], late["minutes_late"], late["elapsed_minutes"]) == ("breached", 60, 300)

    waiting = rows["waiting"]
    # Tue 16:00-17:00 and Wed 09:00-12:00 make the 4 hours; at Wed 10:00 two have gone
    assert (waiting["state"], waiting["due_at"], waiting["stopped_at"]) == ("due", T(2026, 1, 14, 12), None)
    assert (waiting["minutes_remaining"], waiting["elapsed_minutes"]) == (120, 120)

    forgotten = rows["forgotten"]
    # still open, due Monday 13:00, read on Wednesday 10:00: 45 hours late
    assert (forgotten["state"], forgotten["stopped_at"], forgotten["minutes_late"]) == ("breached", None, 45 * 60)


def test_the_clock_stands_still_over_the_weekend(crm):
    store = crm(leads=[lead("friday", T(2026, 1, 9, 15))])
    model = model_with(FIRST_TOUCH)
    # two hours on Friday, two on Monday morning
    saturday = by_record(clock_rows(store, model, at=T(2026, 1, 10, 12)))["friday"]
    assert (saturday["due_at"], saturday["state"], saturday["reminder"]) == (T(2026, 1, 12, 11), "due", False)
    assert saturday["elapsed_minutes"] == 120  # nothing counted since Friday 17:00


def test_a_holiday_counts_like_a_weekend_day(crm):
    store = crm(leads=[lead("friday", T(2026, 1, 9, 15))])
    model = model_with(FIRST_TOUCH, holidays=(date(2026, 1, 12),))
    [row] = clock_rows(store, model, at=T(2026, 1, 12, 12))
    assert (row["due_at"], row["state"]) == (T(2026, 1, 13, 11), "due")


def test_business_hours_are_counted_on_the_company_clock(crm):
    # Fri 20:00 UTC is 15:00 in New York: two hours that day, two from Monday 09:00 New York,
    # so due Monday 11:00 New York = 16:00 UTC. Read in UTC the lead would be due Monday 13:00.
    store = crm(leads=[lead("evening_in_utc", T(2026, 1, 9, 20))])
    [ny] = clock_rows(store, model_with(FIRST_TOUCH, timezone="America/New_York"), at=T(2026, 1, 12, 12))
    assert ny["due_at"] == T(2026, 1, 12, 16)
    [utc] = clock_rows(store, model_with(FIRST_TOUCH), at=T(2026, 1, 12, 12))
    assert utc["due_at"] == T(2026, 1, 12, 13)
    # Tokyo (UTC+9): Fri 20:00 UTC is Sat 05:00 there, so the four hours are Monday 09:00-13:00
    # Tokyo, which is Monday 04:00 UTC
    [tokyo] = clock_rows(store, model_with(FIRST_TOUCH, timezone="Asia/Tokyo"), at=T(2026, 1, 12, 3))
    assert (tokyo["due_at"], tokyo["state"]) == (T(2026, 1, 12, 4), "due")


def test_a_reminder_comes_the_reminder_time_before_the_deadline(crm):
    store = crm(leads=[lead("friday", T(2026, 1, 9, 15))])
    model = model_with(FIRST_TOUCH)  # remind 1 business hour before: Monday 10:00
    before = by_record(clock_rows(store, model, at=T(2026, 1, 12, 9, 59)))["friday"]
    assert (before["remind_at"], before["reminder"]) == (T(2026, 1, 12, 10), False)
    after = by_record(clock_rows(store, model, at=T(2026, 1, 12, 10, 30)))["friday"]
    assert (after["reminder"], after["minutes_remaining"]) == (True, 30)
    # once breached it is no longer a reminder but a breach
    late = by_record(clock_rows(store, model, at=T(2026, 1, 12, 11, 1)))["friday"]
    assert (late["state"], late["reminder"]) == ("breached", False)
    # without reminder_before there is none
    [plain] = clock_rows(store, model_with(sla()), at=T(2026, 1, 12, 10, 30))
    assert (plain["remind_at"], plain["reminder"]) == (None, False)


def test_days_run_through_weekends_business_days_do_not(crm):
    store = crm(leads=[lead("friday_sql", sql_at=T(2026, 1, 9, 10))])
    days = sla("two_days", "lead.sql_at", "lead.converted_at", 2, "days")
    business = sla("two_business_days", "lead.sql_at", "lead.converted_at", 2, "business_days")
    rows = {r["sla"]: r for r in clock_rows(store, model_with(days, business), at=T(2026, 1, 12, 9))}
    assert (rows["two_days"]["due_at"], rows["two_days"]["state"]) == (T(2026, 1, 11, 10), "breached")
    # a business day is one working day's hours: Friday 10:00 + 2 x 8 hours = Tuesday 10:00
    assert (rows["two_business_days"]["due_at"], rows["two_business_days"]["state"]) == (T(2026, 1, 13, 10), "due")


def test_minutes_and_hours_are_plain_clock_time(crm):
    store = crm(leads=[lead("saturday", T(2026, 1, 10, 23, 50))])
    model = model_with(sla("fast", duration=30, unit="minutes"), sla("hourly", duration=1.5, unit="hours"))
    rows = {r["sla"]: r for r in clock_rows(store, model, at=T(2026, 1, 11, 0, 0))}
    assert rows["fast"]["due_at"] == T(2026, 1, 11, 0, 20)
    assert rows["hourly"]["due_at"] == T(2026, 1, 11, 1, 20)
    assert rows["fast"]["minutes_remaining"] == 20 and rows["fast"]["elapsed_minutes"] == 10


def test_nothing_after_the_moment_asked_is_seen(crm):
    store = crm(leads=[lead("called_wednesday", T(2026, 1, 13, 10), T(2026, 1, 14, 9, 30)),
                       lead("mql_tomorrow", T(2026, 1, 15, 10))])
    [row] = clock_rows(store, model_with(FIRST_TOUCH), at=T(2026, 1, 13, 12))
    # on Tuesday at noon the call has not happened yet and the other lead is no MQL yet
    assert (row["record_id"], row["state"], row["stopped_at"]) == ("called_wednesday", "due", None)
    [later] = clock_rows(store, model_with(FIRST_TOUCH), at=T(2026, 1, 14, 12))
    assert (later["state"], later["stopped_at"]) == ("breached", T(2026, 1, 14, 9, 30))


def test_a_lead_contacted_before_it_became_mql_met_the_sla(crm):
    store = crm(leads=[lead("already_talking", T(2026, 1, 13, 10), T(2026, 1, 12, 15))])
    [row] = clock_rows(store, model_with(FIRST_TOUCH), at=T(2026, 1, 20))
    assert (row["state"], row["elapsed_minutes"]) == ("met", 0)


def test_owner_is_the_records_owner_and_owner_team_the_slas(crm):
    store = crm(leads=[lead("l1", T(2026, 1, 13, 10), owner_id="sdr_ana")])
    [row] = clock_rows(store, model_with(sla(owner_team="sales_ops")), at=T(2026, 1, 13, 11))
    assert (row["sla"], row["owner_id"], row["owner_team"]) == ("first_touch", "sdr_ana", "sales_ops")


def test_a_filter_chooses_the_records_an_sla_applies_to(crm):
    store = crm(leads=[lead("inbound", T(2026, 1, 13, 10), source="inbound"),
                       lead("outbound", T(2026, 1, 13, 10), source="outbound")])
    model = model_with(sla(filter="source = 'inbound'"))
    assert [r["record_id"] for r in clock_rows(store, model, at=T(2026, 1, 13, 12))] == ["inbound"]


def test_a_stop_that_repeats_counts_its_first_occurrence_after_the_start(crm):
    # "a new deal moves to its next stage within 7 days"
    advances = sla("deal_advances", "opportunity.created", "opportunity.stage_changed", 7, "days")
    store = crm(
        opportunities=[{"opportunity_id": "quick", "created_at": T(2026, 1, 5, 10), "owner_id": "ae"},
                       {"opportunity_id": "stuck", "created_at": T(2026, 1, 5, 10), "owner_id": "ae"}],
        opportunity_history=[
            {"history_id": "h1", "opportunity_id": "quick", "changed_at": T(2026, 1, 5, 10), "stage": "discovery"},
            {"history_id": "h2", "opportunity_id": "quick", "changed_at": T(2026, 1, 8, 10), "stage": "qualification"},
            {"history_id": "h3", "opportunity_id": "quick", "changed_at": T(2026, 1, 20, 10), "stage": "proposal"},
            {"history_id": "h4", "opportunity_id": "stuck", "changed_at": T(2026, 1, 5, 10), "stage": "discovery"},
            # an amount change in the same stage is no stage change
            {"history_id": "h5", "opportunity_id": "stuck", "changed_at": T(2026, 1, 7, 10), "stage": "discovery"},
            {"history_id": "h6", "opportunity_id": "stuck", "changed_at": T(2026, 1, 15, 10), "stage": "qualification"},
        ])
    rows = by_record(clock_rows(store, model_with(advances), at=T(2026, 1, 31)))
    assert (rows["quick"]["state"], rows["quick"]["stopped_at"]) == ("met", T(2026, 1, 8, 10))
    assert (rows["stuck"]["state"], rows["stuck"]["stopped_at"]) == ("breached", T(2026, 1, 15, 10))


def test_a_start_that_repeats_counts_its_latest_occurrence(crm):
    # "after every stage change the owner logs an activity within 2 days"
    follow_up = sla("follow_up", "opportunity.stage_changed", "opportunity.last_activity_at", 2, "days")
    store = crm(
        opportunities=[{"opportunity_id": "o1", "last_activity_at": T(2026, 1, 21, 10)}],
        opportunity_history=[
            {"history_id": "h1", "opportunity_id": "o1", "changed_at": T(2026, 1, 5, 10), "stage": "discovery"},
            {"history_id": "h2", "opportunity_id": "o1", "changed_at": T(2026, 1, 8, 10), "stage": "qualification"},
            {"history_id": "h3", "opportunity_id": "o1", "changed_at": T(2026, 1, 20, 10), "stage": "proposal"},
        ])
    [now] = clock_rows(store, model_with(follow_up), at=T(2026, 1, 25))
    assert (now["started_at"], now["state"]) == (T(2026, 1, 20, 10), "met")
    [then] = clock_rows(store, model_with(follow_up), at=T(2026, 1, 9))
    assert (then["started_at"], then["due_at"], then["state"]) == (T(2026, 1, 8, 10), T(2026, 1, 10, 10), "due")


def test_from_and_to_choose_clocks_by_the_day_they_started(crm):
    store = crm(leads=[lead(f"l{d}", T(2026, 1, d, 10)) for d in (12, 13, 14)])
    rows = clock_rows(store, model_with(FIRST_TOUCH), at=T(2026, 1, 20), started_from="2026-01-13",
                      started_to="2026-01-13")
    assert [r["record_id"] for r in rows] == ["l13"]


def test_states_and_open_clocks_can_be_asked_for_alone(crm):
    store = crm(leads=[lead("met", T(2026, 1, 13, 10), T(2026, 1, 13, 11)),
                       lead("late", T(2026, 1, 12, 10), T(2026, 1, 13, 11)),
                       lead("open", T(2026, 1, 12, 10))])
    model = model_with(FIRST_TOUCH)
    at = T(2026, 1, 14)
    assert [r["record_id"] for r in clock_rows(store, model, at=at, states=("breached",))] == ["late", "open"]
    assert [r["record_id"] for r in clock_rows(store, model, at=at, states=("breached",), open_only=True)] == ["open"]
    with pytest.raises(SlaError, match="unknown SLA state 'late'.*due, met, breached"):
        clock_rows(store, model, at=at, states=("late",))


def test_an_unknown_sla_is_refused_with_the_models_slas(crm):
    store = crm(leads=[lead("l1", T(2026, 1, 13, 10))])
    with pytest.raises(SlaError, match="no SLA 'first_tuch'.*did you mean 'first_touch'"):
        clock_rows(store, model_with(FIRST_TOUCH), at=T(2026, 1, 14), keys="first_tuch")


def test_on_the_dot_is_in_time(crm):
    store = crm(leads=[lead("called_on_the_dot", T(2026, 1, 13, 10), T(2026, 1, 13, 14)),
                       lead("still_waiting", T(2026, 1, 13, 10))])
    rows = by_record(clock_rows(store, model_with(FIRST_TOUCH), at=T(2026, 1, 13, 14)))
    assert rows["called_on_the_dot"]["state"] == "met"
    # at 14:00 itself the waiting lead is due now, not yet breached
    assert (rows["still_waiting"]["state"], rows["still_waiting"]["minutes_remaining"]) == ("due", 0)


def test_deadlines_in_python_match_the_clocks(crm):
    # for a caller routing one lead in real time: the same due_at without a query
    from revops.engines.sla import deadlines

    starts = [T(2026, 1, 9, 20), T(2026, 1, 10, 11), T(2026, 1, 13, 16, 30)]
    store = crm(leads=[lead(f"l{i}", s) for i, s in enumerate(starts)])
    for policy, zone in ((FIRST_TOUCH, "America/New_York"), (sla(duration=90, unit="minutes"), "UTC"),
                         (sla(duration=2, unit="business_days"), "Asia/Tokyo")):
        model = model_with(policy, timezone=zone)
        rows = clock_rows(store, model, at=T(2026, 1, 14))
        due = deadlines(policy, model.company, starts)
        assert [r["due_at"] for r in rows] == [d.astype("datetime64[us]").item() for d in due]
