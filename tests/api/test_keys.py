"""API keys: made once and stored hashed, a role per key, revocable at once by an admin key;
a manager's key reaches their team; every write through the API is in the audit log with who
made it, when, and the record before and after."""

from __future__ import annotations

import hashlib
import json

import pytest

from revops.access import KeyRing, create_key
from revops.access.keys import team_members
from revops.store import Store
from tests.api.conftest import build_store, hot_smb_lead, serving, stored
from tests.api.test_opportunities import deals_db, opp  # noqa: F401  (fixture)
from tests.conftest import run_cli


def test_a_key_is_printed_once_and_only_its_hash_is_stored(org_db):
    out = run_cli("--db", str(org_db), "keys", "create", "--role", "rep", "--user", "smb_ny", "--format", "json")
    assert out.returncode == 0, out.stderr
    made = json.loads(out.stdout)
    key = made["key"]
    assert key.startswith("rvk_") and len(key) > 40 and made["role"] == "rep" and made["user_id"] == "smb_ny"
    rows = stored(org_db, "SELECT * FROM _api_keys")
    assert len(rows) == 1 and rows[0]["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in json.dumps(rows, default=str)
    listed = run_cli("--db", str(org_db), "keys", "list", "--format", "json")
    assert key not in listed.stdout and json.loads(listed.stdout)[0]["key_id"] == made["key_id"]


@pytest.mark.parametrize("args, message", [
    (["--role", "rep"], "needs --user"),
    (["--role", "boss"], "unknown role 'boss'"),
    (["--role", "rep", "--user", "nobody"], "no user 'nobody'"),
])
def test_a_key_that_cannot_be_made_says_why(org_db, args, message):
    out = run_cli("--db", str(org_db), "keys", "create", *args)
    assert out.returncode != 0 and message in out.stderr
    assert stored(org_db, "SELECT count(*) AS n FROM _api_keys")[0]["n"] == 0


def test_roles_reach_what_they_should(org_db):
    with Store(org_db) as s:
        rep = create_key(s, "rep", user_id="smb_ny")["key"]
        ops = create_key(s, "ops")["key"]
        manager = create_key(s, "manager", user_id="mgr_na")["key"]
        ring = KeyRing.load(s)
        assert ring.principal(rep).owners == {"smb_ny"}
        assert ring.principal(ops).owners is None
        # mgr_na manages the NA Enterprise team and every user reports to them
        assert ring.principal(manager).owners == {u for (u,) in s.con.execute("SELECT user_id FROM users").fetchall()}
        assert ring.principal(rep[:-1] + ("x" if rep[-1] != "x" else "y")) is None
        assert ring.principal("rvk_nope_secret") is None and ring.principal("") is None


def test_a_manager_sees_the_teams_they_manage_and_who_reports_to_them(tmp_path):
    users = [{"user_id": "m1", "role": "manager", "team": "Sales"}, {"user_id": "m2", "role": "manager", "team": "East",
             "manager_id": "m1"}, {"user_id": "a1", "role": "ae", "team": "East", "manager_id": "m2"},
             {"user_id": "a2", "role": "ae", "team": "West", "manager_id": "m3"},
             {"user_id": "a3", "role": "ae", "team": "East Sub", "manager_id": None},
             {"user_id": "m3", "role": "manager", "team": "West"}]
    teams = [{"team_id": "t1", "name": "East", "manager_id": "m2"},
             {"team_id": "t2", "name": "East Sub", "manager_id": "mx", "parent_team_id": "t1"},
             {"team_id": "t3", "name": "West", "manager_id": "m3"}]
    db = build_store(tmp_path / "t.duckdb", users=users, teams=teams)
    with Store(db) as s:
        assert team_members(s.con, "m2") == {"m2", "a1", "a3"}
        assert team_members(s.con, "m1") == {"m1", "m2", "a1"}
        assert team_members(s.con, "m3") == {"m3", "a2"}


def test_admin_keys_make_and_revoke_keys_while_the_server_runs(org_db):
    with serving(org_db) as api:
        made = api.post("/v1/keys", json={"role": "rep", "user_id": "smb_ny", "label": "phone"})
        assert made.status_code == 201, made.text
        key = made.json()["key"]
        as_rep = {"Authorization": f"Bearer {key}"}
        assert api.post("/v1/leads", json=hot_smb_lead("L1")).status_code == 200
        read = api.get("/v1/keys", headers=as_rep)
        assert read.status_code == 403 and "rep key may not list API keys" in read.json()["detail"]
        assert api.post("/v1/keys", headers=as_rep, json={"role": "admin"}).status_code == 403
        assert api.post("/v1/keys", json={"role": "rep", "user_id": "ghost"}).status_code == 422
        assert [k["key_id"] for k in api.get("/v1/keys").json()] == [made.json()["key_id"]]
        revoked = api.post(f"/v1/keys/{made.json()['key_id']}/revoke")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        assert api.get("/v1/leads/L1", headers=as_rep).status_code == 401
        assert api.post("/v1/keys/nope/revoke").status_code == 404
        audit = api.get("/v1/audit", params={"entity": "_api_keys"}).json()
    assert [a["action"] for a in audit] == ["key.revoke", "key.create"]
    assert audit[1]["after"]["role"] == "rep" and key not in json.dumps(audit)


def test_every_write_is_audited_with_who_when_before_and_after(deals_db):  # noqa: F811
    with Store(deals_db) as s:
        ops = create_key(s, "ops", label="zapier")
    auth = {"Authorization": f"Bearer {ops['key']}"}
    with serving(deals_db) as api:
        taken = api.post("/v1/leads", json=hot_smb_lead("L1"), headers=auth)
        assert taken.status_code == 200
        replay = api.post("/v1/leads", json=hot_smb_lead("L1"), headers=auth)  # the first answer again
        assert replay.headers.get("idempotent-replayed") == "true"
        assert api.post("/v1/opportunities/o1/stage", json={"stage": "negotiation", "set": {"amount": 48000}},
                        headers=auth).status_code == 200
        refused = api.post("/v1/opportunities/bare/stage", json={"stage": "negotiation"}, headers=auth)
        assert refused.status_code == 409
        assert api.patch("/v1/users/smb_chi", json={"out_of_office": True}, headers=auth).status_code == 200
        audit = api.get("/v1/audit", headers=auth).json()
    by_action = {}
    for a in audit:
        by_action.setdefault(a["action"], []).append(a)
    assert sorted(by_action) == ["lead.create", "opportunity.stage_move", "user.update"]
    assert all(a["key_id"] == ops["key_id"] and a["role"] == "ops" and a["changed_at"] for a in audit)
    create = by_action["lead.create"]
    assert len(create) == 1 and create[0]["before"] is None and create[0]["after"]["title"] == "VP Sales"
    assert create[0]["after"]["owner_id"] == taken.json()["assigned_to"]  # as routed, in the same transaction
    move = by_action["opportunity.stage_move"][0]
    assert (move["entity_id"], move["before"]["stage"], move["after"]["stage"]) == ("o1", "solution", "negotiation")
    assert (move["before"]["amount"], move["after"]["amount"]) == (50000.0, 48000.0)
    user = by_action["user.update"][0]
    assert (user["before"]["out_of_office"], user["after"]["out_of_office"]) == (False, True)
    assert len(stored(deals_db, "SELECT * FROM _audit_log")) == 3  # a replay and a refused move change nothing


def test_rep_and_manager_keys_cannot_read_the_audit_log(org_db):
    with Store(org_db) as s:
        rep = create_key(s, "rep", user_id="smb_ny")["key"]
    with serving(org_db) as api:
        r = api.get("/v1/audit", headers={"Authorization": f"Bearer {rep}"})
    assert r.status_code == 403
