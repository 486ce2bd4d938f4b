"""The built-in revenue model is the seeds' definitions: what an analyst gets before editing."""

from __future__ import annotations

import pytest

from revops.model import default_model_text, load_model, validate_file


@pytest.fixture(scope="module")
def model():
    return load_model(None)


def test_default_model_is_clean():
    assert validate_file(None) == []


def test_pipeline_matches_the_seed_stage_table(model):
    table = [(s.key, s.label, s.criteria, s.exit_criteria, s.probability) for s in model.pipeline.stages]
    assert table == [
        ("discovery", "Discovery", "Meeting scheduled", "Need confirmed", 0.10),
        ("qualification", "Qualification", "Need confirmed", "Budget, timeline, authority", 0.20),
        ("solution", "Solution", "Demo completed", "Solution fit confirmed", 0.40),
        ("proposal", "Proposal", "Proposal sent", "Decision criteria met", 0.60),
        ("negotiation", "Negotiation", "Terms discussed", "Verbal commitment", 0.80),
        ("closed_won", "Closed Won", "Contract signed", "", 1.0),
        ("closed_lost", "Closed Lost", "Deal lost, or disqualified after it became an opportunity", "", 0.0),
    ]


def test_open_won_and_lost_stages(model):
    assert [s.key for s in model.open_stages] == [
        "discovery", "qualification", "solution", "proposal", "negotiation"]
    assert model.won_stage_keys == ["closed_won"]
    assert model.lost_stage_keys == ["closed_lost"]
    assert model.stage("proposal").probability == 0.6
    with pytest.raises(KeyError, match="stages: discovery"):
        model.stage("demo")


def test_every_stage_maps_to_a_forecast_category(model):
    categories = {c.key for c in model.forecast_categories}
    assert categories == {"commit", "best_case", "pipeline", "omitted", "closed"}
    assert {s.key: s.forecast_category for s in model.pipeline.stages} == {
        "discovery": "pipeline", "qualification": "pipeline", "solution": "pipeline",
        "proposal": "best_case", "negotiation": "commit", "closed_won": "closed", "closed_lost": "omitted",
    }


def test_forecast_categories_match_the_seeds(model):
    commit = model.forecast_category("commit")
    assert (commit.label, commit.definition, commit.min_confidence) == ("Commit", "Will close this period", 0.9)
    best = model.forecast_category("best_case")
    assert (best.label, best.min_confidence) == ("Best Case", 0.5)
    pipeline = model.forecast_category("pipeline")
    assert (pipeline.definition, pipeline.inclusion_criteria) == ("Could close", "In-period close date")


def test_slas_match_the_seed_sla_table(model):
    table = [(s.key, s.duration, s.unit, s.owner_team, s.start, s.stop) for s in model.slas]
    assert table == [
        ("mql_to_first_contact", 4, "business_hours", "sales_ops", "lead.mql_at", "lead.first_contacted_at"),
        ("sql_to_opportunity", 14, "days", "revops", "lead.sql_at", "lead.converted_at"),
        ("closed_won_to_kickoff", 5, "days", "cs_ops", "opportunity.closed_won", "opportunity.kickoff_held"),
        ("expansion_signal_to_first_touch", 2, "business_days", "sales_ops", "opportunity.created",
         "opportunity.first_touch"),
    ]
    assert model.sla("mql_to_first_contact").fallback.action == "reassign_to_manager"


def test_lifecycle_has_every_lead_stage(model):
    assert [s.key for s in model.lifecycle.stages] == [
        "new", "mql", "sql", "sal", "opportunity", "customer", "recycled", "disqualified"]
    assert model.lifecycle.stage("new").entry_criteria == ""
    assert model.lifecycle.stage("mql").entry_criteria == "score >= 60"
    assert model.lifecycle.stage("recycled").recycle_after_days == 90
    assert model.scoring.mql_threshold == 60


def test_routing_follows_the_seed_flowchart(model):
    r = model.routing
    assert r.node("high_score").when == "score > 80 and company_size > 1000"
    assert (r.node("high_score").then, r.node("high_score").else_) == ("enterprise", "mid_score")
    assert r.node("enterprise").type == "territory"
    assert r.node("mid_market_sdr").handoff == "mid_market_ae"
    assert r.node("smb").type == "round_robin"
    assert r.node("low_score").else_ == "nurture"
    assert (r.fallback.action, r.fallback.after, r.fallback.unit) == ("reassign_to_manager", 4, "business_hours")
    assert (r.overflow.max_open_leads_per_rep, r.overflow.action) == (50, "distribute_to_team")


def test_health_targets_and_hygiene_defaults(model):
    assert sum(m.weight for m in model.health.measures) == pytest.approx(1)
    assert [(b.key, b.min, b.max) for b in model.health.bands] == [
        ("red", 0, 50), ("yellow", 51, 75), ("green", 76, 100)]
    assert model.targets.pipeline_coverage.target == 3.0
    assert model.targets.pipeline_coverage.warning_below == 2.0
    assert model.targets.cac_payback_months.warning_above == 18
    assert {r.key for r in model.hygiene.rules} == {
        "close_date_in_past", "no_recent_activity", "no_next_step", "no_amount_late_stage",
        "pushed_twice", "stuck_in_stage", "stage_skipped", "stage_requirements"}
    assert [r.key for r in model.hygiene.rules if r.at_risk] == ["no_recent_activity"]


def test_vocabularies_accept_keys_and_labels(model):
    vocab = model.vocabularies()
    assert set(vocab) == {"pipeline_stage", "lifecycle_stage", "forecast_category"}
    assert vocab["pipeline_stage"]["closed won"] == "closed_won"
    assert vocab["pipeline_stage"]["closed_won"] == "closed_won"
    assert vocab["forecast_category"]["best case"] == "best_case"
    assert vocab["lifecycle_stage"]["mql"] == "mql"
    assert all(k == k.lower() for v in vocab.values() for k in v)


def test_hash_is_stable_and_changes_with_a_definition(model):
    again = load_model(None)
    assert again.hash() == model.hash()
    again.stage("proposal").probability = 0.55
    assert again.hash() != model.hash()


def test_default_text_explains_itself():
    text = default_model_text()
    assert text.count("\n#") > 20
    assert "pipeline:" in text and "slas:" in text


def test_a_file_with_only_company_takes_the_default_sections(tmp_path):
    path = tmp_path / "revops.yaml"
    path.write_text("company:\n  name: Acme\n  currency: eur\n  timezone: Europe/Berlin\n")
    model = load_model(path)
    assert (model.company.name, model.company.currency) == ("Acme", "EUR")
    assert model.stage("negotiation").probability == 0.8


def test_to_yaml_round_trips(tmp_path):
    model = load_model(None)
    path = tmp_path / "revops.yaml"
    path.write_text(model.to_yaml())
    assert load_model(path).hash() == model.hash()
