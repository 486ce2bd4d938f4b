"""`POST /v1/opportunities/{id}/stage`: a deal moved through its stage gate by the API's single
writer — the same JSON as `revops deal move`, nothing changed on a refusal, the bearer token
honoured, and moves racing each other (and leads) landing one after the other."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import httpx
import pytest

from revops.api.intake import LeadIntake
from revops.engines.deals.moves import MoveRefused, StageMove
from revops.store import Store
from tests.api.conftest import ORG_TEAMS, ORG_TERRITORIES, ORG_USERS, TUESDAY_11AM_NY, build_store, serving, stored
from tests.gtm import with_gate

SOURCE = "POST /v1/opportunities/{opportunity_id}/stage"


def opp(opportunity_id: str, stage: str, owner: str = "smb_ny", **fields):
    return {"opportunity_id": opportunity_id, "account_id": "acme", "owner_id": owner, "stage": stage,
            "amount": 50000.0, "close_date": date(2026, 9, 30), "created_at": datetime(2026, 4, 1),
            "next_step": "Demo", "contact_id": "c1", "forecast_category": "pipeline", **fields}


@pytest.fixture
def deals_db(tmp_path):
    deals = [opp("o1", "solution"), opp("bare", "solution", next_step=None, amount=None),
             *[opp(f"r{i}", "discovery", owner="smb_chi") for i in range(20)]]
    return build_store(tmp_path / "deals.duckdb", users=ORG_USERS, teams=ORG_TEAMS, territories=ORG_TERRITORIES,
                       opportunities=deals)


def everything(db):
    return (stored(db, "SELECT * FROM opportunities ORDER BY opportunity_id"),
            stored(db, "SELECT * FROM opportunity_history ORDER BY history_id"))


def test_a_move_is_answered_like_the_cli_and_stored_with_its_history(deals_db):
    with serving(deals_db) as api:
        r = api.post("/v1/opportunities/o1/stage", json={"stage": "negotiation", "set": {"amount": "$48,000"},
                                                          "changed_by": "maya"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"opportunity_id": "o1", "stage": "negotiation", "from_stage": "solution",
            "skipped_stages": ["proposal"]}.items() <= body.items()
    assert body["changed_at"] == "2026-05-12T15:00:00Z"  # the intake's clock
    history = stored(deals_db, "SELECT * FROM opportunity_history")
    assert [(h["opportunity_id"], h["stage"], h["amount"], h["changed_by"], h["source"]) for h in history] == [
        ("o1", "negotiation", 48000.0, "maya", SOURCE)]
    assert stored(deals_db, "SELECT stage, forecast_category FROM opportunities WHERE opportunity_id = 'o1'") == [
        {"stage": "negotiation", "forecast_category": "commit"}]


def test_a_refused_move_gets_409_with_the_cli_body_and_changes_nothing(deals_db):
    before = everything(deals_db)
    with serving(deals_db) as api:
        r = api.post("/v1/opportunities/bare/stage", json={"stage": "negotiation", "set": {"close_date": "2026-01-05"}})
    assert r.status_code == 409
    assert r.json() == {"error": "stage_gate", "missing": ["amount", "next_step"],
                        "failed": ["amount > 0", "close_date >= today()"]}
    assert everything(deals_db) == before


@pytest.mark.parametrize(("path", "payload", "status", "error"), [
    ("/v1/opportunities/ghost/stage", {"stage": "proposal"}, 404, "unknown_opportunity"),
    ("/v1/opportunities/o1/stage", {"stage": "propsal"}, 422, "unknown_stage"),
    ("/v1/opportunities/o1/stage", {"stage": "proposal", "set": {"amount": "lots", "amont": 1}}, 422, "invalid_value"),
])
def test_unknown_deals_stages_and_bad_values(deals_db, path, payload, status, error):
    before = everything(deals_db)
    with serving(deals_db) as api:
        r = api.post(path, json=payload)
    assert r.status_code == status and r.json()["error"] == error and r.json()["detail"]
    assert everything(deals_db) == before


def test_a_malformed_body_gets_the_api_s_422(deals_db):
    with serving(deals_db) as api:
        r = api.post("/v1/opportunities/o1/stage", json={"set": {"amount": [1, 2]}, "stgae": "x"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} >= {"stage", "stgae"}


def test_the_bearer_token_is_required_when_set(deals_db):
    with serving(deals_db, token="s3cret") as api:
        none = api.post("/v1/opportunities/o1/stage", json={"stage": "proposal"})
        wrong = api.post("/v1/opportunities/o1/stage", json={"stage": "proposal"},
                         headers={"Authorization": "Bearer guess"})
        right = api.post("/v1/opportunities/o1/stage", json={"stage": "proposal"},
                         headers={"Authorization": "Bearer s3cret"})
    assert (none.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert len(stored(deals_db, "SELECT * FROM opportunity_history")) == 1


def test_moves_racing_each_other_and_leads_land_one_after_the_other(deals_db):
    stages = ["qualification", "solution", "discovery"]
    with serving(deals_db) as api:
        def client(i: int) -> list[tuple[str, int, dict]]:
            out = []
            with httpx.Client(base_url=api.base_url, timeout=60, headers=api.headers) as own:
                for k in range(6):
                    deal = f"r{i}" if k % 2 else "r0"  # its own deal, and r0 that everyone moves
                    stage = stages[(i + k) % 3]
                    r = own.post(f"/v1/opportunities/{deal}/stage", json={"stage": stage})
                    out.append((deal, r.status_code, r.json()))
                    own.post("/v1/leads", json={"lead_id": f"L{i}-{k}", "company_size": 100, "country": "US"})
            return out

        with ThreadPoolExecutor(12) as pool:
            answers = [a for batch in pool.map(client, range(12)) for a in batch]
    assert {status for _, status, _ in answers} == {200}
    moved = [body for _, _, body in answers if body["history_id"] is not None]
    history = stored(deals_db, "SELECT history_id, opportunity_id, stage FROM opportunity_history")
    assert sorted(h["history_id"] for h in history) == sorted(b["history_id"] for b in moved)
    # r0's moves form one chain from discovery to where it ended: each started where the one before
    # left it, so the stages moved from, plus the last, are the stages moved to, plus the first
    r0 = [b for b in moved if b["opportunity_id"] == "r0"]
    final = stored(deals_db, "SELECT stage FROM opportunities WHERE opportunity_id = 'r0'")[0]["stage"]
    assert Counter([b["from_stage"] for b in r0] + [final]) == Counter([b["stage"] for b in r0] + ["discovery"])
    assert len(stored(deals_db, "SELECT lead_id FROM leads")) == 72


def test_routing_counts_a_rep_s_open_deals_as_they_move(tmp_path, default_model):
    db = build_store(tmp_path / "counts.duckdb", users=ORG_USERS, opportunities=[opp("o1", "solution"),
                                                                               opp("o2", "proposal")])
    with Store(db) as store:
        intake = LeadIntake.start(store, default_model, clock=lambda: TUESDAY_11AM_NY)
        try:
            rep = intake.desk.router.state.reps["smb_ny"]
            assert rep.open_opportunities == 2
            intake.submit_stage_move(StageMove("o1", "closed_lost", {"lost_reason": "price"})).result(30)
            assert rep.open_opportunities == 1 and rep.record["open_opportunities"] == 1
            with pytest.raises(MoveRefused):  # refused: the count stays
                intake.submit_stage_move(StageMove("o2", "closed_lost")).result(30)
            intake.submit_stage_move(StageMove("o1", "discovery")).result(30)  # reopened
            assert rep.open_opportunities == 2
        finally:
            intake.close()


def test_a_gate_reading_history_leaves_the_writer_able_to_take_leads(tmp_path, default_model):
    model = with_gate(default_model, "proposal", ["days_since_last_activity < 30", "close_date_pushes < 3"])
    db = build_store(tmp_path / "gate.duckdb", users=ORG_USERS, opportunities=[opp("o1", "solution")],
                     activities=[{"activity_id": "a1", "occurred_at": datetime(2026, 5, 1), "opportunity_id": "o1"}],
                     opportunity_history=[{"history_id": "h1", "opportunity_id": "o1", "stage": "solution",
                                           "changed_at": datetime(2026, 4, 1)}])
    with Store(db) as store:
        intake = LeadIntake.start(store, model, clock=lambda: TUESDAY_11AM_NY)
        try:
            moved = intake.submit_stage_move(StageMove("o1", "proposal")).result(30)
            taken = intake.submit_lead({"lead_id": "L1", "company_size": 100}).result(30)
        finally:
            intake.close()
        assert b'"stage":"proposal"' in moved.body and taken.lead_id == "L1"
        assert store.query("SELECT lead_id FROM leads") == [{"lead_id": "L1"}]


def meddicc_model(default_model):
    """Negotiation needs an economic buyer and a finished security review (custom fields)."""
    from tests.gtm import with_custom_fields, with_requirements

    declared = with_custom_fields(default_model, opportunities={
        "economic_buyer": "string", "security_review_done": "boolean", "seats": "integer"})
    return with_requirements(declared, "negotiation", ["economic_buyer"], ["security_review_done = true"])


def test_a_gate_on_custom_fields_refuses_then_allows_a_move_that_sets_them(deals_db, default_model):
    model = meddicc_model(default_model)
    before = everything(deals_db)
    with serving(deals_db, model) as api:
        refused = api.post("/v1/opportunities/o1/stage", json={"stage": "negotiation", "set": {"seats": 12}})
    assert refused.status_code == 409
    assert refused.json() == {"error": "stage_gate", "missing": ["economic_buyer"],
                              "failed": ["security_review_done = true"]}
    assert everything(deals_db) == before and stored(deals_db, "SELECT * FROM _custom_fields") == []
    with serving(deals_db, model) as api:
        moved = api.post("/v1/opportunities/o1/stage", json={"stage": "negotiation", "set": {
            "economic_buyer": "Jane Doe", "security_review_done": True, "seats": 12}})
        assert moved.status_code == 200, moved.text
        # the writer goes on taking leads after adding the columns in its transaction
        assert api.post("/v1/leads", json={"lead_id": "L1", "company_size": 100}).status_code in (200, 201)
    assert set(moved.json()["changed_fields"]) >= {"economic_buyer", "security_review_done", "seats"}
    assert stored(deals_db, "SELECT economic_buyer, security_review_done, seats FROM opportunities "
                            "WHERE opportunity_id = 'o1'") == [
        {"economic_buyer": "Jane Doe", "security_review_done": True, "seats": 12}]
    assert stored(deals_db, "SELECT column_name, type, first_seen_file FROM _custom_fields ORDER BY 1") == [
        {"column_name": name, "type": ftype, "first_seen_file": SOURCE}
        for name, ftype in (("economic_buyer", "string"), ("seats", "integer"), ("security_review_done", "boolean"))]


def test_a_custom_value_that_does_not_fit_gets_422_naming_field_and_type(deals_db, default_model):
    before = everything(deals_db)
    with serving(deals_db, meddicc_model(default_model)) as api:
        r = api.post("/v1/opportunities/o1/stage", json={"stage": "proposal", "set": {
            "seats": 12.5, "security_review_done": "perhaps"}})
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    messages = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert messages["seats"] == "seats: '12.5' is not a whole number (seats is declared as integer under custom_fields)"
    assert "declared as boolean" in messages["security_review_done"]
    assert everything(deals_db) == before
    assert stored(deals_db, "SELECT * FROM _custom_fields") == []
