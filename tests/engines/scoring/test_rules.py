"""Rule-based lead scoring: fit points once per lead, intent and engagement points per event,
fading with their half-life, each group capped, the total kept within 0-100, every point
explained, and the same numbers whether one lead is scored or the whole store at once.

With the default model: fit (cap 40) gives 15 for 200+ employees, 10 more above 1,000, 10 for
a senior title, 10 for US/CA/GB, 10 for software/financial services/healthcare; intent (cap 30)
10 per pricing-page visit (half-life 14 days) and 20 per form fill (30 days); engagement
(cap 30) 3 per e-mail click, 5 per download (30 days), 8 per webinar or event (45 days) and
10 per inbound activity (30 days).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from revops.engines.scoring import combined
from revops.engines.scoring.combined import save_scores, score_lead, score_leads, score_rows
from revops.engines.scoring.explain import RulesScore
from revops.engines.scoring.rules import Rulebook, score_record
from revops.errors import ModelError
from revops.model import load_model
from tests.engines.scoring.lead_world import NOW, activity, lead_store, model_with, size_points_model, touch

DEFAULT = load_model(None)
BOOK = Rulebook.of(DEFAULT.scoring)


def vectorised(store, model=DEFAULT, now=NOW) -> dict[str, RulesScore]:
    score_leads(store, model, now)
    book = Rulebook.of(model.scoring)
    rows = store.query("SELECT * FROM _lead_scores")
    return {r["lead_id"]: RulesScore.from_row(book, r) for r in rows}


def test_fit_rules_give_their_points_once_and_the_group_stops_at_its_cap(tmp_path):
    ideal = {"lead_id": "ideal", "company_size": 5000, "title": "VP Marketing", "country": "US", "industry": "software"}
    small = {"lead_id": "small", "company_size": 300, "title": "Engineer", "country": "DE", "industry": "retail"}
    store = lead_store(tmp_path, leads=[ideal, small])
    scores = vectorised(store)
    fit = scores["ideal"].group("fit")
    assert fit.uncapped == 55  # 15 + 10 + 10 + 10 + 10
    assert fit.points == 40 and fit.capped
    # the cap is shared among the rules that made it: 55 points count as 40
    assert sum(r.counted for r in fit.rules) == pytest.approx(40)
    assert {r.rule: r.counted for r in fit.rules}["mid_size_company"] == pytest.approx(15 * 40 / 55)
    assert scores["ideal"].score == 40
    assert scores["small"].group("fit").points == 15 and not scores["small"].group("fit").capped
    assert scores["small"].score == 15


def test_an_event_half_a_life_old_gives_half_its_points(tmp_path):
    store = lead_store(
        tmp_path, leads=[{"lead_id": "fresh"}, {"lead_id": "two_weeks"}, {"lead_id": "four_weeks"}, {"lead_id": "future"}],
        touches=[touch("fresh", "pricing_page_visit", days_ago=0), touch("two_weeks", "pricing_page_visit", days_ago=14),
                 touch("four_weeks", "pricing_page_visit", days_ago=28),
                 touch("future", "pricing_page_visit", days_ago=-1)])  # after `now`: has not happened yet
    scores = vectorised(store)
    assert scores["fresh"].score == 10
    assert scores["two_weeks"].score == 5
    assert scores["four_weeks"].score == 2.5
    assert scores["future"].score == 0
    assert scores["future"].group("intent").rules[0].events == 0


def test_every_matching_event_adds_points_until_the_cap(tmp_path):
    store = lead_store(
        tmp_path, leads=[{"lead_id": "keen"}, {"lead_id": "other"}],
        touches=[touch("keen", "form_fill", days_ago=0) for _ in range(3)]
        + [touch("keen", "web_visit", days_ago=0), touch(None, "form_fill", days_ago=0),
           touch("other", "email_click", days_ago=0)],
        activities=[activity("keen", "inbound", days_ago=30), activity("keen", "outbound", days_ago=0)])
    keen = vectorised(store)["keen"]
    intent = keen.group("intent")
    assert {r.rule: r.events for r in intent.rules} == {"pricing_page": 0, "form_fill": 3}
    assert intent.uncapped == 60 and intent.points == 30
    replied = {r.rule: r for r in keen.group("engagement").rules}["replied_to_sales"]
    assert (replied.events, replied.points) == (1, 5)  # inbound only, 30 days at a 30-day half-life
    assert keen.score == 35
    assert vectorised(store)["other"].score == 3  # an event counts for its own lead only


def test_negative_points_subtract_and_the_score_never_goes_below_zero(tmp_path):
    model = model_with(tmp_path, {
        "mql_threshold": 60,
        "groups": [{"key": "fit", "cap": 40, "rules": [
            {"key": "mid_size_company", "when": "company_size >= 200", "points": 15},
            {"key": "personal_email", "when": "email ilike '%@gmail.com'", "points": -20}]},
            {"key": "intent", "cap": 60, "rules": [
                {"key": "form_fill", "table": "touches", "when": "touch_type = 'form_fill'", "points": 50}]}],
    })
    store = lead_store(tmp_path, leads=[
        {"lead_id": "gmail_only", "email": "kim@gmail.com", "company_size": 10},
        {"lead_id": "gmail_big", "email": "lee@gmail.com", "company_size": 800},
        {"lead_id": "gmail_keen", "email": "max@gmail.com", "company_size": 10},
    ], touches=[touch("gmail_keen", "form_fill", days_ago=0)])
    scores = vectorised(store, model)
    assert scores["gmail_only"].group("fit").points == -20
    assert scores["gmail_only"].score == 0
    assert scores["gmail_big"].score == 0  # 15 - 20
    assert scores["gmail_keen"].score == 30  # 50 - 20


def test_the_explanation_names_each_rule_and_what_it_added(tmp_path):
    store = lead_store(
        tmp_path, leads=[{"lead_id": "l1", "company_size": 250, "country": "CA", "title": "Analyst"}],
        touches=[touch("l1", "webinar", days_ago=45), touch("l1", "event", days_ago=0)])
    score_leads(store, DEFAULT, NOW)
    [row] = score_rows(store, DEFAULT, explain=True)
    explanation = row["explanation"]
    assert explanation["score"] == row["score"] == 25 + 12  # fit 15 + 10; engagement 4 + 8
    groups = {g["group"]: g for g in explanation["groups"]}
    assert [(r["rule"], r["points"]) for r in groups["fit"]["rules"]] == [("mid_size_company", 15), ("core_market", 10)]
    assert [(r["rule"], r["events"], r["points"]) for r in groups["engagement"]["rules"]] == [("webinar_or_event", 2, 12)]
    assert groups["intent"]["rules"] == [] and groups["intent"]["points"] == 0
    assert explanation["predicted_conversion"] is None and explanation["predictive_weight"] == 0


def test_one_lead_scored_on_its_own_matches_the_whole_store_scored_at_once(tmp_path):
    from revops.demo.builder import build_demo
    from revops.store import Store

    store = Store(tmp_path / "demo.duckdb")
    build_demo(store, "tiny", 7, date(2026, 5, 15))
    now = NOW
    batch = vectorised(store, DEFAULT, now)
    events: dict[str, dict[str, list]] = {}
    for table in ("touches", "activities"):
        for e in store.query(f"SELECT * FROM {table} WHERE lead_id IS NOT NULL"):
            events.setdefault(e["lead_id"], {}).setdefault(table, []).append(e)
    leads = store.query("SELECT * FROM leads")
    assert len(leads) == len(batch) > 1000
    differ = []
    for lead in leads:
        one = score_record(BOOK, lead, events.get(lead["lead_id"], {}), now)
        many = batch[lead["lead_id"]]
        if (one.score, [g.points for g in one.groups]) != (many.score, [g.points for g in many.groups]):
            differ.append(lead["lead_id"])
        for a, b in zip((r for g in one.groups for r in g.rules), (r for g in many.groups for r in g.rules)):
            assert (a.rule, a.events) == (b.rule, b.events)
            assert a.points == pytest.approx(b.points, abs=1e-9)
    assert differ == []
    assert sum(1 for s in batch.values() if s.group("intent").points > 0) > 10  # the demo has recent intent
    # the public one-lead entry point says the same (contract row included)
    lead = next(l for l in leads if batch[l["lead_id"]].score > 20)
    scored = score_lead(DEFAULT, lead, events.get(lead["lead_id"], {}), now)
    assert scored.score == batch[lead["lead_id"]].score
    assert scored.row()["fit"] == batch[lead["lead_id"]].group("fit").points


def test_rules_on_derived_lead_fields_read_the_same_in_both_paths(tmp_path):
    model = model_with(tmp_path, {"mql_threshold": 30, "groups": [{"key": "fit", "cap": 100, "rules": [
        {"key": "brand_new", "when": "days_since_created < 7", "points": 20},
        {"key": "north_america", "when": "region = 'NA'", "points": 15},
        {"key": "quiet", "when": "days_since_last_activity >= 30", "points": -5}]}]})
    leads = [{"lead_id": "new_us", "country": "us", "created_at": NOW.replace(day=28)},
             {"lead_id": "old_de", "country": "DE", "created_at": NOW.replace(month=1)}]
    touches = [touch("old_de", "web_visit", days_ago=40)]
    store = lead_store(tmp_path, leads=leads, touches=touches)
    batch = vectorised(store, model)
    assert batch["new_us"].score == 35
    assert batch["old_de"].group("fit").points == -5
    for lead in leads:
        one = score_lead(model, lead, {"touches": [t for t in touches if t["lead_id"] == lead["lead_id"]]}, NOW)
        assert one.rules.score == batch[lead["lead_id"]].score
        assert [g.points for g in one.rules.groups] == [g.points for g in batch[lead["lead_id"]].groups]


def test_scores_are_written_to_the_stored_leads(tmp_path):
    store = lead_store(tmp_path, leads=[{"lead_id": "l1", "company_size": 5000, "country": "US"}],
                       touches=[touch("l1", "form_fill", days_ago=0)])
    scored = score_leads(store, DEFAULT, NOW)
    assert save_scores(store, scored) == 1
    [lead] = store.query("SELECT score, fit_score, intent_score, engagement_score, predicted_conversion FROM leads")
    assert lead == {"score": 55, "fit_score": 35, "intent_score": 20, "engagement_score": 0,
                    "predicted_conversion": None}
    scored = score_leads(store, DEFAULT, NOW)
    assert save_scores(store, scored) == 0  # nothing changed, nothing rewritten


def test_an_active_predictive_model_blends_in_by_predictive_weight(tmp_path, monkeypatch):
    model = size_points_model(tmp_path, predictive_weight=0.25)
    store = lead_store(tmp_path, leads=[{"lead_id": "mid", "company_size": 500}, {"lead_id": "unknown", "company_size": 500}])
    # a 20% chance that ranks above 90% of the training leads
    frame = pd.DataFrame({"lead_id": ["mid"], "predicted_conversion": [0.2], "predicted_percentile": [90.0],
                          "top_factors": [[{"feature": "company_size", "contribution": 0.4}]]})
    monkeypatch.setattr(combined, "active_model_version", lambda store: 3)
    monkeypatch.setattr(combined, "predict", lambda store, leads, factors=True: frame)
    scored = score_leads(store, model, NOW, factors=True)
    rows = {r["lead_id"]: r for r in score_rows(store, model, explain=True)}
    assert scored.model_version == 3
    # 0.75 x 65 + 0.25 x 90 (the percentile, not the raw probability) = 48.75 + 22.5
    assert rows["mid"]["score"] == 71.25 and rows["mid"]["predicted_conversion"] == 0.2
    assert rows["mid"]["mql"] is True and rows["mid"]["band"] == "warm"
    assert rows["mid"]["explanation"]["top_factors"] == [{"feature": "company_size", "contribution": 0.4}]
    # a lead the model gives no probability keeps its rules score
    assert rows["unknown"]["score"] == 65 and rows["unknown"]["predicted_conversion"] is None
    one = score_lead(model, {"lead_id": "mid", "company_size": 500}, now=NOW, store=store)
    assert one.score == 71.25 and one.top_factors == [{"feature": "company_size", "contribution": 0.4}]


def test_without_a_model_the_rules_score_stands_alone(tmp_path):
    model = size_points_model(tmp_path, predictive_weight=0.9)
    store = lead_store(tmp_path, leads=[{"lead_id": "big", "company_size": 5000}])
    scored = score_leads(store, model, NOW)
    [row] = score_rows(store, model)
    assert scored.model_version is None
    assert (row["score"], row["predicted_conversion"], row["mql"], row["band"]) == (85, None, True, "hot")


def test_a_fractional_score_between_two_bands_belongs_to_the_lower_one():
    from revops.engines.scoring.combined import band_of

    assert band_of(DEFAULT.scoring.bands, 79.5) == "warm"
    assert band_of(DEFAULT.scoring.bands, 80) == "hot"
    assert band_of(DEFAULT.scoring.bands, 0) == "cold"


def test_the_model_refuses_a_predictive_weight_outside_0_to_1(tmp_path):
    path = tmp_path / "revops.yaml"
    path.write_text("version: 1\nscoring:\n  mql_threshold: 60\n  predictive_weight: 1.5\n")
    with pytest.raises(ModelError) as err:
        load_model(path)
    assert f"{path}:4" in str(err.value) and "predictive_weight" in str(err.value)
    assert DEFAULT.scoring.predictive_weight == 0.5
