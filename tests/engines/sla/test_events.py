"""The named events SLAs start and stop on, read from history and activities."""

from __future__ import annotations

from revops.engines.sla import events
from revops.model import load_model
from revops.model.events import NAMED_EVENTS
from tests.engines.sla.conftest import T, by_record, clock_rows, model_with, sla

MODEL = load_model(None)


def occurrences(store, ref: str) -> list[tuple[str, object]]:
    rows = events.event_rows(ref, store.ibis.table, MODEL).rows
    frame = store.ibis.execute(rows.order_by(["record_id", "at"]))
    return [(r.record_id, r.at.to_pydatetime()) for r in frame.itertuples()]


def history(opp: str, *moves: tuple[object, str]) -> list[dict]:
    return [{"history_id": f"{opp}_{i}", "opportunity_id": opp, "changed_at": at, "stage": stage}
            for i, (at, stage) in enumerate(moves)]


def test_every_named_event_of_the_model_has_a_relation():
    assert set(events._NAMED) == set(NAMED_EVENTS)


def test_closed_won_is_the_first_entry_into_a_won_stage(crm):
    store = crm(
        opportunities=[{"opportunity_id": "reopened", "stage": "closed_won"},
                       {"opportunity_id": "imported_won", "stage": "closed_won", "close_date": T(2026, 1, 15).date()},
                       {"opportunity_id": "lost", "stage": "closed_lost"},
                       {"opportunity_id": "open", "stage": "proposal"}],
        opportunity_history=[
            *history("reopened", (T(2026, 1, 1), "discovery"), (T(2026, 1, 10), "closed_won"),
                     (T(2026, 1, 12), "negotiation"), (T(2026, 1, 20), "closed_won")),
            *history("lost", (T(2026, 1, 1), "discovery"), (T(2026, 1, 5), "closed_lost")),
            *history("open", (T(2026, 1, 1), "discovery"), (T(2026, 1, 6), "proposal")),
        ])
    # a deal won today that history does not show winning (no history imported) counts from
    # its close date
    assert occurrences(store, "opportunity.closed_won") == [("imported_won", T(2026, 1, 15)),
                                                           ("reopened", T(2026, 1, 10))]
    assert occurrences(store, "opportunity.closed_lost") == [("lost", T(2026, 1, 5))]
    assert occurrences(store, "opportunity.created") == []  # no created_at given


def test_a_stage_change_is_every_move_to_another_stage(crm):
    store = crm(opportunity_history=history(
        "o1", (T(2026, 1, 1), "discovery"), (T(2026, 1, 3), "discovery"), (T(2026, 1, 6), "proposal"),
        (T(2026, 1, 9), "negotiation")))
    assert occurrences(store, "opportunity.stage_changed") == [("o1", T(2026, 1, 6)), ("o1", T(2026, 1, 9))]


def test_kickoff_held_is_the_first_kickoff_meeting_after_the_win(crm):
    def meeting(i, at, subject, kind="meeting", account=None, opportunity=None):
        return {"activity_id": f"a{i}", "occurred_at": at, "type": kind, "subject": subject,
                "account_id": account, "opportunity_id": opportunity}

    store = crm(
        opportunities=[{"opportunity_id": "won_acme", "account_id": "acme", "stage": "closed_won"},
                       {"opportunity_id": "won_globex", "account_id": "globex", "stage": "closed_won"},
                       {"opportunity_id": "won_no_kickoff", "account_id": "initech", "stage": "closed_won"}],
        opportunity_history=[*history("won_acme", (T(2026, 1, 10), "closed_won")),
                             *history("won_globex", (T(2026, 1, 10), "closed_won")),
                             *history("won_no_kickoff", (T(2026, 1, 10), "closed_won"))],
        activities=[
            meeting(1, T(2026, 1, 8), "Kickoff prep", account="acme"),             # before the win
            meeting(2, T(2026, 1, 11), "Kickoff agenda", kind="email", account="acme"),  # an e-mail
            meeting(3, T(2026, 1, 12), "Onsite meeting", account="acme"),          # no kickoff
            meeting(4, T(2026, 1, 14), "Implementation Kick-off", account="acme"),  # this one
            meeting(5, T(2026, 1, 20), "Kickoff, part 2", account="acme"),
            meeting(6, T(2026, 1, 11), "KICKOFF", opportunity="won_globex"),       # on the deal itself
            meeting(7, T(2026, 1, 12), "Demo", account="initech"),
        ])
    assert occurrences(store, "opportunity.kickoff_held") == [("won_acme", T(2026, 1, 14)),
                                                             ("won_globex", T(2026, 1, 11))]


def test_closed_won_to_kickoff_clock_from_history_and_activities(crm):
    kickoff = sla("closed_won_to_kickoff", "opportunity.closed_won", "opportunity.kickoff_held", 5, "days",
                  owner_team="cs_ops", filter="type = 'new_business'")
    store = crm(
        opportunities=[
            {"opportunity_id": "on_time", "account_id": "a1", "stage": "closed_won", "type": "new_business", "owner_id": "ae1"},
            {"opportunity_id": "late", "account_id": "a2", "stage": "closed_won", "type": "new_business", "owner_id": "ae2"},
            {"opportunity_id": "renewal", "account_id": "a1", "stage": "closed_won", "type": "renewal", "owner_id": "csm1"}],
        opportunity_history=[*history("on_time", (T(2026, 1, 5, 16), "closed_won")),
                             *history("late", (T(2026, 1, 5, 16), "closed_won")),
                             *history("renewal", (T(2026, 1, 6), "closed_won"))],
        activities=[{"activity_id": "k1", "occurred_at": T(2026, 1, 8, 10), "type": "meeting",
                     "subject": "Implementation kickoff", "account_id": "a1"},
                    {"activity_id": "k2", "occurred_at": T(2026, 1, 12, 10), "type": "meeting",
                     "subject": "Implementation kickoff", "account_id": "a2"}])
    rows = by_record(clock_rows(store, model_with(kickoff), at=T(2026, 1, 31)))
    assert set(rows) == {"on_time", "late"}  # renewals need no kickoff (the SLA's filter)
    assert (rows["on_time"]["state"], rows["on_time"]["due_at"]) == ("met", T(2026, 1, 10, 16))
    assert (rows["late"]["state"], rows["late"]["stopped_at"]) == ("breached", T(2026, 1, 12, 10))
    # the deal's owner is the AE; the team held to the promise is customer success
    assert (rows["late"]["owner_id"], rows["late"]["owner_team"]) == ("ae2", "cs_ops")


def test_first_activity_is_the_earliest_activity_on_the_lead(crm):
    store = crm(activities=[
        {"activity_id": "a1", "occurred_at": T(2026, 1, 3), "lead_id": "l1"},
        {"activity_id": "a2", "occurred_at": T(2026, 1, 2), "lead_id": "l1"},
        {"activity_id": "a3", "occurred_at": T(2026, 1, 1), "account_id": "x"}])
    assert occurrences(store, "lead.first_activity") == [("l1", T(2026, 1, 2))]


def test_a_date_field_counts_from_its_midnight(crm):
    store = crm(opportunities=[{"opportunity_id": "o1", "close_date": T(2026, 1, 15).date()}])
    assert occurrences(store, "opportunity.close_date") == [("o1", T(2026, 1, 15))]
