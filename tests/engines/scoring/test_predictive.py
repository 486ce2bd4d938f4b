"""Predictive lead scoring: a conversion model learnt from the leads whose outcome is known.

The demo company's conversions are driven by a hidden lead quality (``truth_leads``) that
comes from the channel, the company's fit and the person's seniority; a model that sees
only what is known when a lead arrives should recover much of it, give probabilities that
match the conversion rates it is tested on, and never see the outcome itself.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from revops.engines.scoring import versions
from revops.engines.scoring.features import EXCLUDED_FIELDS, event_counts, lead_features
from revops.engines.scoring.predictive import TrainingOptions, active_model, predict_conversion, train
from revops.engines.scoring.training import split_by_time
from revops.errors import TrainingError
from revops.store import Store
from tests.conftest import DEMO_TODAY

TODAY = DEMO_TODAY
OUTCOME_WORDS = ("convert", "status", "mql", "sql", "sal", "opportunit", "owner", "score", "disqualif",
                 "recycl", "assigned", "updated", "first_contacted")


@pytest.fixture
def demo(demo_files, tmp_path):
    """A fresh copy of the small demo store: tests that train write model versions into it."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_files["small"], path)
    s = Store(path)
    yield s
    s.close()


@pytest.fixture(scope="module")
def trained(demo_files, tmp_path_factory):
    """One model trained on the small demo, shared by the read-only tests."""
    path = tmp_path_factory.mktemp("trained") / "demo.duckdb"
    shutil.copy(demo_files["small"], path)
    s = Store(path)
    result = train(s)
    yield s, result
    s.close()


def test_the_model_ranks_converting_leads_above_the_others(trained):
    store, result = trained
    assert result.auc > 0.65  # chance is 0.5; the hidden quality itself scores ~0.77 on these leads
    lift = result.metrics["lift"]
    assert len(lift) == 10
    assert lift[0]["lift"] > 1.6  # the top tenth converts well above the average lead
    assert lift[0]["conversion_rate"] > lift[-1]["conversion_rate"]
    assert lift[-1]["captured"] == pytest.approx(1.0)


def test_predictions_follow_the_hidden_lead_quality(trained):
    store, _ = trained
    leads = store.con.execute("SELECT l.*, t.quality FROM leads l JOIN truth_leads t USING (lead_id)").df()
    out = predict_conversion(store, leads.drop(columns=["quality"]), factors=False)
    rank_corr = pd.Series(out["predicted_conversion"].to_numpy()).corr(leads["quality"], method="spearman")
    assert rank_corr > 0.45  # 0.60 on seed 42


def test_probabilities_are_calibrated_on_the_newest_leads(trained):
    _, result = trained
    m = result.metrics
    # on average the model predicts the conversion rate the test leads actually had …
    assert abs(m["mean_predicted"] - m["actual_rate"]) < 0.03
    # … and bin by bin (lead-weighted mean gap between predicted and actual)
    assert m["calibration_error"] < 0.04
    assert len(m["calibration"]) == 10
    assert sum(r["leads"] for r in m["calibration"]) == result.n_test
    # the calibrated model beats always predicting the training conversion rate
    assert m["brier"] < m["brier_baseline"]


def test_the_model_never_sees_the_outcome_or_who_the_lead_is(trained):
    _, result = trained
    for name in result.features:
        assert name not in EXCLUDED_FIELDS
        assert not any(word in name for word in OUTCOME_WORDS), name
    assert "lead_id" not in result.features and "email" not in result.features
    # a leak (converted_at, status …) would make the test set almost perfectly separable
    assert result.auc < 0.9


def test_custom_attributes_are_used_and_outcome_like_ones_kept_out(demo):
    con = demo.con
    con.execute("ALTER TABLE leads ADD COLUMN budget_band VARCHAR")
    con.execute("ALTER TABLE leads ADD COLUMN research_intensity DOUBLE")
    con.execute("ALTER TABLE leads ADD COLUMN deal_stage VARCHAR")  # written when the deal moves
    con.execute("ALTER TABLE leads ADD COLUMN demo_booked_at TIMESTAMP")
    con.execute("ALTER TABLE leads ADD COLUMN partner_tier VARCHAR")
    # a budget band that tracks the hidden quality, with missing values; the stage copies the outcome
    con.execute("""
        UPDATE leads SET
          budget_band = CASE WHEN hash(leads.lead_id) % 5 = 0 THEN NULL
                             WHEN t.quality > 0.6 THEN 'over_100k' WHEN t.quality > 0.35 THEN '25k_100k'
                             ELSE 'under_25k' END,
          research_intensity = CASE WHEN hash(leads.lead_id) % 4 = 0 THEN NULL ELSE round(t.quality * 10) END,
          deal_stage = CASE WHEN leads.converted THEN 'won' ELSE 'open' END,
          demo_booked_at = leads.converted_at,
          partner_tier = 'gold'
        FROM truth_leads t WHERE t.lead_id = leads.lead_id""")
    with pytest.raises(TrainingError, match="names no lead column or feature: no_such_thing"):
        train(demo, TrainingOptions(exclude=("no_such_thing",)))
    result = train(demo, TrainingOptions(exclude=("partner_tier", "created_hour")))
    assert "budget_band" in result.features
    assert "research_intensity" in result.features
    kept_out = {e["column"]: e["reason"] for e in result.metrics["excluded"]}
    assert "deal_stage" in kept_out and "outcome" in kept_out["deal_stage"]
    assert "demo_booked_at" in kept_out and "timestamp" in kept_out["demo_booked_at"]
    assert kept_out["partner_tier"] == kept_out["created_hour"] == "excluded with --exclude"
    assert "created_hour" not in result.features
    assert "deal_stage" not in result.features and "demo_booked_at" not in result.features
    shares = {i["feature"]: i["share"] for i in result.metrics["importance"]}
    assert shares.get("budget_band", 0) + shares.get("research_intensity", 0) > 0.15


def test_each_training_adds_a_version_and_the_newest_is_active(demo):
    first = train(demo)
    second = train(demo, TrainingOptions(seed=11))
    assert (first.version, second.version) == (1, 2)
    stored = versions.list_versions(demo)
    assert [(v.version, v.active) for v in stored] == [(1, False), (2, True)]
    assert stored[1].features == second.features and stored[1].n_train == second.n_train
    assert stored[1].metrics["auc"] == second.auc
    leads = demo.con.execute("SELECT * FROM leads LIMIT 3").df()
    assert predict_conversion(demo, leads).attrs["model_version"] == 2
    versions.activate(demo, 1)  # roll back
    assert [v.version for v in versions.list_versions(demo) if v.active] == [1]
    assert predict_conversion(demo, leads).attrs["model_version"] == 1
    with pytest.raises(TrainingError, match="no conversion model version 9"):
        versions.activate(demo, 9)


def test_too_little_history_is_refused_and_the_rules_carry_on(demo_files, tmp_path):
    path = tmp_path / "tiny.duckdb"
    shutil.copy(demo_files["tiny"], path)
    with Store(path) as tiny:
        with pytest.raises(TrainingError) as err:
            train(tiny)
        message = str(err.value)
        assert "too little history" in message
        assert "need 1,000" in message and "need 120" in message
        assert "scoring rules" in message
        assert tiny.con.execute("SELECT count(*) FROM _scoring_models").fetchall() == [(0,)]
        assert predict_conversion(tiny, tiny.con.execute("SELECT * FROM leads LIMIT 2").df()) is None


def test_conversions_are_counted_not_just_leads(store):
    """1,200 old leads with an outcome are enough leads, but 100 conversions are not."""
    start = datetime(2025, 1, 1)
    rows = pd.DataFrame({
        "lead_id": [f"l{i}" for i in range(1200)],
        "created_at": [start + timedelta(hours=6 * i) for i in range(1200)],
        "source": ["webinar", "paid_search"] * 600,
        "company_size": np.arange(1200) % 900 + 10,
        "converted": [i % 12 == 0 for i in range(1200)],
    })
    store.append("leads", rows)
    with pytest.raises(TrainingError, match=r"1,200 leads with a known outcome \(need 1,000\) and 100 conversions"):
        train(store, TrainingOptions(outcome_days=0))


def test_recent_leads_whose_outcome_is_open_are_left_out(trained):
    store, result = trained
    m = result.metrics
    newest = store.con.execute("SELECT max(created_at) FROM leads").fetchall()[0][0]
    settled = store.con.execute("SELECT count(*) FROM leads WHERE created_at <= ?",
                                [newest - timedelta(days=m["outcome_days"])]).fetchall()[0][0]
    assert m["open_outcomes_left_out"] > 0
    assert result.n_train + result.n_test == settled
    assert m["split"]["test_to"] <= (newest - timedelta(days=m["outcome_days"])).isoformat()


def test_validation_tests_on_leads_newer_than_every_training_lead(trained):
    _, result = trained
    split = result.metrics["split"]
    assert split["kind"] == "time"
    assert split["train_to"] <= split["test_from"]
    assert result.n_test == pytest.approx(0.2 * (result.n_train + result.n_test), abs=5)


def test_the_time_split_keeps_leads_of_the_boundary_instant_together():
    created = pd.Series(pd.to_datetime(["2025-01-01"] * 4 + ["2025-02-01"] * 3 + ["2025-03-01"] * 3))
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 1], dtype=float)
    older, newer, info = split_by_time(created, y, 0.2, seed=1)
    # the newest 20% would cut the three March leads; all three go to the test side
    assert list(newer) == [7, 8, 9] and list(older) == list(range(7))
    assert info["kind"] == "time" and info["test_from"].startswith("2025-03-01")


def test_without_varying_created_at_the_split_is_stratified():
    created = pd.Series([pd.NaT] * 100)
    y = np.array([1.0] * 20 + [0.0] * 80)
    older, newer, info = split_by_time(created, y, 0.2, seed=1)
    assert info == {"kind": "stratified"}
    assert len(newer) == 20 and y[newer].sum() == 4  # the conversion rate kept on both sides
    assert sorted([*older, *newer]) == list(range(100))


def test_new_leads_are_scored_with_unseen_categories_and_missing_values(trained):
    store, result = trained
    new = pd.DataFrame([
        {"lead_id": "web-1", "email": "ana@gmail.com", "title": "Chief Revenue Officer", "company_size": 800,
         "industry": "underwater_basket_weaving", "country": "AQ", "source": "referral",
         "created_at": "2026-05-14T09:30:00Z"},
        {"lead_id": "web-2", "email": None, "title": None, "company_size": None, "industry": None,
         "country": None, "source": None, "created_at": None, "favourite_colour": "teal"},
        {"lead_id": "web-3", "title": "Analyst", "company_size": "12", "source": "paid_social",
         "created_at": datetime(2026, 5, 14, 3, 0)},
    ])
    out = predict_conversion(store, new)
    assert list(out.columns) == ["lead_id", "predicted_conversion", "predicted_percentile", "top_factors"]
    assert list(out["lead_id"]) == ["web-1", "web-2", "web-3"]
    p = out.set_index("lead_id")["predicted_conversion"]
    assert ((p > 0) & (p < 1)).all()
    # a senior buyer from a referral at a mid-size company beats a junior analyst from paid social
    assert p["web-1"] > p["web-3"]
    for factors in out["top_factors"]:
        assert 3 <= len(factors) <= 5
        sizes = [abs(f["contribution"]) for f in factors]
        assert sizes == sorted(sizes, reverse=True)
        assert all(f["feature"] in result.features for f in factors)
    by_feature = {f["feature"]: f for f in out["top_factors"][0]}
    if "source" in by_feature:
        assert by_feature["source"]["value"] == "referral" and by_feature["source"]["contribution"] > 0


def test_top_factors_add_up_to_the_difference_from_the_average_lead(trained):
    """TreeSHAP: per lead, the contributions of all features sum to its log-odds minus the
    average lead's; the top factors are the largest of them."""
    store, _ = trained
    model = active_model(store)
    leads = store.con.execute("SELECT * FROM leads ORDER BY lead_id LIMIT 50").df()
    frame = model.features(store, leads)
    X = model.spec.matrix(frame)
    contrib = model.booster.predict(X, pred_contrib=True)
    margin = model.booster.predict(X, raw_score=True)
    np.testing.assert_allclose(contrib.sum(axis=1), margin, atol=1e-6)
    factors = model.top_factors(X, frame)
    for row, lead_factors in zip(contrib, factors):
        largest = np.sort(np.abs(row[:-1]))[::-1][:5]
        np.testing.assert_allclose([abs(f["contribution"]) for f in lead_factors], largest, atol=1e-4)


def test_no_model_means_no_prediction(store):
    store.append("leads", pd.DataFrame({"lead_id": ["a"], "source": ["webinar"]}))
    assert predict_conversion(store, store.con.execute("SELECT * FROM leads").df()) is None


def test_an_empty_batch_gets_an_empty_frame(trained):
    store, _ = trained
    out = predict_conversion(store, pd.DataFrame(columns=["lead_id", "source"]))
    assert len(out) == 0 and list(out.columns) == ["lead_id", "predicted_conversion", "predicted_percentile", "top_factors"]


# -- features -------------------------------------------------------------------------------------

def test_titles_and_emails_become_buyer_signals():
    leads = pd.DataFrame({
        "lead_id": ["a", "b", "c", "d", "e", "f"],
        "title": ["VP Sales", "Chief Revenue Officer", "Head of Operations", "Team Lead", "Analyst", None],
        "email": ["x@gmail.com", "y@acme.io", "info@acme.io", "bad-address", None, "Z@Outlook.com "],
    })
    f = lead_features(leads, {})
    assert list(f["title_seniority"][:5]) == ["vp", "c_level", "director", "manager", "individual"]
    assert pd.isna(f["title_seniority"][5])  # no title: missing, not a guess
    assert list(f["title_function"][:3]) == ["sales", "sales", "operations"]
    assert f["email_free_domain"].tolist()[:3] == [1.0, 0.0, 0.0] and f["email_free_domain"][5] == 1.0
    assert np.isnan(f["email_free_domain"][3]) and np.isnan(f["email_free_domain"][4])
    assert f["email_role_address"].tolist()[:3] == [0.0, 0.0, 1.0]


def test_touches_count_only_up_to_the_observation_cutoff(store):
    created = datetime(2026, 3, 2, 10, 0)
    store.append("leads", pd.DataFrame({"lead_id": ["l1"], "created_at": [created]}))
    store.append("touches", pd.DataFrame({
        "touch_id": ["t1", "t2", "t3", "t4", "t5"],
        "lead_id": ["l1"] * 5,
        "touch_type": ["web_visit", "form_fill", "pricing_page_visit", "pricing_page_visit", "webinar"],
        "occurred_at": [created - timedelta(days=3), created, created + timedelta(hours=12),
                        created + timedelta(days=3), created + timedelta(days=40)],
    }))
    store.append("activities", pd.DataFrame({
        "activity_id": ["a1", "a2"], "lead_id": ["l1", "l1"], "type": ["email", "email"],
        "direction": ["inbound", "outbound"], "occurred_at": [created, created],
    }))
    frame = lead_features(store.con.execute("SELECT * FROM leads").df(), {})
    types = ["form_fill", "pricing_page_visit", "web_visit", "webinar"]
    at_arrival = event_counts(store, frame, 0.0, types, ["email"]).iloc[0]
    assert at_arrival.to_dict() == {"touch_form_fill": 1, "touch_pricing_page_visit": 0, "touch_web_visit": 1,
                                    "touch_webinar": 0, "touches_before_created": 1, "inbound_email": 1}
    first_day = event_counts(store, frame, 1.0, types, []).iloc[0]
    assert first_day["touch_pricing_page_visit"] == 1  # +12 h counts, +3 days does not
    assert first_day["touch_webinar"] == 0


def test_the_percentile_ranks_a_probability_among_the_training_leads():
    import numpy as np

    from revops.engines.scoring.predictive import ConversionModel

    model = ConversionModel(1, "test", None, None, {}, reference=list(np.linspace(0.0, 0.5, 101)))
    assert model.percentile(np.array([0.0, 0.25, 0.5, 0.9])).tolist() == [0.0, 50.0, 100.0, 100.0]
    legacy = ConversionModel(1, "test", None, None, {}, reference=None)
    assert abs(legacy.percentile(np.array([0.07]))[0] - 7.0) < 1e-9
