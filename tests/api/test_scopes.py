"""Every /v1 request carries a key (401 without a live one), and a key sees only its scope: a
rep their own leads, deals and accounts, a manager their team's, admin and ops everything.
Outside the scope a record is 403, a list holds only what is in scope, and numbers are the
metrics layer's numbers under the scope's filter.

The book of tests/api/test_reads.py: smb_ny and smb_chi report to mgr_na; emea_ae to mgr_emea."""

from __future__ import annotations

from pathlib import Path

import pytest

from revops.access import create_key
from revops.store import Store
from tests.api.conftest import TUESDAY_11AM_NY, serving, stored
from tests.api.test_reads import DEALS, build_book, metrics_layer


@pytest.fixture
def book(tmp_path: Path):
    """(db, keys by name): a rep key for smb_ny, a manager key for mgr_na, an ops key."""
    db = build_book(tmp_path / "book.duckdb")
    with Store(db) as store:
        keys = {"rep": create_key(store, "rep", user_id="smb_ny")["key"],
                "other_rep": create_key(store, "rep", user_id="smb_chi")["key"],
                "manager": create_key(store, "manager", user_id="mgr_na")["key"],
                "emea_manager": create_key(store, "manager", user_id="mgr_emea")["key"],
                "ops": create_key(store, "ops")["key"]}
    return db, keys


def as_(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


READS = ["/v1/leads", "/v1/leads/L_ny", "/v1/opportunities", "/v1/opportunities/o_ny_1", "/v1/accounts",
         "/v1/accounts/acc_ny", "/v1/metrics?name=win_rate", "/v1/metrics/catalogue", "/v1/metrics/win_rate/explain",
         "/v1/forecast", "/v1/sla", "/v1/hygiene", "/v1/health"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer rvk_nope_nope"}, {"Authorization": "Basic abc"}])
def test_every_read_needs_a_live_key(book, headers):
    db, _ = book
    with serving(db, send_token=False) as api:
        statuses = {path: api.get(path, headers=headers).status_code for path in READS}
    assert set(statuses.values()) == {401}, statuses


def test_a_rep_reads_their_own_records_and_gets_403_for_another_reps(book):
    db, keys = book
    with serving(db) as api:
        mine = [api.get(p, headers=as_(keys["rep"])).status_code
                for p in ("/v1/leads/L_ny", "/v1/opportunities/o_ny_1", "/v1/accounts/acc_ny")]
        theirs = [api.get(p, headers=as_(keys["rep"]))
                  for p in ("/v1/leads/L_chi", "/v1/opportunities/o_chi_1", "/v1/accounts/acc_chi",
                            "/v1/leads?owner_id=smb_chi", "/v1/opportunities?owner_id=smb_chi")]
        unknown = api.get("/v1/opportunities/ghost", headers=as_(keys["rep"])).status_code
    assert mine == [200, 200, 200]
    assert [r.status_code for r in theirs] == [403] * 5
    assert "outside this key's scope" in theirs[0].json()["detail"]
    assert unknown == 404


@pytest.mark.parametrize(("who", "leads", "deals", "accounts"), [
    ("rep", ["L_ny"], ["o_ny_1", "o_ny_2", "o_ny_won"], ["acc_ny"]),
    ("manager", ["L_chi", "L_ny"], ["o_chi_1", "o_chi_lost", "o_ny_1", "o_ny_2", "o_ny_won"], ["acc_chi", "acc_ny"]),
    ("emea_manager", ["L_emea"], ["o_emea_1", "o_emea_won"], ["acc_emea"]),
    ("ops", ["L_chi", "L_emea", "L_ny", "L_triage"], sorted(d["opportunity_id"] for d in DEALS),
     ["acc_chi", "acc_emea", "acc_ny"]),
])
def test_lists_hold_only_the_records_in_scope(book, who, leads, deals, accounts):
    db, keys = book
    with serving(db) as api:
        got = [[r[k] for r in api.get(p, headers=as_(keys[who])).json()["items"]]
               for p, k in (("/v1/leads", "lead_id"), ("/v1/opportunities", "opportunity_id"),
                            ("/v1/accounts", "account_id"))]
    assert got == [leads, deals, accounts]


def test_engine_lists_hold_only_the_records_in_scope(book):
    db, keys = book
    with serving(db) as api:
        def owners(path: str, key: str, column: str = "owner_id") -> set:
            return {r[column] for r in api.get(path, headers=as_(keys[key])).json()["items"]}

        everyone_sla, rep_sla = owners("/v1/sla", "ops"), owners("/v1/sla", "rep")
        everyone_hygiene, rep_hygiene = owners("/v1/hygiene", "ops"), owners("/v1/hygiene", "rep")
        manager_hygiene = owners("/v1/hygiene", "manager")
        everyone_health, rep_health = owners("/v1/health", "ops"), owners("/v1/health", "rep")
    assert rep_sla == {"smb_ny"} < everyone_sla
    assert rep_hygiene <= {"smb_ny"} and manager_hygiene <= {"smb_ny", "smb_chi"}
    assert "emea_ae" in everyone_hygiene and "emea_ae" not in manager_hygiene
    assert rep_health <= {"smb_ny"} and "emea_ae" in everyone_health and "emea_ae" not in rep_health


def test_a_reps_metrics_are_the_metrics_layer_for_their_own_deals(book):
    db, keys = book
    expected = metrics_layer(db, ["win_rate", "won_amount", "open_pipeline"], where="owner = 'smb_ny'")
    everyone = metrics_layer(db, ["won_amount"])
    with serving(db) as api:
        mine = api.get("/v1/metrics", params={"name": ["win_rate", "won_amount", "open_pipeline"]},
                       headers=as_(keys["rep"])).json()
        narrowed = api.get("/v1/metrics", params={"name": "won_amount", "where": "segment = 'enterprise'"},
                           headers=as_(keys["rep"])).json()
        by_owner = api.get("/v1/metrics", params={"name": "won_amount", "by": "owner"},
                           headers=as_(keys["manager"])).json()
    assert mine["items"] == expected and mine["where"] == "owner in ('smb_ny')"
    assert {r["metric"]: r["value"] for r in expected}["won_amount"] == 30000.0 < everyone[0]["value"]
    assert narrowed["where"] == "(owner in ('smb_ny')) and (segment = 'enterprise')"
    assert {r["owner"] for r in by_owner["items"]} <= {"mgr_na", "smb_ny", "smb_chi", "sdr_na", "mm_ae_na", "ent_na"}


def test_the_forecast_gives_a_rep_their_row_and_a_manager_their_team(book):
    db, keys = book
    with serving(db) as api:
        rep = api.get("/v1/forecast", headers=as_(keys["rep"])).json()
        manager = api.get("/v1/forecast", headers=as_(keys["emea_manager"])).json()
        ops = api.get("/v1/forecast", headers=as_(keys["ops"])).json()
    assert [r["user_id"] for r in rep["rows"]] == ["smb_ny"] and rep["company"] is None
    assert [r["user_id"] for r in manager["rows"]] == ["mgr_emea", "emea_ae"]
    assert ops["rows"][0]["user_id"] == "(company)" and ops["company"]["closed_won"] == 100000.0
    assert {r["user_id"]: r["closed_won"] for r in ops["rows"]}["smb_ny"] == rep["rows"][0]["closed_won"]


def test_a_rep_moves_their_own_deals_only(book):
    db, keys = book
    with serving(db) as api:
        theirs = api.post("/v1/opportunities/o_chi_1/stage", json={"stage": "qualification"},
                          headers=as_(keys["rep"]))
        mine = api.post("/v1/opportunities/o_ny_1/stage", json={"stage": "proposal"}, headers=as_(keys["rep"]))
        ghost = api.post("/v1/opportunities/ghost/stage", json={"stage": "proposal"}, headers=as_(keys["rep"]))
        team = api.post("/v1/opportunities/o_chi_1/stage", json={"stage": "qualification", "changed_by": "maya"},
                        headers=as_(keys["manager"]))
        outside = api.post("/v1/opportunities/o_emea_1/stage", json={"stage": "closed_won"},
                           headers=as_(keys["manager"]))
    assert theirs.status_code == 403 and outside.status_code == 403
    assert mine.status_code == 200 and team.status_code == 200, (mine.text, team.text)
    assert ghost.status_code == 404 and ghost.json()["error"] == "unknown_opportunity"
    history = stored(db, "SELECT opportunity_id, stage, changed_by FROM opportunity_history "
                         "WHERE source LIKE 'POST%' ORDER BY opportunity_id")
    assert history == [{"opportunity_id": "o_chi_1", "stage": "qualification", "changed_by": "maya"},
                       {"opportunity_id": "o_ny_1", "stage": "proposal", "changed_by": "smb_ny"}]
    assert stored(db, "SELECT stage FROM opportunities WHERE opportunity_id = 'o_emea_1'") == [{"stage": "negotiation"}]


def test_taking_leads_is_for_admin_and_ops(book):
    db, keys = book
    payload = {"lead_id": "NEW1", "email": "new1@acme.com", "country": "US"}
    with serving(db) as api:
        rep = api.post("/v1/leads", json=payload, headers=as_(keys["rep"]))
        manager = api.post("/v1/leads", json=payload, headers=as_(keys["manager"]))
        ops = api.post("/v1/leads", json=payload, headers=as_(keys["ops"]))
    assert (rep.status_code, manager.status_code, ops.status_code) == (403, 403, 200)
    assert "may not take leads" in rep.json()["detail"]


def test_changing_users_is_for_admin_ops_and_a_manager_of_the_user(book):
    db, keys = book
    with serving(db) as api:
        rep = api.patch("/v1/users/smb_ny", json={"out_of_office": True}, headers=as_(keys["rep"]))
        outside = api.patch("/v1/users/emea_ae", json={"out_of_office": True}, headers=as_(keys["manager"]))
        team = api.patch("/v1/users/smb_chi", json={"out_of_office": True}, headers=as_(keys["manager"]))
        ops = api.patch("/v1/users/emea_ae", json={"out_of_office": True}, headers=as_(keys["ops"]))
        read_other = api.get("/v1/users/smb_chi", headers=as_(keys["rep"])).status_code
        read_self = api.get("/v1/users/smb_ny", headers=as_(keys["rep"])).status_code
    assert (rep.status_code, outside.status_code, team.status_code, ops.status_code) == (403, 403, 200, 200)
    assert (read_other, read_self) == (403, 200)
    assert stored(db, "SELECT user_id FROM users WHERE out_of_office ORDER BY user_id") == [
        {"user_id": "emea_ae"}, {"user_id": "smb_chi"}]


def test_intake_clock_is_the_day_reads_take_as_today(book):
    """The forecast's as-of day is the server's clock (fixed in tests), as `revops forecast` takes today."""
    db, keys = book
    with serving(db) as api:
        assert api.get("/v1/forecast", headers=as_(keys["ops"])).json()["as_of"] == TUESDAY_11AM_NY.date().isoformat()
