"""The same lead twice, by lead_id or by Idempotency-Key, gets the first answer and changes
nothing: no second decision, no second row, the rotation does not move."""

from __future__ import annotations

import httpx

from tests.api.conftest import ADMIN_TOKEN, hot_smb_lead, serving, stored


def test_the_same_lead_id_again_returns_the_first_answer_and_changes_nothing(org_db):
    with serving(org_db) as api:
        first = api.post("/v1/leads", json=hot_smb_lead("L1"))
        again = api.post("/v1/leads", json={**hot_smb_lead("L1"), "company_size": 5000, "title": "Intern"})
        next_lead = api.post("/v1/leads", json=hot_smb_lead("L2"))
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    # the rotation moved once: L2 is the second rep's turn
    assert first.json()["assigned_to"] == "smb_chi" and next_lead.json()["assigned_to"] == "smb_ny"
    [lead] = stored(org_db, "SELECT company_size, title FROM leads WHERE lead_id = 'L1'")
    assert (lead["company_size"], lead["title"]) == (150, "VP Sales")
    assert stored(org_db, "SELECT count(*) AS n FROM _routing_decisions WHERE lead_id = 'L1'")[0]["n"] == 1
    assert stored(org_db, "SELECT count(*) AS n FROM touches WHERE lead_id = 'L1'")[0]["n"] == 2


def test_the_same_idempotency_key_returns_the_first_answer_even_for_another_lead(org_db):
    with serving(org_db) as api:
        first = api.post("/v1/leads", json=hot_smb_lead("L1"), headers={"Idempotency-Key": "form-4411"})
        retry = api.post("/v1/leads", json=hot_smb_lead("L1-retry"), headers={"Idempotency-Key": "form-4411"})
    assert retry.content == first.content and retry.json()["lead_id"] == "L1"
    assert [r["lead_id"] for r in stored(org_db, "SELECT lead_id FROM leads")] == ["L1"]
    [key] = stored(org_db, "SELECT key, lead_id FROM _idempotency")
    assert (key["key"], key["lead_id"]) == ("form-4411", "L1")


def test_answers_survive_a_restart(org_db):
    with serving(org_db) as api:
        first = api.post("/v1/leads", json=hot_smb_lead("L1"), headers={"Idempotency-Key": "k1"})
    with serving(org_db) as api:  # a new server: nothing in memory, the store remembers
        by_id = api.post("/v1/leads", json=hot_smb_lead("L1"))
        by_key = api.post("/v1/leads", json=hot_smb_lead("L9"), headers={"Idempotency-Key": "k1"})
        fresh = api.post("/v1/leads", json=hot_smb_lead("L2"))
    assert by_id.content == first.content and by_key.content == first.content
    assert fresh.json()["assigned_to"] == "smb_ny"  # the rotation carried on from the store
    assert stored(org_db, "SELECT count(*) AS n FROM _routing_decisions")[0]["n"] == 2


def test_duplicates_arriving_together_are_taken_once(org_db):
    from concurrent.futures import ThreadPoolExecutor

    def post(base_url: str) -> httpx.Response:
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
            return client.post("/v1/leads", json=hot_smb_lead("L1"))

    with serving(org_db) as api:
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(post, [api.base_url] * 32))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 31
    assert stored(org_db, "SELECT count(*) AS n FROM _routing_decisions")[0]["n"] == 1
    assert stored(org_db, "SELECT count(*) AS n FROM leads")[0]["n"] == 1
