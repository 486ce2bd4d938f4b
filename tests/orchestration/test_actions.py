"""What each step does to the book, once: owners (with the audit trail), tasks with due dates,
fields, opportunities in the first open stage, list and sequence members, touches at the
signal's time; branches; waits on the clock; and nothing done twice by a second worker."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.orchestration.conftest import T0, drain, event, rows, runs, send, work, worker

EVENT_AT = T0 - timedelta(hours=3)
"""When the signal happened (the worker runs at T0)."""

PLAY = """
- key: demo_play
  trigger:
    event: {type: demo_request, subject: account}
  steps:
    - assign: {owner: "'u2'"}
    - create_task: {subject: "Call {name} about the {event_type}", due_in: 2d}
    - update_field: {field: type, value: "'target'"}
    - create_opportunity: {amount: "employees * 10"}
    - add_to_list: {list: abm_tier_1, members: contacts}
    - add_to_sequence: {sequence: enterprise_intent, members: contacts}
    - log_touch: {touch_type: demo_request, channel: web}
"""


def play(book, workflows, clock):
    model = workflows(PLAY)
    send(book, event("demo_request", EVENT_AT, "d1", account_id="A1"))
    work(book, model, clock)
    return model


def counts(book) -> dict[str, int]:
    return {table: rows(book, f"SELECT count(*) AS n FROM {table}")[0]["n"]
            for table in ("_tasks", "_list_members", "touches", "opportunities", "_audit_log", "_workflow_runs",
                          "_workflow_steps", "_workflow_attempts", "_routing_decisions")}


def test_every_step_of_the_play_happens(book, workflows, clock):
    play(book, workflows, clock)
    [run] = runs(book)
    assert run["status"] == "completed"
    assert [(s["position"], s["status"]) for s in rows(
        book, "SELECT position, status FROM _workflow_steps ORDER BY created_at, position")] == [
        (str(i), "done") for i in range(7)]


def test_assign_changes_the_owner_and_leaves_an_audit_row(book, workflows, clock):
    play(book, workflows, clock)
    assert rows(book, "SELECT owner_id FROM accounts WHERE account_id = 'A1'") == [{"owner_id": "u2"}]
    [audit] = rows(book, "SELECT * FROM _audit_log WHERE action = 'workflow.assign'")
    assert (audit["entity"], audit["entity_id"]) == ("accounts", "A1")
    assert json.loads(audit["before"]) == {"owner_id": "u1"} and json.loads(audit["after"]) == {"owner_id": "u2"}
    assert audit["source"].startswith("workflow:demo_play:")
    assert audit["changed_at"] == T0


def test_the_task_goes_to_the_new_owner_due_after_its_delay(book, workflows, clock):
    play(book, workflows, clock)
    [task] = rows(book, "SELECT * FROM _tasks")
    assert task["subject"] == "Call Big Co about the demo_request"
    assert (task["owner_id"], task["table_name"], task["record_id"], task["status"]) == ("u2", "accounts", "A1", "open")
    assert task["due_at"] == T0 + timedelta(days=2)


def test_update_field_writes_the_value_with_an_audit_row(book, workflows, clock):
    play(book, workflows, clock)
    assert rows(book, "SELECT type FROM accounts WHERE account_id = 'A1'") == [{"type": "target"}]
    [audit] = rows(book, "SELECT before, after FROM _audit_log WHERE action = 'workflow.update_field'")
    assert json.loads(audit["after"]) == {"type": "target"}


def test_the_opportunity_opens_in_the_first_open_stage(book, workflows, clock):
    model = play(book, workflows, clock)
    [opp] = rows(book, "SELECT * FROM opportunities")
    assert opp["stage"] == model.open_stages[0].key == "discovery"
    assert (opp["account_id"], opp["owner_id"], opp["amount"]) == ("A1", "u2", 50_000)
    assert opp["name"] == "Big Co - new business"


def test_list_and_sequence_members_are_the_accounts_current_contacts(book, workflows, clock):
    play(book, workflows, clock)
    members = rows(book, "SELECT list_kind, list_name, member_table, member_id FROM _list_members "
                         "ORDER BY list_kind, member_id")
    assert members == [  # C9 left the company; C3 belongs to another account
        {"list_kind": "list", "list_name": "abm_tier_1", "member_table": "contacts", "member_id": "C1"},
        {"list_kind": "list", "list_name": "abm_tier_1", "member_table": "contacts", "member_id": "C2"},
        {"list_kind": "sequence", "list_name": "enterprise_intent", "member_table": "contacts", "member_id": "C1"},
        {"list_kind": "sequence", "list_name": "enterprise_intent", "member_table": "contacts", "member_id": "C2"},
    ]


def test_the_touch_is_logged_at_the_signals_time(book, workflows, clock):
    play(book, workflows, clock)
    [touch] = rows(book, "SELECT * FROM touches")
    assert (touch["account_id"], touch["touch_type"], touch["channel"]) == ("A1", "demo_request", "web")
    assert touch["occurred_at"] == EVENT_AT


def test_a_second_worker_and_the_same_events_again_change_nothing(book, workflows, clock):
    model = play(book, workflows, clock)
    before = counts(book)
    work(book, model, clock)                                                 # a second worker
    send(book, event("demo_request", EVENT_AT, "d1", account_id="A1"))       # the sender retries
    with worker(book, model, clock) as orchestrator:
        assert drain(orchestrator) == 0 and orchestrator.stats.runs_started == 0
    clock.advance(days=3)
    work(book, model, clock)
    assert counts(book) == before


def test_a_run_stopped_midway_resumes_after_its_last_done_step(book, workflows, clock):
    model = workflows(PLAY)
    send(book, event("demo_request", EVENT_AT, "d1", account_id="A1"))
    with worker(book, model, clock) as orchestrator:
        for _ in range(3):  # each pass does one step of the run (the first also starts it)
            orchestrator.work_once()
    assert rows(book, "SELECT count(*) AS n FROM _workflow_steps WHERE status = 'done'") == [{"n": 3}]
    work(book, model, clock)
    assert runs(book)[0]["status"] == "completed"
    assert rows(book, "SELECT count(*) AS n FROM _tasks") == [{"n": 1}]
    assert rows(book, "SELECT count(*) AS n FROM _audit_log WHERE action = 'workflow.assign'") == [{"n": 1}]


def test_if_takes_the_branch_its_condition_picks(book, workflows, clock):
    model = workflows("""
    - key: size_up
      trigger:
        event: {type: signup, subject: account}
      steps:
        - if: "employees >= 1000"
          then:
            - update_field: {field: type, value: "'enterprise'"}
            - if: "employees >= 10000"
              then: [{add_to_list: {list: giants}}]
              else: [{add_to_list: {list: large}}]
          else:
            - update_field: {field: type, value: "'smb'"}
        - log_touch: {touch_type: signup}
    """)
    send(book, event("signup", T0, "s1", account_id="A1"), event("signup", T0, "s2", account_id="A2"))
    work(book, model, clock)
    assert rows(book, "SELECT account_id, type FROM accounts WHERE account_id IN ('A1', 'A2') ORDER BY 1") == [
        {"account_id": "A1", "type": "enterprise"}, {"account_id": "A2", "type": "smb"}]
    assert rows(book, "SELECT list_name, member_id FROM _list_members") == [{"list_name": "large", "member_id": "A1"}]
    assert rows(book, "SELECT account_id FROM touches ORDER BY 1") == [{"account_id": "A1"}, {"account_id": "A2"}]
    assert {r["status"] for r in runs(book)} == {"completed"}


def test_when_turns_down_records_that_do_not_qualify(book, workflows, clock):
    model = workflows("""
    - key: big_only
      trigger:
        event: {type: signup, subject: account}
      when: "employees >= 1000 and event_type = 'signup'"
      steps: [{log_touch: {}}]
    """)
    send(book, event("signup", T0, "s1", account_id="A1"), event("signup", T0, "s2", account_id="A2"),
         event("signup", T0, "s3", account_id="NOT_IN_THE_BOOK"))
    work(book, model, clock)
    assert [r["subject_id"] for r in runs(book)] == ["A1"]


def test_wait_holds_the_run_until_the_clock_reaches_it(book, workflows, clock):
    model = workflows("""
    - key: nudge
      trigger:
        event: {type: signup, subject: account}
      steps:
        - log_touch: {touch_type: signup}
        - wait: 2h
        - update_field: {field: type, value: "'nudged'"}
    """)
    send(book, event("signup", T0, "s1", account_id="A2"))
    with worker(book, model, clock) as orchestrator:
        drain(orchestrator)
        assert runs(book)[0]["status"] == "waiting"
        clock.advance(hours=1, minutes=59)
        drain(orchestrator)
        assert rows(book, "SELECT type FROM accounts WHERE account_id = 'A2'") == [{"type": None}]
    clock.advance(minutes=1)
    work(book, model, clock)  # a new worker picks the waiting step up from the store
    assert rows(book, "SELECT type FROM accounts WHERE account_id = 'A2'") == [{"type": "nudged"}]
    assert runs(book)[0]["status"] == "completed"


def test_a_lead_workflow_assigns_through_the_routing_graph(book, workflows, clock):
    model = workflows("""
    - key: reroute
      trigger:
        event: {type: form_submitted}
      steps:
        - assign: {owner: "route:triage"}
        - create_task: {subject: "Follow up {email}", owner: manager}
    """)
    send(book, event("form_submitted", T0, "f1", email="lee@startup.io"))
    work(book, model, clock)
    assert rows(book, "SELECT owner_id FROM leads WHERE lead_id = 'L1'") == [{"owner_id": "revops_triage"}]
    [decision] = rows(book, "SELECT lead_id FROM _routing_decisions")
    assert decision["lead_id"] == "L1"
    [step] = rows(book, "SELECT status, error FROM _workflow_steps WHERE action = 'create_task'")
    assert step["status"] == "dead" and "has no manager" in step["error"]  # revops_triage is a queue


def test_a_step_that_cannot_succeed_goes_to_the_dead_letters_with_the_reason(book, workflows, clock):
    model = workflows("""
    - key: lists_for_leads
      trigger:
        event: {type: form_submitted}
      steps:
        - add_to_list: {list: colleagues, members: contacts}
        - log_touch: {}
    """)
    send(book, event("form_submitted", T0, "f1", lead_id="L1"))
    work(book, model, clock)
    [run] = runs(book)
    assert run["status"] == "failed"
    [step] = rows(book, "SELECT status, attempts, error FROM _workflow_steps")
    assert (step["status"], step["attempts"]) == ("dead", 1)
    assert "has no account" in step["error"]
    assert rows(book, "SELECT count(*) AS n FROM touches") == [{"n": 0}]


def test_an_opportunity_from_a_lead_is_named_after_its_company(book, workflows, clock):
    model = workflows("""
    - key: demo_to_deal
      trigger:
        event: {type: demo_request}
      steps:
        - create_opportunity: {amount: "5000"}
    """)
    send(book, event("demo_request", T0, "d1", lead_id="L1"))
    work(book, model, clock)  # L1 has no account yet: a deal cannot be made
    [dead] = rows(book, "SELECT status, error FROM _workflow_steps")
    assert dead["status"] == "dead" and "has no account" in dead["error"]
    assert rows(book, "SELECT count(*) AS n FROM opportunities") == [{"n": 0}]

    book.con.execute("UPDATE leads SET converted_account_id = 'A2' WHERE lead_id = 'L1'")
    send(book, event("demo_request", T0, "d2", lead_id="L1"))
    work(book, model, clock)
    [opp] = rows(book, "SELECT name, lead_id, account_id, owner_id, amount, close_date FROM opportunities")
    assert opp == {"name": "Startup - new business", "lead_id": "L1", "account_id": "A2", "owner_id": "u2",
                   "amount": 5000, "close_date": (clock() + timedelta(days=90)).date()}
