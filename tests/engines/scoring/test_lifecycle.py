"""Lifecycle transitions driven by the score and each stage's entry criteria: New -> MQL at the
threshold, onward to SQL, SAL, opportunity and customer as their criteria are met, never
backward except by recycling, every move recorded with its time and reason, and a second run
with the same data recording nothing.

The tests use a scoring model where company size alone gives the score: 1,000+ employees
85 (hot), 200-999 65 (warm, an MQL at 60), 50-199 45, smaller 0; recycle_after_days is 90.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from revops.engines.scoring.combined import save_scores, score_leads
from revops.engines.scoring.lifecycle import advance_lifecycle, lead_history
from tests.engines.scoring.lead_world import NOW, days_before, lead_store, size_points_model, touch


@pytest.fixture
def model(tmp_path):
    return size_points_model(tmp_path)


def run(store, model, now=NOW):
    """`revops score` on the store: score, save, move through the lifecycle."""
    with store.transaction():
        save_scores(store, score_leads(store, model, now))
        return advance_lifecycle(store, model, now)


def leads(store) -> dict[str, dict]:
    return {r["lead_id"]: r for r in store.query("SELECT * FROM leads")}


def events(store) -> list[tuple]:
    return [(e["lead_id"], e["from_stage"], e["to_stage"]) for e in
            store.query("SELECT * FROM _lifecycle_events ORDER BY changed_at, lead_id")]


def test_a_new_lead_reaching_the_threshold_becomes_an_mql(tmp_path, model):
    store = lead_store(tmp_path, leads=[
        {"lead_id": "warm", "status": "new", "company_size": 500, "created_at": days_before(2)},
        {"lead_id": "cool", "status": "new", "company_size": 100, "created_at": days_before(2)},
    ])
    moves = run(store, model)
    assert moves.counts == {("new", "mql"): 1}
    after = leads(store)
    assert (after["warm"]["status"], after["warm"]["mql_at"]) == ("mql", NOW)
    assert (after["cool"]["status"], after["cool"]["mql_at"]) == ("new", None)
    [event] = lead_history(store, "warm")
    assert (event["from_stage"], event["to_stage"], event["changed_at"]) == ("new", "mql", NOW)
    assert event["reason"] == "score 65.0 meets the entry criteria of MQL: score >= 60"
    assert event["source"] == "revops score"


def test_leads_move_onward_by_each_stage_criteria(tmp_path, model):
    store = lead_store(tmp_path, leads=[
        {"lead_id": "qualified", "status": "mql", "company_size": 500, "mql_at": days_before(5), "sql_at": days_before(1)},
        {"lead_id": "accepted", "status": "mql", "company_size": 500, "mql_at": days_before(5),
         "sql_at": days_before(3), "sal_at": days_before(1)},
        {"lead_id": "won", "status": "sql", "company_size": 10, "sql_at": days_before(40), "converted": True,
         "converted_opportunity_id": "o1"},
        {"lead_id": "in_pipeline", "status": "sal", "company_size": 10, "sal_at": days_before(20), "converted": True,
         "converted_opportunity_id": "o2"},
    ], opportunities=[{"opportunity_id": "o1", "stage": "closed_won"}, {"opportunity_id": "o2", "stage": "proposal"}])
    run(store, model)
    after = leads(store)
    assert {k: v["status"] for k, v in after.items()} == {
        "qualified": "sql", "accepted": "sal", "won": "customer", "in_pipeline": "opportunity"}
    reasons = {e["lead_id"]: e["reason"] for e in store.query("SELECT * FROM _lifecycle_events")}
    assert reasons["won"] == "meets the entry criteria of Customer: opportunity_won"
    assert after["accepted"]["sal_at"] == days_before(1)  # the CRM's own time is kept


def test_a_lead_never_moves_backward(tmp_path, model):
    # an SAL whose score fell (small company) and whose timestamps are missing stays an SAL
    store = lead_store(tmp_path, leads=[
        {"lead_id": "sal", "status": "sal", "company_size": 5, "created_at": days_before(10)},
        {"lead_id": "customer", "status": "customer", "company_size": 5, "created_at": days_before(10),
         "disqualified_at": days_before(1)},
    ], touches=[touch("sal", "web_visit", days_ago=1)])
    moves = run(store, model)
    assert moves.counts == {}
    assert {k: v["status"] for k, v in leads(store).items()} == {"sal": "sal", "customer": "customer"}


def test_a_disqualified_lead_goes_back_to_nurture_after_recycle_after_days(tmp_path, model):
    store = lead_store(tmp_path, leads=[
        {"lead_id": "long_ago", "status": "disqualified", "company_size": 500, "disqualified_at": days_before(91)},
        {"lead_id": "recent", "status": "disqualified", "company_size": 500, "disqualified_at": days_before(89)},
        {"lead_id": "just_now", "status": "mql", "company_size": 500, "mql_at": days_before(3),
         "disqualified_at": days_before(1)},
    ])
    moves = run(store, model)
    assert moves.counts == {("disqualified", "recycled"): 1, ("mql", "disqualified"): 1}
    after = leads(store)
    assert (after["long_ago"]["status"], after["long_ago"]["recycled_at"]) == ("recycled", NOW)
    assert after["recent"]["status"] == "disqualified" and after["recent"]["recycled_at"] is None
    assert after["just_now"]["status"] == "disqualified"
    [event] = lead_history(store, "long_ago")
    assert event["reason"].startswith("disqualified ") and "91 days ago" in event["reason"]
    assert "recycle_after_days" in event["reason"]
    # two days later the lead disqualified 89 days ago follows; the one disqualified just now waits
    later = NOW + timedelta(days=2)
    assert run(store, model, later).counts == {("disqualified", "recycled"): 1}
    assert {k: v["status"] for k, v in leads(store).items()} == {
        "long_ago": "recycled", "recent": "recycled", "just_now": "disqualified"}


def test_a_qualified_lead_that_went_quiet_is_recycled(tmp_path, model):
    store = lead_store(tmp_path, leads=[
        {"lead_id": "quiet", "status": "mql", "company_size": 500, "converted": False, "created_at": days_before(200),
         "mql_at": days_before(120)},
        {"lead_id": "busy", "status": "mql", "company_size": 500, "converted": False, "created_at": days_before(200),
         "mql_at": days_before(120)},
    ], touches=[touch("quiet", "web_visit", days_ago=100), touch("busy", "web_visit", days_ago=10)])
    moves = run(store, model)
    assert moves.counts == {("mql", "recycled"): 1}
    [event] = lead_history(store, "quiet")
    assert event["reason"].startswith("no activity for 100 days: meets the entry criteria of Recycled")
    assert leads(store)["busy"]["status"] == "mql"


def test_a_recycled_lead_comes_back_only_when_interest_returns(tmp_path, model):
    store = lead_store(tmp_path, leads=[
        {"lead_id": "still_quiet", "status": "recycled", "company_size": 500, "converted": False,
         "mql_at": days_before(200), "sal_at": days_before(190), "recycled_at": days_before(30)},
        {"lead_id": "back", "status": "recycled", "company_size": 500, "converted": False,
         "mql_at": days_before(200), "sal_at": days_before(190), "recycled_at": days_before(30)},
    ], touches=[touch("still_quiet", "form_fill", days_ago=40), touch("back", "form_fill", days_ago=2)])
    moves = run(store, model)
    # back: activity after its recycling, and its score is an MQL's; its old SAL date does not count
    assert moves.counts == {("recycled", "mql"): 1}
    after = leads(store)
    assert (after["back"]["status"], after["back"]["mql_at"]) == ("mql", NOW)
    assert after["still_quiet"]["status"] == "recycled"


def test_a_lead_without_a_stage_enters_the_lifecycle(tmp_path, model):
    store = lead_store(tmp_path, leads=[{"lead_id": "l1", "company_size": 10}, {"lead_id": "l2", "company_size": 300}])
    run(store, model)
    assert events(store) == [("l1", None, "new"), ("l2", None, "mql")]


def test_running_twice_records_nothing_new(tmp_path, model):
    store = lead_store(tmp_path, leads=[
        {"lead_id": "a", "status": "new", "company_size": 500},
        {"lead_id": "b", "status": "disqualified", "company_size": 500, "disqualified_at": days_before(120)},
        {"lead_id": "c", "status": "sql", "company_size": 500, "converted": False, "sql_at": days_before(200),
         "sal_at": days_before(150)},
        {"lead_id": "d", "status": "recycled", "company_size": 5000, "recycled_at": days_before(10)},
    ], touches=[touch("d", "web_visit", days_ago=5)])
    first = run(store, model)
    # c reaches SAL on its CRM date, then, quiet for 150 days, is recycled in the same run
    assert first.counts == {("new", "mql"): 1, ("disqualified", "recycled"): 1, ("sql", "sal"): 1,
                            ("sal", "recycled"): 1, ("recycled", "mql"): 1}
    assert [e[1:] for e in events(store) if e[0] == "c"] == [("sql", "sal"), ("sal", "recycled")]
    recorded = store.query("SELECT count(*) AS n FROM _lifecycle_events")[0]["n"]
    before = leads(store)
    second = run(store, model)
    assert second.counts == {}
    assert store.query("SELECT count(*) AS n FROM _lifecycle_events")[0]["n"] == recorded == 5
    assert leads(store) == before


def test_criteria_may_read_any_scoring_group(tmp_path):
    from tests.engines.scoring.lead_world import model_with

    model = model_with(tmp_path, scoring={"mql_threshold": 50, "groups": [
        {"key": "product", "cap": 50, "rules": [{"key": "trial", "when": "source = 'free_trial'", "points": 50}]}]},
        lifecycle={"stages": [
            {"key": "new", "label": "New"},
            {"key": "mql", "label": "MQL", "entry_criteria": "product_score >= 50"},
            {"key": "sql", "label": "SQL", "entry_criteria": "sql_at is not null"},
            {"key": "sal", "label": "SAL", "entry_criteria": "sal_at is not null"},
            {"key": "opportunity", "label": "Opportunity", "entry_criteria": "converted_opportunity_id is not null"},
            {"key": "customer", "label": "Customer", "entry_criteria": "opportunity_won"},
            {"key": "recycled", "label": "Recycled", "entry_criteria": "days_since_last_activity >= 90",
             "recycle_after_days": 90},
            {"key": "disqualified", "label": "Disqualified", "entry_criteria": "disqualified_at is not null"}]})
    store = lead_store(tmp_path, leads=[{"lead_id": "trial", "status": "new", "source": "free_trial"},
                                        {"lead_id": "ad", "status": "new", "source": "paid_search"}])
    with store.transaction():
        moves = advance_lifecycle(store, model, NOW)
    assert moves.counts == {("new", "mql"): 1}
    assert leads(store)["trial"]["status"] == "mql"
