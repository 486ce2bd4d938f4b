"""Replay: the same past leads through the current and a proposed model, side by side."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from revops.engines.routing.replay import gini, replay
from tests.engines.routing.conftest import model_with, user

MONDAY = datetime(2026, 5, 11)


def history(owner: str, contacted: bool, n: int = 10) -> list[dict]:
    """MQLs of April: contacted within the hour, or never."""
    start = datetime(2026, 4, 14, 14, 0)
    return [{"lead_id": f"h_{owner}_{i}", "owner_id": owner, "status": "mql", "created_at": start, "mql_at": start,
             "first_contacted_at": start + timedelta(hours=1) if contacted else None} for i in range(n)]


@pytest.fixture
def past(gtm):
    smb = [{"lead_id": f"smb{i}", "score": 50, "company_size": 100, "country": "US",
            "created_at": MONDAY + timedelta(hours=13, minutes=30 * i)} for i in range(8)]
    cold = [{"lead_id": f"cold{i}", "score": 10, "company_size": 100, "country": "US",
             "created_at": MONDAY + timedelta(hours=18, minutes=i)} for i in range(2)]
    mid = [{"lead_id": "mid", "score": 70, "company_size": 500, "country": "US", "created_at": MONDAY + timedelta(hours=19)}]
    users = [user("rep_a", team="NA Smb"), user("rep_b", team="NA Smb"),
             user("sdr_na", role="sdr", segment=None, timezone="America/Chicago", team="SDR NA")]
    return gtm(users=users, leads=smb + cold + mid + history("rep_a", True) + history("rep_b", False))


def test_gini_is_zero_for_equal_loads_and_grows_with_inequality():
    assert gini([4, 4]) == 0
    assert gini([2, 6]) == pytest.approx(0.25)
    assert gini([0, 0, 9]) == pytest.approx(2 / 3)
    assert gini([]) is None


def test_replay_reports_load_sla_and_fairness_for_both_models_side_by_side(past, model):
    smb = next(n for n in model.model_dump(by_alias=True)["routing"]["nodes"] if n["key"] == "smb")
    nodes = [n if n["key"] != "smb" else {**smb, "weights": {"rep_a": 3}}
             for n in model.model_dump(mode="json", by_alias=True)["routing"]["nodes"]]
    proposed = model_with(model, nodes=nodes)
    report = replay(past, model, proposed, date(2026, 5, 11), date(2026, 5, 12))
    assert report["leads"] == 11
    summary = {r["measure"]: r for r in report["summary"]}
    assert (summary["leads to reps"]["current"], summary["leads to reps"]["proposed"]) == (9, 9)
    assert summary["leads to nurture"]["current"] == 2
    reps = {r["user_id"]: r for r in report["reps"]}
    # Equal turns today: a, b, a, b …; with rep_a weighted 3: a, b, a, a, b, a, a, a.
    assert (reps["rep_a"]["current"], reps["rep_b"]["current"]) == (4, 4)
    assert (reps["rep_a"]["proposed"], reps["rep_b"]["proposed"]) == (6, 2)
    assert reps["rep_a"]["proposed_share"] == pytest.approx(6 / 9, abs=1e-4)
    assert reps["sdr_na"]["current"] == 1
    assert report["changed_assignments"] == 4
    teams = {r["team"]: r for r in report["teams"]}
    assert (teams["NA Smb"]["current"], teams["SDR NA"]["proposed"]) == (8, 1)
    # rep_a contacted every past MQL within the SLA, rep_b none; sdr_na has no history (company: 10/20).
    assert summary["SLA attainment (estimated)"]["current"] == pytest.approx((4 * 1 + 0.5) / 9, abs=1e-4)
    assert summary["SLA attainment (estimated)"]["proposed"] == pytest.approx((6 * 1 + 0.5) / 9, abs=1e-4)
    fairness = {r["node"]: r for r in report["fairness"]}
    assert (fairness["smb"]["current_gini"], fairness["smb"]["proposed_gini"]) == (0.0, 0.25)
    assert (fairness["smb"]["current_max_min"], fairness["smb"]["proposed_max_min"]) == (1.0, 3.0)


def test_replay_writes_nothing(past, model):
    before = past.query("SELECT lead_id, owner_id, assigned_at FROM leads ORDER BY lead_id")
    replay(past, model, model, date(2026, 5, 11), date(2026, 5, 12))
    assert past.query("SELECT lead_id, owner_id, assigned_at FROM leads ORDER BY lead_id") == before
    assert past.query("SELECT count(*) AS n FROM _routing_decisions")[0]["n"] == 0


def test_a_reps_sla_chance_counts_the_leads_the_fallback_took_from_them(gtm, model):
    """rep_a was given 20 leads on Tuesday 14 April at 10:00 New York (due 14:00): called 10 of
    them within the hour; the fallback took the other 10 to the manager at 14:00, who called
    them at once. The leads rep_a still owns were all called in time; the decisions show half."""
    from revops.engines.routing.audit import AUDIT_COLUMNS
    from revops.engines.routing.replay import response_rates
    import pyarrow as pa

    given = datetime(2026, 4, 14, 14, 0)  # 10:00 New York
    due = datetime(2026, 4, 14, 18, 0)
    leads, decisions = [], []
    for i in range(20):
        late = i >= 10
        leads.append({"lead_id": f"l{i}", "owner_id": "mgr_na" if late else "rep_a", "status": "mql",
                      "created_at": given, "mql_at": given, "assigned_at": due if late else given,
                      "first_contacted_at": due + timedelta(minutes=5) if late else given + timedelta(hours=1)})
        decisions.append({"decision_id": f"d{i}", "lead_id": f"l{i}", "decided_at": given, "trigger": "route",
                          "assigned_to": "rep_a", "assigned_kind": "user"})
        if late:
            decisions.append({"decision_id": f"f{i}", "lead_id": f"l{i}", "decided_at": due, "trigger": "fallback",
                              "assigned_to": "mgr_na", "assigned_kind": "user", "previous_owner": "rep_a"})
    store = gtm(users=[user("rep_a", team="NA Smb"), user("mgr_na", role="manager", segment=None)], leads=leads)
    assert response_rates(store, model) != ({}, 0.0)
    store.append("_routing_decisions", pa.table({c: pa.array([d.get(c) for d in decisions],
                                                             pa.timestamp("us") if c == "decided_at" else pa.string())
                                                 for c in AUDIT_COLUMNS}))
    chances, company = response_rates(store, model)
    assert chances == {"rep_a": pytest.approx(0.5), "mgr_na": pytest.approx(1.0)}
    assert company == pytest.approx(20 / 30)
