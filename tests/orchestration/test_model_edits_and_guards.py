"""A revops.yaml edited while runs wait: the waiting step that is gone (or is now another
action) goes to the dead-letter queue with the reason, other runs go on, the worker never
stops. Steps refuse to do harm: a task for nobody, a CRM field cleared because revops has no
value. A step that moves a lead's lifecycle stage stamps its date and records the move."""

from __future__ import annotations

from datetime import timedelta

from tests.orchestration.conftest import T0, drain, event, model_of, rows, runs, send, worker

WAITING = """
workflows:
  - key: nurture
    trigger: {event: {type: signup, subject: account}}
    steps:
      - log_touch: {touch_type: first}
      - wait: 1h
      - log_touch: {touch_type: second}
  - key: other
    trigger: {event: {type: signup, subject: account}}
    steps:
      - wait: 1h
      - log_touch: {touch_type: other}
"""


def test_a_waiting_step_removed_from_the_model_is_dead_lettered_and_others_go_on(book, tmp_path, clock):
    send(book, event("signup", T0, "s1", account_id="A1"))
    with worker(book, model_of(tmp_path, WAITING), clock) as orchestrator:
        drain(orchestrator)  # both runs now wait an hour
    edited = model_of(tmp_path, WAITING.replace("      - wait: 1h\n      - log_touch: {touch_type: second}\n", ""))
    clock.advance(hours=2)
    with worker(book, edited, clock) as orchestrator:
        drain(orchestrator)
    by = {r["workflow"]: r["status"] for r in runs(book)}
    assert by == {"nurture": "failed", "other": "completed"}
    [dead] = rows(book, "SELECT position, error FROM _workflow_steps WHERE status = 'dead'")
    assert dead["position"] == "1" and "revops.yaml changed" in dead["error"]


def test_a_waiting_step_that_became_another_action_is_not_done_as_the_new_one(book, tmp_path, clock):
    send(book, event("signup", T0, "s1", account_id="A1"))
    with worker(book, model_of(tmp_path, WAITING), clock) as orchestrator:
        drain(orchestrator)
    swapped = model_of(tmp_path, WAITING.replace("      - wait: 1h\n      - log_touch: {touch_type: second}",
                                                 "      - log_touch: {touch_type: swapped}\n      - wait: 1h", 1))
    clock.advance(hours=2)
    with worker(book, swapped, clock) as orchestrator:
        drain(orchestrator)
    assert rows(book, "SELECT count(*) AS n FROM touches WHERE touch_type = 'swapped'") == [{"n": 0}]
    assert "is now log_touch, not wait" in rows(book, "SELECT error FROM _workflow_steps WHERE status = 'dead'")[0]["error"]


def test_a_task_for_nobody_is_refused(book, workflows, clock):
    model = workflows("""
    - key: task
      trigger: {event: {type: signup, subject: account}}
      steps: [{create_task: {subject: "Call", owner: "parent_account_id"}}]
    """)
    send(book, event("signup", T0, "s1", account_id="A1"))
    with worker(book, model, clock) as orchestrator:
        drain(orchestrator)
    assert rows(book, "SELECT count(*) AS n FROM _tasks") == [{"n": 0}]
    assert "gives no user" in rows(book, "SELECT error FROM _workflow_steps")[0]["error"]


def test_a_lifecycle_move_stamps_the_date_and_records_the_move(book, workflows, clock):
    model = workflows("""
    - key: mql
      trigger: {event: {type: demo_request}}
      steps: [{update_field: {field: status, value: "'mql'"}}]
    """)
    send(book, event("demo_request", T0, "d1", lead_id="L1"))
    with worker(book, model, clock) as orchestrator:
        drain(orchestrator)
    assert rows(book, "SELECT status, mql_at FROM leads WHERE lead_id = 'L1'") == [{"status": "mql", "mql_at": clock()}]
    moves = rows(book, "SELECT from_stage, to_stage, changed_at FROM _lifecycle_events WHERE lead_id = 'L1'")
    assert moves == [{"from_stage": None, "to_stage": "mql", "changed_at": clock()}]


def test_a_status_that_is_not_a_lifecycle_stage_is_a_validation_error(tmp_path):
    from revops.model.loader import check

    path = tmp_path / "bad.yaml"
    path.write_text("""workflows:
  - key: bad
    trigger: {event: {type: demo_request}}
    steps: [{update_field: {field: status, value: "'MQL'"}}]
""")
    _, issues = check(path)
    [issue] = [i for i in issues if i.is_error]
    assert issue.line == 4 and "'MQL' is not a lifecycle stage" in issue.message and "mql" in issue.message
