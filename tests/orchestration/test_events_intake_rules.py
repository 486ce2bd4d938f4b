"""What POST /v1/events and `revops events ingest` accept: an event sent again without an id
(a retried request) is stored once; an Idempotency-Key names a single event; top-level fields
of other shapes (Segment's anonymousId, utm_source) are kept in properties; an event dated
more than a day after the server's clock is refused with the reason; REVOPS_EVENTS_SECRET
and REVOPS_WORKFLOWS are read from the environment."""

from __future__ import annotations

import json

from revops.api.settings import ApiSettings
from tests.api.conftest import serving, stored
from tests.orchestration.test_events_api import events_db  # noqa: F401  (fixture)


def view(**extra) -> dict:
    return {"type": "page_view", "occurred_at": "2026-05-12T14:00:00Z", "properties": {"url": "/pricing"},
            "account_id": "A1", **extra}


def test_a_retried_event_without_an_id_is_stored_once(events_db):  # noqa: F811
    with serving(events_db) as api:
        first = api.post("/v1/events", json=view())
        again = api.post("/v1/events", json=view())
        keyed = [api.post("/v1/events", json=view(properties={"url": "/docs"}), headers={"Idempotency-Key": "req-7"})
                 for _ in range(2)]
    assert first.status_code == again.status_code == 202
    assert first.json()["event_id"] == again.json()["event_id"] and again.json()["status"] == "duplicate"
    assert [r.json() for r in keyed] == [{"event_id": "req-7", "status": "accepted"},
                                         {"event_id": "req-7", "status": "duplicate"}]
    assert stored(events_db, "SELECT count(*) AS n FROM _events") == [{"n": 2}]


def test_other_top_level_fields_are_kept_in_properties(events_db):  # noqa: F811
    with serving(events_db) as api:
        r = api.post("/v1/events", json=view(event_id="seg1", anonymousId="anon-9", utm_source="g2"))
    assert r.status_code == 202
    [row] = stored(events_db, "SELECT properties FROM _events")
    assert json.loads(row["properties"]) == {"url": "/pricing", "anonymousId": "anon-9", "utm_source": "g2"}


def test_an_event_from_the_future_is_refused(events_db, tmp_path):  # noqa: F811
    with serving(events_db) as api:  # the server's clock: 2026-05-12 15:00 UTC
        r = api.post("/v1/events", json=view(event_id="f1", occurred_at="2026-05-20T10:00:00Z"))
    assert r.status_code == 422 and "more than a day after the server's clock" in r.text
    from revops.orchestration.events import parse_lines

    good, bad = parse_lines([json.dumps(view(occurred_at="2099-01-01T00:00:00Z")), json.dumps(view())])
    assert len(good) == 1 and bad[0].line == 1 and "more than a day" in bad[0].reason


def test_the_events_secret_and_the_worker_switch_come_from_the_environment():
    settings = ApiSettings.from_env({"REVOPS_EVENTS_SECRET": "s3", "REVOPS_WORKFLOWS": "0"})
    assert settings.events_key == "s3" and settings.workflows is False


def test_health_shows_the_workflow_worker(events_db, tmp_path):  # noqa: F811
    from tests.orchestration.conftest import model_of
    from tests.orchestration.test_events_api import MODEL

    with serving(events_db, model_of(tmp_path, MODEL)) as api:
        worker = api.get("/health").json()["workflows"]
    assert worker["running"] is True and worker["last_error"] is None and worker["steps_dead"] == 0
    with serving(events_db) as api:  # the default model has no workflows: no worker
        assert api.get("/health").json()["workflows"] is None


def test_tasks_are_read_back_and_a_rep_sees_their_own(events_db, tmp_path):  # noqa: F811
    from revops.access import create_key
    from revops.store import Store
    from tests.orchestration.conftest import finished_runs, model_of

    model = model_of(tmp_path, """
workflows:
  - key: follow_up
    trigger: {event: {type: signup, subject: account}}
    steps:
      - create_task: {subject: "Welcome {name}", owner: owner, due_in: 1d}
      - add_to_list: {list: signed_up}
""")
    with Store(events_db) as s:
        rep_key = create_key(s, "rep", user_id="smb_ny")["key"]
        other_key = create_key(s, "rep", user_id="ent_na")["key"]
    with serving(events_db, model) as api:
        api.post("/v1/events", json=view(event_id="s1", type="signup"))
        finished_runs(api, 1)
        everything = api.get("/v1/workflows/tasks").json()
        owner = api.get("/v1/workflows/tasks", headers={"Authorization": f"Bearer {other_key}"}).json()
        stranger = api.get("/v1/workflows/tasks", headers={"Authorization": f"Bearer {rep_key}"}).json()
        asked = api.get("/v1/workflows/tasks?owner_id=ent_na", headers={"Authorization": f"Bearer {rep_key}"})
        lists = api.get("/v1/workflows/lists").json()
    assert [(t["subject"], t["owner_id"], t["record_id"]) for t in everything] == [("Welcome Big Co", "ent_na", "A1")]
    assert owner == everything and stranger == [] and asked.status_code == 403
    assert [(m["list_name"], m["member_id"]) for m in lists] == [("signed_up", "A1")]
