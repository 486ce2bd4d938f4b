"""Routing against the store: which leads are routed, what is written, and how caps, rotations
and open-lead counts carry over from one run (or process) to the next."""

from __future__ import annotations

import json
from datetime import timedelta

from revops.engines.routing.audit import record
from revops.engines.routing.batch import route_stored
from revops.engines.routing.router import Router
from tests.engines.routing.conftest import (
    ORG_TEAMS, ORG_TERRITORIES, ORG_USERS, TUESDAY_11AM_NY, lead, pool_model, user,
)

AT = TUESDAY_11AM_NY


def stored_lead(lead_id, score, size, country="US", **extra):
    return {**lead(lead_id, score, size, country), "created_at": AT - timedelta(hours=1), "status": "new", **extra}


def owners(store) -> dict[str, tuple]:
    return {r["lead_id"]: (r["owner_id"], r["assigned_at"]) for r in
            store.query("SELECT lead_id, owner_id, assigned_at FROM leads ORDER BY lead_id")}


def test_only_new_and_mql_leads_without_owner_are_routed_and_the_owner_is_stored(gtm, model):
    store = gtm(users=ORG_USERS, teams=ORG_TEAMS, territories=ORG_TERRITORIES, leads=[
        stored_lead("hot", 85, 5000),
        stored_lead("owned", 85, 5000, owner_id="smb_chi"),
        stored_lead("disqualified", 85, 5000, disqualified_at=AT - timedelta(minutes=5)),
        stored_lead("converted", 85, 5000, status="opportunity", converted=True),
        stored_lead("mql", 50, 100, status="mql"),
    ])
    run = route_stored(store, model, AT)
    assert sorted(d.lead_id for d in run.decisions) == ["hot", "mql"]
    assert owners(store)["hot"] == ("ent_na", AT)
    assert owners(store)["mql"] == ("smb_chi", AT)  # pools list reps by user_id
    assert owners(store)["owned"] == ("smb_chi", None)
    assert owners(store)["disqualified"] == (None, None)


def test_every_decision_is_audited_with_path_values_tested_and_candidates(gtm, model):
    users = [u if u["user_id"] != "smb_ny" else {**u, "out_of_office": True} for u in ORG_USERS]
    store = gtm(users=users, teams=ORG_TEAMS, territories=ORG_TERRITORIES, leads=[stored_lead("L1", 50, 100)])
    route_stored(store, model, AT)
    [row] = store.query("SELECT * FROM _routing_decisions")
    assert (row["lead_id"], row["trigger"], row["decided_at"]) == ("L1", "route", AT)
    assert (row["previous_owner"], row["assigned_to"], row["assigned_kind"], row["team"]) == \
        (None, "smb_chi", "user", "NA Smb")
    assert row["model_hash"] == model.hash()
    assert json.loads(row["path"]) == ["new_lead", "high_score", "mid_score", "low_score", "smb"]
    steps = json.loads(row["steps"])
    assert steps[0]["tested"] == {"score": 50, "company_size": 100}
    assert steps[-1]["candidates"] == [
        {"user_id": "smb_chi", "outcome": "chosen", "why": "next in rotation"},
        {"user_id": "smb_ny", "outcome": "skipped", "why": "out of office"}]
    assert row["reason"].endswith("round robin of 2: smb_chi (Smb Chi)")


def test_a_nurtured_lead_waits_until_it_becomes_an_mql_after_being_nurtured(gtm, model):
    store = gtm(users=ORG_USERS, leads=[stored_lead("cold", 20, 100)])
    route_stored(store, model, AT)
    assert owners(store)["cold"] == (None, AT)  # nurture owns nobody, but the lead was placed
    assert route_stored(store, model, AT + timedelta(hours=1)).decisions == []
    store.con.execute("UPDATE leads SET status = 'mql', score = 55, mql_at = ? WHERE lead_id = 'cold'",
                      [AT + timedelta(hours=2)])
    run = route_stored(store, model, AT + timedelta(hours=3))
    assert [(d.lead_id, d.assigned_to) for d in run.decisions] == [("cold", "smb_chi")]


def test_caps_and_rotation_carry_over_to_the_next_run(gtm, model):
    capped = pool_model(model, cap_per_day=1)
    store = gtm(users=[user("rep_a"), user("rep_b")],
                leads=[stored_lead(f"L{i}", 50, 100) for i in range(3)])
    first = route_stored(store, capped, AT)
    assert [d.assigned_to for d in first.decisions] == ["rep_a", "rep_b", "triage"]
    store.append("leads", _rows([stored_lead("L9", 50, 100)]))
    later = route_stored(store, capped, AT + timedelta(hours=2))  # a new process: state from the store
    assert [d.assigned_to for d in later.decisions] == ["triage"]
    store.append("leads", _rows([stored_lead("L10", 50, 100, created_at=AT + timedelta(days=1))]))
    assert [d.assigned_to for d in route_stored(store, capped, AT + timedelta(days=1)).decisions] == ["rep_a"]


def test_a_new_router_continues_the_rotation_where_the_last_one_stopped(gtm, model):
    store = gtm(users=[user("rep_a"), user("rep_b"), user("rep_c")], leads=[stored_lead("L1", 50, 100)])
    assert route_stored(store, pool_model(model), AT).decisions[0].assigned_to == "rep_a"
    router = Router.from_store(store, pool_model(model), AT + timedelta(minutes=5))
    nxt = [router.route(lead(f"N{i}", 50, 100), AT + timedelta(minutes=5)).assigned_to for i in range(3)]
    assert nxt == ["rep_b", "rep_c", "rep_a"]


def test_open_leads_count_only_leads_still_in_the_reps_hands(gtm, model):
    recent = [stored_lead(f"o{i}", 10, 10, owner_id="rep_a", created_at=AT - timedelta(days=3)) for i in range(50)]
    stale = [stored_lead(f"s{i}", 10, 10, owner_id="rep_b", created_at=AT - timedelta(days=200)) for i in range(60)]
    closed = [stored_lead(f"c{i}", 10, 10, owner_id="rep_b", status="disqualified",
                          disqualified_at=AT - timedelta(days=1)) for i in range(60)]
    store = gtm(users=[user("rep_a"), user("rep_b")], leads=recent + stale + closed)
    router = Router.from_store(store, pool_model(model), AT)
    assert (router.state.reps["rep_a"].open_leads, router.state.reps["rep_b"].open_leads) == (50, 0)
    d = router.route(lead("new", 50, 100), AT)
    assert d.assigned_to == "rep_b"  # rep_a holds the maximum of 50


def test_a_lead_assigned_by_someone_else_meanwhile_is_not_overwritten(gtm, model):
    store = gtm(users=[user("rep_a"), user("rep_b")], leads=[stored_lead("L1", 50, 100)])
    router = Router.from_store(store, pool_model(model), AT)
    d = router.route(store.query("SELECT * FROM leads")[0], AT)
    store.con.execute("UPDATE leads SET owner_id = 'rep_b' WHERE lead_id = 'L1'")  # a human was faster
    result = record(store, [d])
    assert (result.stored, result.conflicts) == ([], [d])
    assert owners(store)["L1"][0] == "rep_b"
    assert store.query("SELECT count(*) AS n FROM _routing_decisions")[0]["n"] == 0
    router.release(d)
    assert router.state.reps["rep_a"].open_leads == 0
    assert router.route(lead("L2", 50, 100), AT).assigned_to == "rep_a"  # the turn was given back


def _rows(rows):
    from tests.gtm import rows_table

    return rows_table("leads", rows)


def test_a_qualified_lead_is_handed_from_the_sdr_to_a_mid_market_ae(gtm, model):
    from revops.engines.routing.batch import route_handoffs

    store = gtm(users=ORG_USERS, leads=[stored_lead("mm", 70, 500)])
    assert route_stored(store, model, AT).decisions[0].assigned_to == "sdr_na"
    assert route_handoffs(store, model, AT + timedelta(hours=1)).decisions == []  # not qualified yet
    store.con.execute("UPDATE leads SET status = 'sql', sql_at = ? WHERE lead_id = 'mm'", [AT + timedelta(hours=2)])
    [d] = route_handoffs(store, model, AT + timedelta(hours=3)).decisions
    assert (d.trigger, d.previous_owner, d.assigned_to, d.path) == ("handoff", "sdr_na", "mm_ae_na", ["mid_market_ae"])
    assert owners(store)["mm"][0] == "mm_ae_na"
    assert route_handoffs(store, model, AT + timedelta(hours=4)).decisions == []  # handed on once


def test_leads_of_a_file_without_a_score_are_scored_by_the_models_rules_first(model):
    from revops.engines.routing.batch import fill_missing_scores

    leads = [{"lead_id": "f1", "company_size": 5000, "country": "US"}, {"lead_id": "f2", "score": 77}]
    assert fill_missing_scores(model, leads, AT) == 1
    assert leads[0]["score"] is not None and leads[0]["fit_score"] > 0  # a large company earns fit points
    assert leads[1]["score"] == 77  # a lead that brings its score keeps it
