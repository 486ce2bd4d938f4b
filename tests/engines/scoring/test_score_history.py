"""Score history: each scoring's scores are kept, so a lead's score over time can be explained.

Only the leads whose score parts changed get a row: scoring a million leads again the same
day adds nothing for the ones that did not move. With the default model a 5,000-employee VP in
the US at a software company has fit 40; a pricing-page visit today adds intent 10, which halves
every 14 days.
"""

from __future__ import annotations

from datetime import timedelta

from revops.engines.scoring.combined import save_scores, score_history, score_leads
from revops.model import load_model
from tests.engines.scoring.lead_world import NOW, days_before, lead_store, touch


def score(store, model, at):
    with store.transaction():
        return save_scores(store, score_leads(store, model, at))


def test_each_scoring_appends_the_leads_whose_score_changed(tmp_path):
    model = load_model(None)
    store = lead_store(tmp_path, leads=[
        {"lead_id": "vp", "status": "new", "company_size": 5000, "title": "VP Sales", "country": "US",
         "industry": "software", "created_at": days_before(3)},
        {"lead_id": "dev", "status": "new", "company_size": 40, "title": "Developer", "country": "DE",
         "created_at": days_before(3)},
    ], touches=[touch("vp", "pricing_page_visit", days_ago=0)])

    assert score(store, model, NOW) == 2  # first scoring: every lead is new to the history
    assert score_history(store, "vp") == [
        {"scored_at": NOW, "score": 50.0, "fit": 40.0, "intent": 10.0, "engagement": 0.0,
         "predicted_conversion": None, "model_version": None, "model_hash": model.hash(), "source": "score"}]
    assert [r["score"] for r in score_history(store, "dev")] == [0.0]

    assert score(store, model, NOW) == 0  # the same moment again: nothing moved, nothing appended
    assert store.query("SELECT count(*) AS n FROM _score_history") == [{"n": 2}]

    later = NOW + timedelta(days=14)  # the visit is worth half: only vp moved
    assert score(store, model, later) == 1
    history = score_history(store, "vp")
    assert [(r["scored_at"], r["score"], r["intent"]) for r in history] == [(NOW, 50.0, 10.0), (later, 45.0, 5.0)]
    assert len(score_history(store, "dev")) == 1
    store.close()


def test_a_rolled_back_scoring_keeps_no_history(tmp_path):
    model = load_model(None)
    store = lead_store(tmp_path, leads=[{"lead_id": "l1", "status": "new", "company_size": 500,
                                         "created_at": days_before(1)}])
    store.con.execute("BEGIN TRANSACTION")
    save_scores(store, score_leads(store, model, NOW))
    store.con.execute("ROLLBACK")  # what `revops score --dry-run` does
    assert score_history(store, "l1") == []
    store.close()
