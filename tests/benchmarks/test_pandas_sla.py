"""The pandas baseline's SLA clocks (benchmarks/pandas_metrics.py), on the default model's three
promises: first contact within 4 business hours of MQL (New York, 09:00-17:00 Monday to
Friday), an SQL converted within 14 days, a new-business deal's kickoff within 5 days of the
win. March 2026: Fri 6, Sat 7, Sun 8, Mon 9 (New York went to summer time on Sunday 8).
Timestamps are naive UTC, as in the store; the clocks are read at the end of Tue 10 March.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from benchmarks import pandas_metrics as pm
from revops.model import load_model

TODAY = date(2026, 3, 10)


def ts(*args: int) -> pd.Timestamp:
    return pd.Timestamp(datetime(*args))


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns).astype({c: "datetime64[us]" for c in columns
                                                      if c.endswith(("_at", "_date"))})


def gtm() -> dict[str, pd.DataFrame]:
    lead_cols = ["lead_id", "owner_id", "mql_at", "first_contacted_at", "sql_at", "converted_at"]
    leads = frame([
        # Fri 15:00 New York (20:00 UTC): due Mon 11:00 New York, 15:00 UTC after the clocks went forward
        {"lead_id": "in_time", "owner_id": "rep", "mql_at": ts(2026, 3, 6, 20), "first_contacted_at": ts(2026, 3, 9, 15)},
        {"lead_id": "a_second_late", "owner_id": "rep", "mql_at": ts(2026, 3, 6, 20),
         "first_contacted_at": ts(2026, 3, 9, 15, 0, 1)},
        # Thu 5 March 13:00 New York: due 17:00 the same day; called at 18:00, before the next
        # opening, 240 business minutes after the MQL but after the deadline
        {"lead_id": "after_closing", "owner_id": "rep", "mql_at": ts(2026, 3, 5, 18),
         "first_contacted_at": ts(2026, 3, 5, 23)},
        {"lead_id": "called_before_mql", "owner_id": "rep", "mql_at": ts(2026, 3, 6, 20),
         "first_contacted_at": ts(2026, 3, 6, 19)},
        {"lead_id": "never_called", "owner_id": "sdr", "mql_at": ts(2026, 3, 2, 14)},
        # Tue 10 March 16:00 New York: due Wednesday noon, called after the clocks were read
        {"lead_id": "called_tomorrow", "owner_id": "rep", "mql_at": ts(2026, 3, 10, 20),
         "first_contacted_at": ts(2026, 3, 11, 14)},
        {"lead_id": "sql", "owner_id": "rep", "sql_at": ts(2026, 3, 1), "converted_at": ts(2026, 3, 9)},
    ], lead_cols)
    opp_cols = ["opportunity_id", "account_id", "owner_id", "stage", "close_date", "type", "created_at", "source"]
    opportunities = frame([
        {"opportunity_id": "kicked_off_on_account", "account_id": "acme", "owner_id": "rep",
         "stage": "closed_won", "close_date": ts(2026, 3, 2), "type": "new_business"},
        {"opportunity_id": "no_history", "account_id": "globex", "owner_id": "rep",
         "stage": "closed_won", "close_date": ts(2026, 3, 1), "type": "new_business"},
        {"opportunity_id": "renewal", "account_id": "acme", "owner_id": "rep",
         "stage": "closed_won", "close_date": ts(2026, 3, 2), "type": "renewal"},
        # an expansion signal's deal (Mon 10:00 New York): its owner touches the account on Wed
        {"opportunity_id": "signal", "account_id": "acme", "owner_id": "rep", "stage": "discovery",
         "type": "expansion", "source": "expansion_signal", "created_at": ts(2026, 3, 2, 15)},
        {"opportunity_id": "untouched", "account_id": "globex", "owner_id": "rep", "stage": "discovery",
         "type": "expansion", "source": "expansion_signal", "created_at": ts(2026, 3, 2, 15)},
    ], opp_cols)
    history = frame([
        {"opportunity_id": "kicked_off_on_account", "stage": "negotiation", "changed_at": ts(2026, 2, 20)},
        {"opportunity_id": "kicked_off_on_account", "stage": "closed_won", "changed_at": ts(2026, 3, 2, 16)},
        {"opportunity_id": "renewal", "stage": "closed_won", "changed_at": ts(2026, 3, 2, 16)},
    ], ["opportunity_id", "stage", "changed_at"])
    activities = frame([
        # a kickoff before the win does not stop the clock; the one on the account after it does
        {"type": "meeting", "subject": "Kick-off", "opportunity_id": "kicked_off_on_account",
         "account_id": "acme", "occurred_at": ts(2026, 3, 1)},
        {"type": "Meeting", "subject": "Implementation KICK OFF", "opportunity_id": None,
         "account_id": "acme", "occurred_at": ts(2026, 3, 4)},
        {"type": "call", "subject": "kickoff", "opportunity_id": "no_history", "account_id": None,
         "occurred_at": ts(2026, 3, 2)},
        {"type": "meeting", "subject": "Demo", "opportunity_id": None, "account_id": None,
         "occurred_at": ts(2026, 3, 2)},
        # by the owner on the signal's account, after it was created: the first touch (so are the
        # two kickoff meetings on acme, logged by nobody: no owner, no touch)
        {"type": "email", "subject": "Seats", "opportunity_id": None, "account_id": "acme", "owner_id": "rep",
         "occurred_at": ts(2026, 3, 4, 14)},
        # by someone else on globex: not the owner's touch
        {"type": "call", "subject": "Hello", "opportunity_id": None, "account_id": "globex", "owner_id": "sdr",
         "occurred_at": ts(2026, 3, 3)},
    ], list(pm.TABLE_COLUMNS["activities"]))
    users = pd.DataFrame({"user_id": ["rep", "sdr"], "segment": ["smb", None], "region": ["NA", "NA"]})
    return {"leads": leads, "opportunities": opportunities, "opportunity_history": history,
            "activities": activities, "users": users}


def clocks() -> pd.DataFrame:
    return pm.sla_clocks(gtm(), load_model(None), TODAY).set_index("record_id")


def test_business_hour_deadlines_follow_the_company_clock():
    c = clocks()
    assert c.loc["in_time", "due_at"] == ts(2026, 3, 9, 15)
    assert (c.loc["in_time", "state"], c.loc["a_second_late", "state"]) == ("met", "breached")
    assert c.loc["in_time", "elapsed_minutes"] == 240  # Fri 15:00-17:00 and Mon 09:00-11:00
    late = c.loc["after_closing"]
    assert (late.due_at, late.state, late.elapsed_minutes) == (ts(2026, 3, 5, 22), "breached", 240)


def test_a_stop_before_the_start_met_and_later_stops_are_not_seen():
    c = clocks()
    early = c.loc["called_before_mql"]
    assert (early.state, early.elapsed_minutes) == ("met", 0)
    assert c.loc["called_tomorrow", "state"] == "due" and pd.isna(c.loc["called_tomorrow", "stopped_at"])
    assert c.loc["never_called", "state"] == "breached" and pd.isna(c.loc["never_called", "stopped_at"])
    assert c.loc["sql", "state"] == "met" and c.loc["sql", "elapsed_minutes"] == 8 * 1440


def test_kickoff_counts_from_the_first_win_on_the_deal_or_its_account():
    c = clocks()
    assert "renewal" not in c.index  # the SLA's filter: new business only
    won = c.loc["kicked_off_on_account"]
    assert (won.started_at, won.stopped_at, won.state) == (ts(2026, 3, 2, 16), ts(2026, 3, 4), "met")
    # won with no history row: from its close date; a call is no kickoff meeting
    unwon = c.loc["no_history"]
    assert (unwon.started_at, unwon.state) == (ts(2026, 3, 1), "breached") and pd.isna(unwon.stopped_at)


def test_metrics_by_sla_and_owner():
    model = load_model(None)
    out = pm.sla_metrics(gtm(), model, TODAY, ("sla", "segment", "region"))

    def value(metric: str, sla: str, segment: str | None = "smb") -> float:
        f = out[metric]
        f = f[(f.sla == sla) & (f.segment.isna() if segment is None else f.segment == segment)]
        assert len(f) == 1 and set(f.period) == {"2026-Q1"}
        return float(f.value.iloc[0])

    first = "mql_to_first_contact"
    assert value("sla_attainment_rate", first) == 2 / 4  # in_time, called_before_mql of 4 decided
    assert value("sla_breaches", first) == 2 and value("sla_open_breaches", first, None) == 1
    assert value("sla_median_minutes", first) == 240  # 0, 240, 240, 240 + 1 s
    assert value("sla_attainment_rate", "closed_won_to_kickoff") == 1 / 2


def test_an_expansion_signal_is_touched_by_its_owner_within_two_business_days():
    c = clocks()
    touched, untouched = c.loc["signal"], c.loc["untouched"]
    # Mon 2 Mar 10:00 New York + 2 business days (9-17) = Wed 4 Mar 10:00 New York = 15:00 UTC
    assert (touched.due_at, touched.stopped_at, touched.state) == (ts(2026, 3, 4, 15), ts(2026, 3, 4, 14), "met")
    assert untouched.state == "breached" and pd.isna(untouched.stopped_at)
