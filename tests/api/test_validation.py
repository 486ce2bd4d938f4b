"""Malformed payloads get 422 naming every failing field, and nothing is stored."""

from __future__ import annotations

import pytest

from tests.api.conftest import hot_smb_lead, serving, stored


def fields(r) -> list[str]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert all(e["message"] for e in body["errors"])
    return [e["field"] for e in body["errors"]]


@pytest.mark.parametrize(("payload", "failing"), [
    ({"email": "a@b.co"}, ["lead_id"]),
    ({"lead_id": "L1", "email": "not-an-address"}, ["email"]),
    ({"lead_id": "L1", "company_size": -5}, ["company_size"]),
    ({"lead_id": "L1", "company_size": "lots"}, ["company_size"]),
    ({"lead_id": "L1", "company_size": True}, ["company_size"]),
    ({"lead_id": "L1", "created_at": "last tuesday"}, ["created_at"]),
    ({"lead_id": "L1", "Budget Size": 3}, ["Budget Size"]),
    ({"lead_id": "L1", "touches": [{"touch_typ": "form_fill"}]}, ["touches.0.touch_typ"]),
    ({"lead_id": "", "email": "x", "company_size": -1, "Bad": 1}, ["lead_id", "email", "company_size", "Bad"]),
    ({"lead_id": "L1", "status": "hot"}, ["status"]),
])
def test_each_failing_field_is_named(org_db, payload, failing):
    with serving(org_db) as api:
        r = api.post("/v1/leads", json=payload)
    assert sorted(fields(r)) == sorted(failing)
    assert stored(org_db, "SELECT count(*) AS n FROM leads")[0]["n"] == 0


def test_a_body_that_is_not_json_or_not_an_object_is_named_as_the_body(org_db):
    with serving(org_db) as api:
        broken = api.post("/v1/leads", content=b'{"lead_id": "L1",', headers={"content-type": "application/json"})
        array = api.post("/v1/leads", json=[hot_smb_lead("L1")])
        form = api.post("/v1/leads", content=b"lead_id=L1", headers={"content-type": "application/x-www-form-urlencoded"})
    assert fields(broken) == ["body"] and "JSON" in broken.json()["errors"][0]["message"]
    assert fields(array) == ["body"]
    assert fields(form) == ["body"] and "Content-Type: application/json" in form.json()["errors"][0]["message"]


def test_a_good_lead_after_a_bad_one_is_taken(org_db):
    with serving(org_db) as api:
        bad = api.post("/v1/leads", json={**hot_smb_lead("L1"), "email": "nope"})
        good = api.post("/v1/leads", json=hot_smb_lead("L1"))
    assert bad.status_code == 422 and good.status_code == 200
    assert good.json()["assigned_to"] == "smb_chi"
