"""POST /v1/events: 202 with accepted, then duplicate for the same event_id (stored once); a
list form; 422 naming what is missing; a sender signs with REVOPS_EVENTS_SECRET instead of
an API key; the events start workflows in the server, whose runs and dead letters /v1/workflows
shows and replays."""

from __future__ import annotations

import json
import time

import pytest

from revops.access import create_key
from revops.orchestration.signing import signature
from revops.store import Store
from tests.api.conftest import ADMIN_TOKEN, ORG_USERS, build_store, serving, stored
from tests.orchestration.conftest import finished_runs, model_of

SECRET = "evt-secret-123"
MODEL = """
workflows:
  - key: intent_spike
    trigger:
      signals: {type: page_view, where: "contains(url, '/pricing')", per: account, count: 2, within: 7d}
    steps:
      - create_task: {subject: "Research {name}", due_in: 1d}
      - webhook: {url_env: ORCH_TEST_HOOK}
"""


def page_view(event_id: str, **extra) -> dict:
    return {"event_id": event_id, "type": "page_view", "occurred_at": "2026-05-12T14:00:00Z",
            "properties": {"url": "/pricing"}, "account_id": "A1", **extra}


@pytest.fixture
def events_db(tmp_path):
    db = build_store(tmp_path / "events.duckdb", users=ORG_USERS,
                     accounts=[{"account_id": "A1", "name": "Big Co", "domain": "big.com", "owner_id": "ent_na"}])
    return db


def test_an_event_is_accepted_once_then_answered_duplicate(events_db, tmp_path):
    with serving(events_db, model_of(tmp_path, MODEL), workflows=False) as api:
        first = api.post("/v1/events", json=page_view("v1"))
        again = api.post("/v1/events", json=page_view("v1"))
        many = api.post("/v1/events", json=[page_view("v2"), page_view("v1"), page_view("v3"), page_view("v2")])
        unnamed = api.post("/v1/events", json={k: v for k, v in page_view("x").items() if k != "event_id"})
        nobody = api.post("/v1/events", json={"type": "page_view", "occurred_at": "2026-05-12T14:00:00Z"})
        bad_time = api.post("/v1/events", json=page_view("v4", occurred_at="soon"))
    assert (first.status_code, first.json()) == (202, {"event_id": "v1", "status": "accepted"})
    assert (again.status_code, again.json()) == (202, {"event_id": "v1", "status": "duplicate"})
    assert many.status_code == 202
    assert many.json() == {"accepted": 2, "duplicates": 2, "events": [
        {"event_id": "v2", "status": "accepted"}, {"event_id": "v1", "status": "duplicate"},
        {"event_id": "v3", "status": "accepted"}, {"event_id": "v2", "status": "duplicate"}]}
    assert unnamed.status_code == 202 and unnamed.json()["status"] == "accepted"
    assert nobody.status_code == 422
    assert "give account_id, lead_id or email" in json.dumps(nobody.json())
    assert bad_time.status_code == 422 and "occurred_at" in json.dumps(bad_time.json())
    ids = [r["event_id"] for r in stored(events_db, "SELECT event_id FROM _events ORDER BY seq")]
    assert ids[:3] == ["v1", "v2", "v3"] and len(ids) == 4


def test_a_signed_request_needs_no_api_key_and_a_bad_signature_is_refused(events_db, tmp_path):
    with Store(events_db) as s:
        rep_key = create_key(s, "rep", user_id="smb_ny")["key"]
    with serving(events_db, model_of(tmp_path, MODEL), workflows=False, events_secret=SECRET,
                 send_token=False) as api:
        def post(event_id: str, key: str | None = None, sign_with: str | None = None, at: float | None = None):
            body = json.dumps(page_view(event_id)).encode()
            headers = {"Content-Type": "application/json"}
            if key:
                headers["Authorization"] = f"Bearer {key}"
            if sign_with:
                headers["X-Revops-Signature"] = signature(sign_with, body, int(at or time.time()))
            return api.post("/v1/events", content=body, headers=headers)

        signed = post("s1", sign_with=SECRET)
        wrong = post("s2", sign_with="not-the-secret")
        stale = post("s3", sign_with=SECRET, at=time.time() - 3600)
        neither = post("s4")
        rep = post("s5", key=rep_key)
        admin = post("s6", key=ADMIN_TOKEN)
        rep_reads_runs = api.get("/v1/workflows/runs", headers={"Authorization": f"Bearer {rep_key}"})
    assert (signed.status_code, signed.json()["status"]) == (202, "accepted")
    assert wrong.status_code == 401 and "does not match" in wrong.json()["detail"]
    assert stale.status_code == 401 and "sign again" in stale.json()["detail"]
    assert neither.status_code == 401
    assert rep.status_code == 403 and "send events" in rep.json()["detail"]
    assert admin.status_code == 202
    assert rep_reads_runs.status_code == 403
    assert [r["event_id"] for r in stored(events_db, "SELECT event_id FROM _events ORDER BY seq")] == ["s1", "s6"]


def test_events_start_workflows_in_the_server_and_dead_steps_replay(events_db, tmp_path, receiver, monkeypatch):
    monkeypatch.setenv("ORCH_TEST_HOOK", receiver.url)
    receiver.status = 400
    with serving(events_db, model_of(tmp_path, MODEL)) as api:
        api.post("/v1/events", json=[page_view("p1"), page_view("p2")])
        [run] = finished_runs(api, 1, settle=0)
        assert run["status"] == "failed"
        assert [(s["action"], s["status"], s["attempts"]) for s in run["steps"]] == [
            ("create_task", "done", 1), ("webhook", "dead", 1)]
        [dead] = api.get("/v1/workflows/dead").json()
        assert dead["action"] == "webhook" and "HTTP 400" in dead["error"]
        [listed] = api.get("/v1/workflows").json()
        assert (listed["key"], listed["failed"], listed["dead_steps"]) == ("intent_spike", 1, 1)

        receiver.status = 200
        replayed = api.post("/v1/workflows/replay-dead")
        assert replayed.status_code == 200 and replayed.json()["replayed"] == 1
        [run] = finished_runs(api, 1, settle=0)
        deadline = time.monotonic() + 10
        while run["status"] != "completed":
            assert time.monotonic() < deadline, run
            time.sleep(0.05)
            [run] = api.get("/v1/workflows/runs").json()
        assert api.get("/v1/workflows/dead").json() == []
    assert len(receiver.requests) == 2
    assert {r["headers"]["idempotency-key"] for r in receiver.requests} == {run["steps"][1]["step_key"]}
    assert stored(events_db, "SELECT count(*) AS n FROM _tasks") == [{"n": 1}]
