"""With REVOPS_API_TOKEN set, /v1 needs `Authorization: Bearer <token>`; without it, 401."""

from __future__ import annotations

from revops.api import ApiSettings
from tests.api.conftest import hot_smb_lead, serving, stored


def test_a_token_is_required_when_one_is_set(org_db):
    with serving(org_db, token="s3cret") as api:
        none = api.post("/v1/leads", json=hot_smb_lead("L1"))
        wrong = api.post("/v1/leads", json=hot_smb_lead("L2"), headers={"Authorization": "Bearer guess"})
        basic = api.get("/v1/leads/L1", headers={"Authorization": "Basic s3cret"})
        right = api.post("/v1/leads", json=hot_smb_lead("L3"), headers={"Authorization": "Bearer s3cret"})
        read = api.get("/v1/leads/L3", headers={"Authorization": "bearer s3cret"})
    assert (none.status_code, wrong.status_code, basic.status_code) == (401, 401, 401)
    assert none.headers["www-authenticate"] == "Bearer" and "Authorization: Bearer" in none.json()["detail"]
    assert right.status_code == 200 and read.status_code == 200
    assert [r["lead_id"] for r in stored(org_db, "SELECT lead_id FROM leads")] == ["L3"]


def test_an_unauthorised_malformed_payload_gets_401_not_422(org_db):
    with serving(org_db, token="s3cret") as api:
        r = api.post("/v1/leads", json={"email": "nope"})
    assert r.status_code == 401


def test_without_any_key_the_api_refuses_and_says_how_to_make_one(org_db):
    with serving(org_db, token=None) as api:
        r = api.post("/v1/leads", json=hot_smb_lead("L1"))
        health = api.get("/healthz")
    assert r.status_code == 401 and "revops keys create" in r.json()["detail"]
    assert health.status_code == 200


def test_the_token_comes_from_the_environment():
    settings = ApiSettings.from_env({"REVOPS_API_TOKEN": "abc", "REVOPS_API_PORT": "9001"}, db="x.duckdb")
    assert settings.token == "abc" and settings.port == 9001 and "abc" not in repr(settings)
    assert ApiSettings.from_env({}, db="x.duckdb").token is None
