"""Moving a deal through a stage gate: a refusal lists what is missing and changes nothing; a
move updates the deal and appends opportunity_history in one transaction; skipped stages are
named; values given with the move are typed as ingest types them."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest

from revops.engines.deals.hygiene import HygieneRequest, check_hygiene
from revops.engines.deals.moves import MoveRefused, StageMove, move_deal
from revops.model import load_model
from tests.gtm import with_gate

NOW = datetime(2026, 3, 31, 12)


@pytest.fixture(scope="module")
def model():
    return load_model(None)


def opp(opportunity_id: str, stage: str, **fields):
    return {"opportunity_id": opportunity_id, "account_id": "acme", "owner_id": "ana", "stage": stage,
            "amount": 50000.0, "close_date": date(2026, 6, 30), "created_at": datetime(2026, 3, 1),
            "forecast_category": "pipeline", "probability": 0.4 if stage == "solution" else 0.1, **fields}


@pytest.fixture
def pipeline(gtm):
    return gtm(opportunities=[
        opp("sol", "solution", next_step="Demo", contact_id="c1"),
        opp("bare", "solution", next_step=None, contact_id=None),
        opp("disc", "discovery", next_step="Call", contact_id="c2"),
        opp("called", "solution", next_step="Demo", contact_id="c3", forecast_category="commit"),
    ], opportunity_history=[
        {"history_id": f"h-{o}", "opportunity_id": o, "changed_at": datetime(2026, 3, 1), "stage": s}
        for o, s in (("sol", "solution"), ("bare", "solution"), ("disc", "discovery"), ("called", "solution"))
    ])


def snapshot(store):
    return (store.query("SELECT * FROM opportunities ORDER BY opportunity_id"),
            store.query("SELECT * FROM opportunity_history ORDER BY history_id"))


def test_a_move_missing_required_fields_is_refused_and_changes_nothing(pipeline, model):
    before = snapshot(pipeline)
    with pytest.raises(MoveRefused) as refused:
        move_deal(pipeline, model, StageMove("bare", "proposal"), NOW)
    assert refused.value.status == 409
    assert refused.value.body() == {"error": "stage_gate", "missing": ["next_step", "contact_id"], "failed": []}
    assert snapshot(pipeline) == before


def test_a_move_failing_a_criterion_is_refused_with_the_criterion_as_written(pipeline, model):
    before = snapshot(pipeline)
    with pytest.raises(MoveRefused) as refused:
        move_deal(pipeline, model, StageMove("sol", "negotiation", {"amount": "0", "close_date": "2026-03-01"}), NOW)
    assert refused.value.body() == {"error": "stage_gate", "missing": [],
                                    "failed": ["amount > 0", "close_date >= today()"]}
    assert snapshot(pipeline) == before


def test_a_move_updates_the_deal_and_appends_history_in_one_go(pipeline, model):
    result = move_deal(pipeline, model, StageMove("sol", "proposal", {"amount": "$48,000"}, changed_by="ana"), NOW)
    assert result.to_dict() == {"opportunity_id": "sol", "stage": "proposal", "from_stage": "solution",
                                "skipped_stages": [], "history_id": result.history_id, "changed_at": NOW,
                                "changed_fields": ["stage", "amount", "forecast_category", "probability"]}
    deal = pipeline.query("SELECT * FROM opportunities WHERE opportunity_id = 'sol'")[0]
    # the category and probability followed the stage: the rep had not set their own
    assert (deal["stage"], deal["amount"], deal["forecast_category"], deal["probability"], deal["updated_at"]) == \
        ("proposal", 48000.0, "best_case", 0.6, NOW)
    history = pipeline.query("SELECT * FROM opportunity_history WHERE opportunity_id = 'sol' ORDER BY changed_at")
    assert len(history) == 2 and history[-1] == {
        "history_id": result.history_id, "opportunity_id": "sol", "changed_at": NOW, "stage": "proposal",
        "amount": 48000.0, "close_date": date(2026, 6, 30), "forecast_category": "best_case", "owner_id": "ana",
        "changed_fields": "stage,amount,forecast_category", "changed_by": "ana", "source": "revops deal move"}


def test_values_given_with_the_move_count_for_the_gate_and_are_typed_like_ingest(pipeline, model):
    result = move_deal(pipeline, model, StageMove("bare", "negotiation", {
        "next_step": "Send MSA", "contact_id": "c9", "close_date": "09/30/2026", "amount": "1.250,50"}), NOW)
    deal = pipeline.query("SELECT amount, close_date, next_step FROM opportunities WHERE opportunity_id = 'bare'")[0]
    assert deal == {"amount": 1250.5, "close_date": date(2026, 9, 30), "next_step": "Send MSA"}
    assert result.skipped_stages == ("proposal",)


def test_bad_values_are_all_listed_and_nothing_changes(pipeline, model):
    before = snapshot(pipeline)
    with pytest.raises(MoveRefused) as refused:
        move_deal(pipeline, model, StageMove("sol", "proposal", {
            "amount": "lots", "close_date": "someday", "forecast_category": "maybe", "amont": "1", "stage": "x"}), NOW)
    body = refused.value.body()
    assert refused.value.status == 422 and body["error"] == "invalid_value"
    assert [e["field"] for e in body["errors"]] == ["amount", "close_date", "forecast_category", "amont", "stage"]
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert messages["amount"] == "amount: 'lots' is not a number (1200.50, $1,200.50 and 1.200,50 are read)"
    assert "valid values: commit, best_case, pipeline, omitted, closed" in messages["forecast_category"]
    assert "did you mean 'amount'" in messages["amont"]
    assert snapshot(pipeline) == before


def test_skipped_stages_are_named_and_become_a_hygiene_finding(pipeline, model):
    result = move_deal(pipeline, model, StageMove("disc", "Proposal", {"amount": "20000"}), NOW)
    assert (result.stage, result.skipped_stages) == ("proposal", ("qualification", "solution"))
    report = check_hygiene(pipeline.ibis, model, HygieneRequest(rules=("stage_skipped",)))
    assert [(f["opportunity_id"], f["detail"]) for f in report.findings] == [
        ("disc", "Stage skipped: skipped qualification, solution")]


def test_a_rep_s_own_forecast_category_survives_a_move_but_not_a_close(pipeline, model):
    move_deal(pipeline, model, StageMove("called", "proposal"), NOW)
    assert pipeline.query("SELECT forecast_category FROM opportunities WHERE opportunity_id = 'called'") == [
        {"forecast_category": "commit"}]
    move_deal(pipeline, model, StageMove("called", "closed_lost", {"lost_reason": "budget"}), NOW)
    deal = pipeline.query("SELECT forecast_category, probability FROM opportunities WHERE opportunity_id = 'called'")
    assert deal == [{"forecast_category": "omitted", "probability": 0.0}]


def test_a_deal_closes_the_day_it_is_closed_unless_the_move_says_when(pipeline, model):
    # the deal expected to close Jun 30; won on Mar 31 at 23:30 UTC, 19:30 in New York
    late = datetime(2026, 3, 31, 23, 30)
    move_deal(pipeline, model, StageMove("called", "closed_lost", {"lost_reason": "budget"}), late)
    move_deal(pipeline, model, StageMove("sol", "closed_lost", {"lost_reason": "budget", "close_date": "2026-03-20"}),
              NOW)
    closes = {r["opportunity_id"]: r["close_date"] for r in pipeline.query(
        "SELECT opportunity_id, close_date FROM opportunities WHERE stage = 'closed_lost'")}
    assert closes == {"called": date(2026, 3, 31), "sol": date(2026, 3, 20)}
    history = pipeline.query("SELECT close_date FROM opportunity_history WHERE opportunity_id = 'called' "
                             "ORDER BY changed_at DESC LIMIT 1")
    assert history == [{"close_date": date(2026, 3, 31)}]
    # reopening and closing again: a closed deal moved between closed stages keeps its day
    move_deal(pipeline, model, StageMove("called", "closed_won"), datetime(2026, 4, 2, 12))
    assert pipeline.query("SELECT close_date FROM opportunities WHERE opportunity_id = 'called'") == [
        {"close_date": date(2026, 3, 31)}]


def test_unknown_deals_and_stages_are_refused_clearly(pipeline, model):
    before = snapshot(pipeline)
    with pytest.raises(MoveRefused) as nobody:
        move_deal(pipeline, model, StageMove("ghost", "proposal"), NOW)
    assert nobody.value.status == 404 and "no opportunity 'ghost'" in nobody.value.detail
    with pytest.raises(MoveRefused) as typo:
        move_deal(pipeline, model, StageMove("sol", "negotation"), NOW)
    assert typo.value.status == 422 and "did you mean 'negotiation'" in typo.value.detail
    assert typo.value.body()["errors"][0]["field"] == "stage"
    assert snapshot(pipeline) == before


def test_a_move_into_the_stage_the_deal_is_in_changes_nothing(pipeline, model):
    before = snapshot(pipeline)
    result = move_deal(pipeline, model, StageMove("sol", "solution"), NOW)
    assert (result.history_id, result.changed_fields) == (None, ())
    assert snapshot(pipeline) == before


def test_a_gate_may_read_derived_fields(pipeline, model):
    strict = with_gate(model, "proposal", ["days_since_last_activity < 14", "age_days >= 7"])
    pipeline.con.execute("INSERT INTO activities (activity_id, occurred_at, opportunity_id) "
                         "VALUES ('a1', TIMESTAMP '2026-03-10', 'sol')")
    with pytest.raises(MoveRefused) as refused:
        move_deal(pipeline, strict, StageMove("sol", "proposal"), NOW)
    assert refused.value.failed == ("days_since_last_activity < 14",)  # 21.5 days since the call
    pipeline.con.execute("INSERT INTO activities (activity_id, occurred_at, opportunity_id) "
                         "VALUES ('a2', TIMESTAMP '2026-03-30', 'sol')")
    assert move_deal(pipeline, strict, StageMove("sol", "proposal"), NOW).stage == "proposal"


def test_concurrent_moves_of_one_deal_land_one_after_the_other(pipeline, model):
    targets = ["discovery", "qualification", "solution", "discovery", "qualification", "solution"] * 3
    results, errors = [], []

    def worker(stage: str) -> None:
        try:
            results.append(move_deal(pipeline, model, StageMove("sol", stage)))  # now: each its own moment
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == len(targets)
    moved = sorted((r for r in results if r.history_id is not None), key=lambda r: r.changed_at)
    history = pipeline.query("SELECT history_id, stage FROM opportunity_history WHERE opportunity_id = 'sol' "
                             "AND source = 'revops deal move' ORDER BY changed_at")
    # every move that changed the stage left exactly one row, and each saw the one before it
    assert [h["history_id"] for h in history] == [r.history_id for r in moved]
    assert all(b.from_stage == a.stage for a, b in zip(moved, moved[1:]))
    final = pipeline.query("SELECT stage FROM opportunities WHERE opportunity_id = 'sol'")[0]["stage"]
    assert final == moved[-1].stage
