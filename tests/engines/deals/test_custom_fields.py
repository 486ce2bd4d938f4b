"""Stage gates and hygiene on the company's own CRM fields (``custom_fields:``): a MEDDICC gate
refuses a deal without an economic buyer and lets it through once one is set with the move; the
values are typed by the declared type; hygiene rules and completeness read the fields, whether
or not the store has their columns yet."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from revops.engines.deals.facts import FactsRequest, availability, deal_facts
from revops.engines.deals.hygiene import HygieneRequest, check_hygiene
from revops.engines.deals.moves import MoveRefused, StageMove, move_deal
from revops.engines.deals.scorecard import completeness
from revops.model import load_model
from revops.model.schema import HygieneRule
from tests.gtm import with_custom_fields, with_requirements

NOW = datetime(2026, 3, 31, 12)
MEDDICC = {"economic_buyer": "string", "champion": "string", "security_review_done": "boolean",
           "seats": "integer", "nda_signed_on": "date"}


@pytest.fixture(scope="module")
def model():
    """The default model declaring MEDDICC fields: negotiation needs an economic buyer and a
    finished security review."""
    declared = with_custom_fields(load_model(None), opportunities=MEDDICC)
    return with_requirements(declared, "negotiation", ["amount", "economic_buyer"],
                             ["amount > 0", "security_review_done = true"])


def with_rules(model, *rules: dict):
    data = model.model_dump(mode="json", by_alias=True)
    data["hygiene"]["rules"] = [HygieneRule(**r).model_dump(mode="json") for r in rules]
    return type(model).model_validate(data)


def opp(opportunity_id: str, stage: str, **fields):
    return {"opportunity_id": opportunity_id, "account_id": "acme", "owner_id": "ana", "stage": stage,
            "amount": 50000.0, "close_date": date(2026, 6, 30), "created_at": datetime(2026, 3, 1),
            "next_step": "Call", "contact_id": "c1", "forecast_category": "pipeline", **fields}


@pytest.fixture
def bare(gtm):
    """Deals from a CRM export without the MEDDICC columns: nothing has set them yet."""
    return gtm(opportunities=[opp("o1", "proposal"), opp("o2", "proposal"), opp("o3", "negotiation"),
                              opp("o4", "closed_won", probability=1.0, close_date=date(2026, 3, 20))])


def snapshot(store):
    return (store.query("SELECT * FROM opportunities ORDER BY opportunity_id"),
            store.query("SELECT * FROM opportunity_history ORDER BY history_id"),
            store.query("SELECT * FROM _custom_fields ORDER BY column_name"))


# -- stage gates -------------------------------------------------------------------------------
def test_a_gate_on_a_field_no_deal_has_yet_refuses_the_move_and_changes_nothing(bare, model):
    before = snapshot(bare)
    with pytest.raises(MoveRefused) as refused:
        move_deal(bare, model, StageMove("o1", "negotiation"), NOW)
    assert refused.value.status == 409
    assert refused.value.body() == {"error": "stage_gate", "missing": ["economic_buyer"],
                                    "failed": ["security_review_done = true"]}
    assert snapshot(bare) == before
    assert "economic_buyer" not in bare.columns("opportunities")


def test_the_move_goes_through_once_the_fields_are_set_and_their_columns_are_added(bare, model):
    with pytest.raises(MoveRefused) as refused:  # one of the two is not enough
        move_deal(bare, model, StageMove("o1", "negotiation", {"economic_buyer": "Jane Doe"}), NOW)
    assert refused.value.body() == {"error": "stage_gate", "missing": [],
                                    "failed": ["security_review_done = true"]}
    assert "economic_buyer" not in bare.columns("opportunities")

    result = move_deal(bare, model, StageMove("o1", "negotiation", {
        "economic_buyer": "Jane Doe", "security_review_done": "yes"}, changed_by="ana"), NOW)
    assert result.stage == "negotiation" and result.history_id is not None
    assert {"economic_buyer", "security_review_done"} <= set(result.changed_fields)
    deals = {d["opportunity_id"]: d for d in bare.query("SELECT * FROM opportunities")}
    assert (deals["o1"]["economic_buyer"], deals["o1"]["security_review_done"]) == ("Jane Doe", True)
    assert (deals["o2"]["economic_buyer"], deals["o2"]["security_review_done"]) == (None, None)
    columns = bare.columns("opportunities")
    assert (columns["economic_buyer"], columns["security_review_done"]) == ("VARCHAR", "BOOLEAN")
    registered = bare.query("SELECT column_name, type, first_seen_file FROM _custom_fields ORDER BY column_name")
    assert registered == [{"column_name": "economic_buyer", "type": "string", "first_seen_file": "revops deal move"},
                          {"column_name": "security_review_done", "type": "boolean",
                           "first_seen_file": "revops deal move"}]
    # the next deal finds the columns there: they are not added twice
    move_deal(bare, model, StageMove("o2", "negotiation", {
        "economic_buyer": "Raj", "security_review_done": "true"}), NOW)
    assert len(bare.query("SELECT * FROM _custom_fields")) == 2


def test_values_are_typed_by_the_declared_type(bare, model):
    move_deal(bare, model, StageMove("o1", "proposal", {
        "seats": "1,250", "nda_signed_on": "09/30/2026", "security_review_done": "N", "champion": "  Li  "}), NOW)
    deal = bare.query("SELECT seats, nda_signed_on, security_review_done, champion FROM opportunities "
                      "WHERE opportunity_id = 'o1'")[0]
    assert deal == {"seats": 1250, "nda_signed_on": date(2026, 9, 30), "security_review_done": False,
                    "champion": "Li"}
    assert bare.columns("opportunities")["seats"] == "BIGINT"


def test_a_value_that_does_not_fit_names_the_field_and_its_type_and_changes_nothing(bare, model):
    before = snapshot(bare)
    with pytest.raises(MoveRefused) as refused:
        move_deal(bare, model, StageMove("o1", "proposal", {
            "seats": "1.5", "security_review_done": "maybe", "nda_signed_on": "someday", "champoin": "x"}), NOW)
    body = refused.value.body()
    assert refused.value.status == 422 and body["error"] == "invalid_value"
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert messages["seats"] == "seats: '1.5' is not a whole number (seats is declared as integer under custom_fields)"
    assert messages["security_review_done"].startswith("security_review_done: 'maybe' is not true/false")
    assert "declared as boolean" in messages["security_review_done"]
    assert "'someday' is not a date" in messages["nda_signed_on"] and "declared as date" in messages["nda_signed_on"]
    assert "did you mean 'champion'" in messages["champoin"]  # a declared field is a field of the table
    assert snapshot(bare) == before


def test_a_column_ingest_typed_otherwise_takes_the_declared_type_when_a_move_sets_it(gtm, model):
    store = gtm(opportunities=[opp("o1", "proposal", seats="12"), opp("o2", "proposal", seats="lots"),
                               opp("o3", "proposal", seats=None)])
    assert store.columns("opportunities")["seats"] == "VARCHAR"
    result = move_deal(store, model, StageMove("o3", "proposal", {"seats": "40"}), NOW)
    assert store.columns("opportunities")["seats"] == "BIGINT"
    assert store.query("SELECT opportunity_id, seats FROM opportunities ORDER BY 1") == [
        {"opportunity_id": "o1", "seats": 12}, {"opportunity_id": "o2", "seats": None},
        {"opportunity_id": "o3", "seats": 40}]
    # the value that is not a whole number is kept, in the quarantine, with its reason
    kept = store.query("SELECT record_id, column_name, value, reason FROM _quarantine")
    assert [(q["record_id"], q["column_name"], q["value"]) for q in kept] == [("o2", "seats", "lots")]
    assert "'lots' is not a whole number" in kept[0]["reason"] and "declared as integer" in kept[0]["reason"]
    assert result.notes and "1 stored string value" in result.notes[0]


# -- hygiene and completeness ---------------------------------------------------------------------
BIG_DEAL_NO_CHAMPION = {"key": "big_deal_no_champion", "label": "Big deal, no champion", "severity": "warning",
                        "when": "is_open and champion is null and seats >= 50"}
REQUIREMENTS = {"key": "stage_requirements", "label": "Stage requirements not met",
                "when": "missing_required_fields is not null or failed_gates is not null"}


def test_a_hygiene_rule_on_custom_fields_flags_the_deals_that_break_it(gtm, model):
    store = gtm(opportunities=[
        opp("alone", "proposal", champion=None, seats=80),
        opp("championed", "proposal", champion="Li", seats=80),
        opp("small", "proposal", champion=None, seats=10),
        opp("won", "closed_won", champion=None, seats=80, close_date=date(2026, 3, 20)),
        opp("unknown_size", "solution", champion=None, seats=None),
    ])
    rules = with_rules(model, BIG_DEAL_NO_CHAMPION)
    for as_of in (None, NOW):  # the deals as they are, and rebuilt as of a moment
        report = check_hygiene(store.ibis, rules, HygieneRequest(as_of=as_of))
        assert [(f["opportunity_id"], f["detail"]) for f in report.findings] == [
            ("alone", "Big deal, no champion: champion is empty; seats 80")]
        assert report.rules[0].note is None


def test_a_field_the_store_has_no_column_for_reads_as_empty_and_the_rule_says_why(bare, model):
    rules = with_rules(model, {**BIG_DEAL_NO_CHAMPION, "when": "is_open and champion is null"}, REQUIREMENTS)
    report = check_hygiene(bare.ibis, rules, HygieneRequest(as_of=NOW))
    flagged = {(f["rule"], f["opportunity_id"]) for f in report.findings}
    assert {d for r, d in flagged if r == "big_deal_no_champion"} == {"o1", "o2", "o3"}
    status = {s.key: s for s in report.rules}
    assert status["big_deal_no_champion"].checked
    assert "champion is declared under custom_fields but the store has no such column yet" in \
        status["big_deal_no_champion"].note
    # the negotiation deal sits in its stage without what the gate requires
    assert {d for r, d in flagged if r == "stage_requirements"} == {"o3"}
    detail = next(f["detail"] for f in report.findings if f["rule"] == "stage_requirements")
    assert detail == "Stage requirements not met: missing economic_buyer; gate fails: security_review_done = true"


def test_completeness_lists_the_custom_fields_stages_require(gtm, model):
    store = gtm(opportunities=[opp("n1", "negotiation", economic_buyer="Jane", security_review_done=True),
                               opp("n2", "negotiation", economic_buyer=" ", security_review_done=True),
                               opp("n3", "negotiation", economic_buyer=None),
                               opp("p1", "proposal", economic_buyer="Raj")])
    report = check_hygiene(store.ibis, with_rules(model, REQUIREMENTS), HygieneRequest(as_of=NOW))
    assert "economic_buyer" in report.required_fields
    rows = {(r["stage"], r["field"]): r for r in completeness(report, model)}
    assert rows[("negotiation", "economic_buyer")] == {
        "stage": "negotiation", "field": "economic_buyer", "required": True, "deals": 3, "filled": 1,
        "completeness": 33.3}
    assert rows[("proposal", "economic_buyer")]["required"] is False
    assert rows[("proposal", "economic_buyer")]["filled"] == 1
    assert {f["opportunity_id"] for f in report.findings} == {"n2", "n3"}


def test_deal_facts_carry_every_declared_field_of_its_declared_type(bare, model):
    facts = deal_facts(bare.ibis, model, FactsRequest(NOW), availability(bare.ibis))
    schema = facts.schema()
    assert [str(schema[n]) for n in MEDDICC] == ["string", "string", "boolean", "int64", "date"]
    assert facts.filter(facts.economic_buyer.notnull()).count().execute() == 0


def test_a_rule_over_another_table_may_read_its_declared_fields(gtm):
    model = with_rules(with_custom_fields(load_model(None), activities={"outcome_score": "integer"}),
                       {"key": "weak_calls", "table": "activities", "when": "type = 'call' and outcome_score < 3"},
                       {"key": "unscored", "table": "activities", "when": "type = 'call' and outcome_score is null"})
    store = gtm(activities=[{"activity_id": "a1", "occurred_at": datetime(2026, 3, 30), "type": "call",
                             "opportunity_id": "o1"}])
    report = check_hygiene(store.ibis, model, HygieneRequest(as_of=NOW))
    status = {s.key: s for s in report.rules}
    assert status["weak_calls"].checked and status["weak_calls"].flagged == 0
    assert status["unscored"].flagged == 1 and "no such column yet" in status["unscored"].note
