"""A workflow's CRM steps reach HubSpot through the engine: the lead's owner, score and
lifecycle stage written back under HubSpot's names, and one CRM task per step however often
the step is tried (a 5xx on the first try is retried by the engine with the same key)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from revops.model.loader import check
from revops.orchestration.engine import Orchestrator
from revops.orchestration.events import EventLog, IncomingEvent
from tests.gtm import store_with

MODEL = """
workflows:
  - key: hot_signup
    trigger:
      event: {type: signup, subject: lead}
    steps:
      - crm_update: {system: hubspot, fields: {owner_id: "'7'", score: score, lifecycle_stage: "'mql'"}}
      - create_task: {subject: "Call {first_name}", owner: "'7'", due_in: 1d, crm: hubspot}
    retry: {attempts: 3, backoff_seconds: 0}
"""


def test_crm_steps_write_back_once(tmp_path: Path, hubspot_api, hubspot_env) -> None:
    hubspot_api.add("contacts", "101", datetime(2026, 1, 3), email="ava@acme.test", lifecyclestage="lead")
    (tmp_path / "revops.yaml").write_text(MODEL)
    model, issues = check(tmp_path / "revops.yaml")
    assert model is not None and not [i for i in issues if i.severity == "error"], issues
    store = store_with(tmp_path / "s.duckdb", leads=[{"lead_id": "101", "email": "ava@acme.test", "first_name": "Ava",
                                                      "score": 82.5, "created_at": datetime(2026, 1, 3)}])
    with store.transaction() as con:
        EventLog(con).append(con, [IncomingEvent(type="signup", occurred_at=datetime(2026, 1, 4), lead_id="101",
                                                 event_id="sg1")], datetime(2026, 1, 4))
    hubspot_api.fail(503, times=1)  # the first call (the write-back) fails: the engine tries it again
    worker = Orchestrator(store, model, env=hubspot_env)
    try:
        worker.run_until_idle(include_waits=True, timeout=60)
    finally:
        worker.close()
    assert hubspot_api.updates == [("contacts", "101", {"hubspot_owner_id": "7", "revops_score": "82.5",
                                                        "lifecyclestage": "marketingqualifiedlead"})]
    attempts = store.query("SELECT a.ok FROM _workflow_attempts a JOIN _workflow_steps s USING (step_key) "
                           "WHERE s.action = 'crm_update' ORDER BY a.attempt")
    assert attempts == [{"ok": False}, {"ok": True}]
    tasks = hubspot_api.tasks()
    assert len(tasks) == 1 and tasks[0]["properties"]["hs_task_subject"] == "Call Ava"
    stored = store.query("SELECT crm_system, crm_id, subject FROM _tasks")
    assert stored == [{"crm_system": "hubspot", "crm_id": tasks[0]["id"], "subject": "Call Ava"}]

    # The same step again (a worker that died before recording it) finds the task by its key.
    again = Orchestrator(store, model, env=hubspot_env)
    try:
        from revops.connectors import crm

        key = store.query("SELECT step_key FROM _workflow_steps WHERE action = 'create_task'")[0]["step_key"]
        crm("hubspot", hubspot_env).create_task(subject="Call Ava", table="leads", record_id="101", key=key)
    finally:
        again.close()
    assert len(hubspot_api.tasks()) == 1
    store.close()
