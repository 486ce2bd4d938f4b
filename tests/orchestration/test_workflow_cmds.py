"""The CLI contract: `revops workflows list|runs|dead|replay-dead|work --format json`."""

from __future__ import annotations

import json

from tests.conftest import run_cli
from tests.orchestration.conftest import T0, event, send, work

MODEL = """
- key: signup_followup
  label: Follow up on sign-ups
  trigger:
    event: {type: signup, subject: account}
  steps:
    - create_task: {subject: "Welcome {name}", due_in: 1d}
    - if: "employees >= 1000"
      then: [{add_to_list: {list: big_signups}}]
      else: [{webhook: {url_env: ORCH_TEST_UNSET_HOOK}}]
    - add_to_list: {list: colleagues, members: leads}
- key: never_fires
  trigger:
    score: {crosses: 90}
  steps:
    - log_touch: {}
"""


def cli(book, tmp_path, *args: str):
    result = run_cli("--db", str(book.path), "--model", str(tmp_path / "revops.yaml"), *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_list_runs_and_dead_in_json(book, workflows, clock, tmp_path):
    model = workflows(MODEL)
    # A1 takes the `then` branch; A2 the `else`, whose webhook has no URL set: dead at once.
    send(book, event("signup", T0, "s1", account_id="A1"), event("signup", T0, "s2", account_id="A2"))
    work(book, model, clock)
    book.close()

    listed = cli(book, tmp_path, "workflows", "list")
    assert [w["key"] for w in listed] == ["signup_followup", "never_fires"]
    first, second = listed
    assert (first["trigger"], first["label"], first["steps"], first["runs"]) == (
        "event", "Follow up on sign-ups", 3, 2)
    assert (first["completed"], first["failed"], first["dead_steps"]) == (1, 1, 1)
    assert first["actions"] == ["create_task", "if", "add_to_list"]
    assert (second["trigger"], second["runs"], second["when"]) == ("score", 0, "lead score crosses 90 up")

    found = cli(book, tmp_path, "workflows", "runs")
    assert sorted(r["subject_id"] for r in found) == ["A1", "A2"]
    by_account = {r["subject_id"]: r for r in found}
    big = by_account["A1"]
    assert [(s["position"], s["action"], s["status"], s["attempts"]) for s in big["steps"]] == [
        ("0", "create_task", "done", 1), ("1", "if", "done", 1), ("1.then.0", "add_to_list", "done", 1),
        ("2", "add_to_list", "done", 1)]
    assert (big["status"], by_account["A2"]["status"]) == ("completed", "failed")
    assert [(s["position"], s["status"]) for s in by_account["A2"]["steps"]] == [
        ("0", "done"), ("1", "done"), ("1.else.0", "dead")]
    assert big["steps"][0]["result"]["subject"] == "Welcome Big Co"
    assert cli(book, tmp_path, "workflows", "runs", "--workflow", "never_fires") == []
    assert [r["subject_id"] for r in cli(book, tmp_path, "workflows", "runs", "--record", "A2")] == ["A2"]

    [dead] = cli(book, tmp_path, "workflows", "dead")
    assert (dead["subject_id"], dead["action"], dead["attempts"]) == ("A2", "webhook", 1)
    assert "ORCH_TEST_UNSET_HOOK" in dead["error"] and "is not set" in dead["error"]
    replayed = cli(book, tmp_path, "workflows", "replay-dead")  # still no URL: dead again
    assert replayed["replayed"] == 1 and replayed["steps"][0]["status_now"] == "dead"
    assert cli(book, tmp_path, "workflows", "runs", "--record", "A2")[0]["steps"][-1]["attempts"] == 1
    stats = cli(book, tmp_path, "workflows", "work")
    assert (stats["runs_started"], stats["steps_done"]) == (0, 0)
