"""Record and score triggers: a lead created through the API starts its `record` workflow; a
score crossing its threshold starts the `score` workflow once (not again while it stays above);
a workflow's own write does not start it again (another workflow may react to it)."""

from __future__ import annotations

import json

from pathlib import Path

from revops.ingest.pipeline import ingest_file
from tests.api.conftest import ORG_TEAMS, ORG_TERRITORIES, ORG_USERS, build_store, hot_smb_lead, serving, stored
from tests.orchestration.conftest import drain, finished_runs, model_of, rows, runs, worker


def test_a_lead_posted_to_the_api_starts_its_record_and_score_workflows(tmp_path):
    model = model_of(tmp_path, """
workflows:
  - key: welcome
    trigger: {record: {table: leads, on: created}}
    steps:
      - create_task: {subject: "Welcome {email}", owner: "'sdr_na'", due_in: 4h}
  - key: hot_lead
    trigger: {score: {crosses: 60}}
    steps:
      - add_to_list: {list: hot_leads}
""")
    db = build_store(tmp_path / "org.duckdb", users=ORG_USERS, teams=ORG_TEAMS, territories=ORG_TERRITORIES)
    with serving(db, model) as api:
        assert api.post("/v1/leads", json=hot_smb_lead("L_hot")).json()["score"] == 60
        cold = api.post("/v1/leads", json={"lead_id": "L_cold", "email": "cold@tiny.co", "company_size": 3})
        assert cold.json()["score"] < 60
        found = finished_runs(api, 3)
    assert sorted((r["workflow"], r["subject_id"], r["status"]) for r in found) == [
        ("hot_lead", "L_hot", "completed"), ("welcome", "L_cold", "completed"), ("welcome", "L_hot", "completed")]
    assert sorted((t["subject"], t["owner_id"]) for t in stored(db, "SELECT subject, owner_id FROM _tasks")) == [
        ("Welcome cold@tiny.co", "sdr_na"), ("Welcome l_hot@acme.com", "sdr_na")]
    assert stored(db, "SELECT member_id FROM _list_members") == [{"member_id": "L_hot"}]


def test_a_workflows_own_update_does_not_start_it_again(tmp_path):
    model = model_of(tmp_path, """
workflows:
  - key: mark_working
    trigger: {record: {table: leads, on: created_or_updated}}
    steps:
      - update_field: {field: status, value: "'sal'"}
  - key: status_watch
    trigger: {record: {table: leads, on: updated, fields: [status]}}
    steps:
      - log_touch: {touch_type: status_changed}
""")
    db = build_store(tmp_path / "org.duckdb", users=ORG_USERS, teams=ORG_TEAMS, territories=ORG_TERRITORIES)
    with serving(db, model) as api:
        api.post("/v1/leads", json=hot_smb_lead("L1"))
        found = finished_runs(api, 2, settle=1.0)
    assert sorted(r["workflow"] for r in found) == ["mark_working", "status_watch"]
    assert stored(db, "SELECT status FROM leads") == [{"status": "sal"}]
    assert stored(db, "SELECT count(*) AS n FROM touches WHERE touch_type = 'status_changed'") == [{"n": 1}]


def load(book, model, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = ingest_file(book, "leads", path, model=model, progress=False)
    assert result.quarantined == 0


def test_a_score_crossing_starts_the_workflow_once_while_it_stays_above(book, workflows, clock, tmp_path):
    model = workflows("""
    - key: hot_lead
      trigger: {score: {crosses: 60}}
      steps: [{add_to_list: {list: hot_leads}}]
    - key: owner_changed
      trigger: {record: {table: leads, on: updated, fields: [owner_id]}}
      steps: [{log_touch: {touch_type: reassigned}}]
    """)
    with worker(book, model, clock) as orchestrator:
        drain(orchestrator)  # the change feed is read from now on
        load(book, model, tmp_path, "1.csv", "lead_id,score\nL1,70\n")            # 20 -> 70: crosses
        drain(orchestrator)
        load(book, model, tmp_path, "2.csv", "lead_id,score,title\nL1,85,CTO\n")  # stays above, title changes
        drain(orchestrator)
        assert [r["workflow"] for r in runs(book)] == ["hot_lead"]
        load(book, model, tmp_path, "3.csv", "lead_id,score\nL1,40\n")            # falls back below
        drain(orchestrator)
        load(book, model, tmp_path, "4.csv", "lead_id,score,owner_id\nL1,65,u1\n")  # crosses again; new owner
        drain(orchestrator)
    assert sorted(r["workflow"] for r in runs(book)) == ["hot_lead", "hot_lead", "owner_changed"]
    # a list is a set: the second crossing's run finds the lead on it already
    assert rows(book, "SELECT count(*) AS n FROM _list_members") == [{"n": 1}]
    results = rows(book, "SELECT result FROM _workflow_steps WHERE action = 'add_to_list' ORDER BY created_at")
    assert [json.loads(r["result"])["already_in"] for r in results] == [[], ["L1"]]
