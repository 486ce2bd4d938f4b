"""`POST /v1/leads` scores, routes and stores a lead in one call; `GET /v1/leads/{id}` reads it
back with its score parts, owner and routing decisions. Answers are worked out by hand from
the default model (see ``hot_smb_lead`` in conftest) at Tuesday 11:00 New York."""

from __future__ import annotations

from revops.store import Store
from tests.api.conftest import hot_smb_lead, serving, stored
from tests.gtm import rows_table

SMB_PATH = ["new_lead", "high_score", "mid_score", "low_score", "smb"]


def test_a_hot_small_company_lead_goes_to_the_smb_round_robin_with_its_first_contact_due(org_db):
    with serving(org_db) as api:
        r = api.post("/v1/leads", json=hot_smb_lead("L1"))
    assert r.status_code == 200, r.text
    answer = r.json()
    assert {k: answer[k] for k in ("lead_id", "score", "fit", "intent", "engagement", "mql", "band", "status")} == {
        "lead_id": "L1", "score": 60.0, "fit": 30.0, "intent": 30.0, "engagement": 0.0, "mql": True,
        "band": "warm", "status": "mql"}
    # Both SMB reps of NA are at work (New York 11:00, Chicago 10:00); the rotation starts with
    # the first of the pool in users order.
    assert answer["assigned_to"] == "smb_chi" and answer["assigned_kind"] == "user"
    assert answer["team"] == "NA Smb"
    assert answer["path"] == SMB_PATH
    assert "low_score (score=60, company_size=150): yes" in answer["reason"]
    # An MQL at 11:00 New York has 4 business hours: due 15:00 New York, 19:00 UTC.
    assert answer["sla"] == "mql_to_first_contact"
    assert answer["sla_due_at"] == "2026-05-12T19:00:00Z"
    assert answer["received_at"] == "2026-05-12T15:00:00Z"


def test_leads_take_turns_in_the_rotation_and_each_lands_in_the_store_with_its_decision(org_db):
    with serving(org_db) as api:
        owners = [api.post("/v1/leads", json=hot_smb_lead(f"L{i}")).json()["assigned_to"] for i in range(4)]
    assert owners == ["smb_chi", "smb_ny", "smb_chi", "smb_ny"]
    leads = stored(org_db, "SELECT lead_id, owner_id, status, score, assigned_at FROM leads ORDER BY lead_id")
    assert [(r["lead_id"], r["owner_id"], r["status"], r["score"]) for r in leads] == [
        ("L0", "smb_chi", "mql", 60.0), ("L1", "smb_ny", "mql", 60.0), ("L2", "smb_chi", "mql", 60.0),
        ("L3", "smb_ny", "mql", 60.0)]
    decisions = stored(org_db, "SELECT lead_id, assigned_to, trigger FROM _routing_decisions ORDER BY lead_id")
    assert [(d["lead_id"], d["assigned_to"], d["trigger"]) for d in decisions] == [
        ("L0", "smb_chi", "api"), ("L1", "smb_ny", "api"), ("L2", "smb_chi", "api"), ("L3", "smb_ny", "api")]
    moves = stored(org_db, "SELECT lead_id, from_stage, to_stage, source FROM _lifecycle_events ORDER BY lead_id")
    assert [(m["from_stage"], m["to_stage"]) for m in moves] == [("new", "mql")] * 4


def test_an_enterprise_lead_goes_to_its_territory_team(org_db):
    # fit 15 + 10 + 10 + 10 + 10 = 55, capped at 40; intent 20 + 10 = 30; engagement 3 webinars
    # x 8 = 24: 94, over 80 with 5,000 people -> enterprise AE of the US territory.
    lead = {**hot_smb_lead("E1"), "company_size": 5000,
            "touches": [{"touch_type": t} for t in ("form_fill", "pricing_page_visit", "webinar", "webinar", "webinar")]}
    with serving(org_db) as api:
        answer = api.post("/v1/leads", json=lead).json()
    assert (answer["score"], answer["fit"], answer["intent"], answer["engagement"]) == (94.0, 40.0, 30.0, 24.0)
    assert answer["assigned_to"] == "ent_na" and answer["team"] == "NA Enterprise"
    assert answer["path"] == ["new_lead", "high_score", "enterprise"]


def test_a_cold_lead_goes_to_nurture_with_no_clock_running(org_db):
    with serving(org_db) as api:
        answer = api.post("/v1/leads", json={"lead_id": "C1", "company_size": 50, "country": "US"}).json()
    assert answer["score"] == 10.0 and answer["mql"] is False and answer["status"] == "new"  # core country only
    assert answer["assigned_kind"] == "nurture" and answer["path"][-1] == "nurture"
    assert answer["sla"] is None and answer["sla_due_at"] is None
    [lead] = stored(org_db, "SELECT owner_id, assigned_at FROM leads WHERE lead_id = 'C1'")
    assert lead["owner_id"] is None and lead["assigned_at"] is not None  # parked: batch routing leaves it


def test_a_lead_assigned_below_the_mql_threshold_runs_the_routing_fallback_clock(org_db):
    # fit 30 + form fill 20 = 50: not an MQL, but over 40 with 150 people -> SMB rep; the
    # routing fallback gives the rep 4 business hours from the assignment.
    lead = {**hot_smb_lead("S1"), "touches": [{"touch_type": "form_fill"}]}
    with serving(org_db) as api:
        answer = api.post("/v1/leads", json=lead).json()
    assert answer["score"] == 50.0 and answer["mql"] is False and answer["assigned_kind"] == "user"
    assert answer["sla"] == "routing.fallback" and answer["sla_due_at"] == "2026-05-12T19:00:00Z"


def test_custom_attributes_become_custom_columns_and_computed_fields_are_ignored(org_db):
    with serving(org_db) as api:
        answer = api.post("/v1/leads", json={**hot_smb_lead("L1"), "plan_interest": "pro", "budget": 5000,
                                             "score": 99, "owner_notes": ["call", "email"]}).json()
        detail = api.get("/v1/leads/L1").json()
    assert answer["score"] == 60.0 and answer["ignored"] == ["score"]
    assert detail["lead"]["plan_interest"] == "pro" and detail["lead"]["budget"] == 5000.0
    assert detail["lead"]["owner_notes"] == '["call", "email"]'
    custom = stored(org_db, "SELECT column_name, type, first_seen_file FROM _custom_fields ORDER BY column_name")
    assert [(c["column_name"], c["type"]) for c in custom] == [
        ("budget", "number"), ("owner_notes", "string"), ("plan_interest", "string")]
    assert {c["first_seen_file"] for c in custom} == {"POST /v1/leads"}


def test_a_custom_value_that_does_not_fit_its_column_is_refused_with_the_field(org_db):
    with serving(org_db) as api:
        api.post("/v1/leads", json={**hot_smb_lead("L1"), "budget": 5000})
        r = api.post("/v1/leads", json={**hot_smb_lead("L2"), "budget": "a lot"})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["budget"]
    assert [x["lead_id"] for x in stored(org_db, "SELECT lead_id FROM leads ORDER BY lead_id")] == ["L1"]


def test_the_touches_sent_with_a_lead_are_stored_under_it(org_db):
    with serving(org_db) as api:
        api.post("/v1/leads", json={**hot_smb_lead("L1"), "touches": [
            {"touch_type": "form_fill", "touch_id": "web-77", "url": "https://acme.com/demo"},
            {"touch_type": "pricing_page_visit", "occurred_at": "2026-05-12T10:30:00-04:00"}]})
    touches = stored(org_db, "SELECT touch_id, lead_id, touch_type, occurred_at FROM touches ORDER BY touch_id")
    assert [(t["touch_id"], t["lead_id"], t["touch_type"], t["occurred_at"].isoformat()) for t in touches] == [
        ("L1-touch-2", "L1", "pricing_page_visit", "2026-05-12T14:30:00"),
        ("web-77", "L1", "form_fill", "2026-05-12T15:00:00")]


def test_get_reads_back_the_lead_with_score_parts_owner_and_routing_decision(org_db):
    with serving(org_db) as api:
        api.post("/v1/leads", json=hot_smb_lead("L1"))
        r = api.get("/v1/leads/L1")
        missing = api.get("/v1/leads/nope")
    assert r.status_code == 200
    detail = r.json()
    assert detail["lead"]["email"] == "l1@acme.com" and detail["lead"]["owner_id"] == "smb_chi"
    parts = detail["score_parts"]
    assert (parts["score"], parts["fit"], parts["intent"], parts["engagement"], parts["mql"]) == (60.0, 30.0, 30.0, 0.0, True)
    fired = {rule["rule"] for group in parts["rules_now"]["groups"] for rule in group["rules"]}
    assert fired == {"senior_title", "core_market", "target_industry", "form_fill", "pricing_page"}
    assert detail["owner"]["kind"] == "user" and detail["owner"]["user_id"] == "smb_chi"
    [decision] = detail["routing_decisions"]
    assert decision["path"] == SMB_PATH and decision["assigned_to"] == "smb_chi"
    smb_step = decision["steps"][-1]
    assert {c["user_id"]: c["outcome"] for c in smb_step["candidates"]} == {"smb_chi": "chosen", "smb_ny": "skipped"}
    assert [(m["from_stage"], m["to_stage"]) for m in detail["lifecycle_events"]] == [("new", "mql")]
    [scored] = detail["score_history"]  # its score as it arrived, for explaining it later
    assert (scored["scored_at"], scored["score"], scored["fit"], scored["intent"], scored["engagement"],
            scored["source"]) == ("2026-05-12T15:00:00Z", 60.0, 30.0, 30.0, 0.0, "api")
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]


def test_a_stored_lead_posted_again_is_updated_in_place_and_keeps_its_owner(org_db):
    with Store(org_db) as s:
        s.append("leads", rows_table("leads", [{"lead_id": "CRM-1", "email": "old@acme.com", "owner_id": "mm_ae_na",
                                                "status": "sql", "company_size": 150, "country": "US"}]))
    with serving(org_db) as api:
        answer = api.post("/v1/leads", json={"lead_id": "CRM-1", "email": "new@acme.com", "title": "VP Sales"}).json()
    assert answer["assigned_to"] == "mm_ae_na" and answer["assigned_kind"] == "kept" and answer["path"] == []
    [lead] = stored(org_db, "SELECT * FROM leads WHERE lead_id = 'CRM-1'")
    assert (lead["email"], lead["title"], lead["company_size"], lead["status"], lead["owner_id"]) == (
        "new@acme.com", "VP Sales", 150, "sql", "mm_ae_na")
    assert stored(org_db, "SELECT count(*) AS n FROM leads")[0]["n"] == 1
    assert stored(org_db, "SELECT count(*) AS n FROM _routing_decisions")[0]["n"] == 0
    assert stored(org_db, "SELECT lead_id, source FROM _score_history") == [{"lead_id": "CRM-1", "source": "api"}]


def test_health_answers_without_a_token(org_db):
    with serving(org_db, token="s3cret") as api:
        r = api.get("/health")
        z = api.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and z.status_code == 200
