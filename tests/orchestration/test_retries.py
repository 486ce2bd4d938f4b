"""External steps against a receiver that fails: tried again with a doubling backoff under the
same Idempotency-Key, every attempt recorded; a 4xx or a spent budget sends the step to the
dead-letter queue, which `revops workflows replay-dead` replays once the receiver works; the
body is signed with the workflow's secret."""

from __future__ import annotations

import hashlib
import time
import hmac
import json
from datetime import timedelta

from tests.conftest import run_cli
from revops.orchestration.signing import verify
from tests.orchestration.conftest import T0, drain, event, rows, runs, send, worker

SECRET = "whsec-test-1"
ENRICH = """
- key: enrich
  trigger:
    event: {type: signup, subject: account}
  steps:
    - webhook: {url_env: HOOK_URL, secret_env: HOOK_SECRET}
    - log_touch: {touch_type: enriched}
  retry: {attempts: 4, backoff_seconds: 10, max_backoff_seconds: 15}
"""


def env(receiver) -> dict[str, str]:
    return {"HOOK_URL": receiver.url, "HOOK_SECRET": SECRET}


def webhook_step(book) -> dict:
    [step] = rows(book, "SELECT * FROM _workflow_steps WHERE action = 'webhook'")
    return step


def attempts(book) -> list[dict]:
    return rows(book, "SELECT a.attempt, a.ok, a.error FROM _workflow_attempts a JOIN _workflow_steps s "
                      "USING (step_key) WHERE s.action = 'webhook' ORDER BY a.attempt")


def test_a_failing_receiver_is_tried_again_with_backoff_and_the_same_key(book, workflows, clock, receiver):
    model = workflows(ENRICH)
    receiver.failures = [503, 500]
    send(book, event("signup", T0, "s1", account_id="A1"))
    with worker(book, model, clock, env=env(receiver)) as orchestrator:
        drain(orchestrator)
        step = webhook_step(book)
        assert (step["status"], step["attempts"], step["next_at"]) == ("pending", 1, T0 + timedelta(seconds=10))
        drain(orchestrator)
        assert len(receiver.requests) == 1  # not before the backoff
        clock.advance(seconds=10)
        drain(orchestrator)
        assert len(receiver.requests) == 2
        assert webhook_step(book)["next_at"] == clock.now + timedelta(seconds=15)  # 20 s doubled, capped at 15
        clock.advance(seconds=14)
        drain(orchestrator)
        assert len(receiver.requests) == 2
        clock.advance(seconds=1)
        drain(orchestrator)
    assert len(receiver.requests) == 3
    step = webhook_step(book)
    assert (step["status"], step["attempts"]) == ("done", 3)
    keys = {r["headers"]["idempotency-key"] for r in receiver.requests}
    assert keys == {step["step_key"]}
    assert [(a["attempt"], a["ok"]) for a in attempts(book)] == [(1, False), (2, False), (3, True)]
    assert "HTTP 503" in attempts(book)[0]["error"] and "HTTP 500" in attempts(book)[1]["error"]
    assert runs(book)[0]["status"] == "completed"
    assert rows(book, "SELECT count(*) AS n FROM touches WHERE touch_type = 'enriched'") == [{"n": 1}]


def test_the_body_is_signed_with_the_workflows_secret(book, workflows, clock, receiver):
    model = workflows(ENRICH)
    send(book, event("signup", T0, "s1", account_id="A1"))
    with worker(book, model, clock, env=env(receiver)) as orchestrator:
        drain(orchestrator)
    [request] = receiver.requests
    header = request["headers"]["x-revops-signature"]
    at = int(dict(p.split("=", 1) for p in header.split(","))["t"])
    assert abs(at - time.time()) < 60  # signed when sent: a receiver can refuse old replays
    expected = hmac.new(SECRET.encode(), f"{at}.".encode() + request["body"], hashlib.sha256).hexdigest()
    assert header == f"t={at},v1={expected}"
    assert verify(SECRET, header, request["body"], time.time()) is None
    assert verify("another-secret", header, request["body"], time.time()) is not None
    body = json.loads(request["body"])
    assert (body["workflow"], body["table"], body["record_id"]) == ("enrich", "accounts", "A1")
    assert body["record"]["name"] == "Big Co" and body["trigger"]["event_type"] == "signup"


def test_a_4xx_goes_to_the_dead_letters_at_once(book, workflows, clock, receiver):
    model = workflows(ENRICH)
    receiver.status = 400
    send(book, event("signup", T0, "s1", account_id="A1"))
    with worker(book, model, clock, env=env(receiver)) as orchestrator:
        drain(orchestrator)
        clock.advance(hours=1)
        drain(orchestrator)
    assert len(receiver.requests) == 1
    step = webhook_step(book)
    assert (step["status"], step["attempts"]) == ("dead", 1) and "HTTP 400" in step["error"]
    assert runs(book)[0]["status"] == "failed"
    assert rows(book, "SELECT count(*) AS n FROM touches") == [{"n": 0}]  # the run stopped there


def test_a_step_that_fails_every_attempt_goes_dead_after_the_last(book, workflows, clock, receiver):
    model = workflows(ENRICH)
    receiver.status = 502
    send(book, event("signup", T0, "s1", account_id="A1"))
    with worker(book, model, clock, env=env(receiver)) as orchestrator:
        for _ in range(6):
            drain(orchestrator)
            clock.advance(seconds=15)
    assert len(receiver.requests) == 4
    step = webhook_step(book)
    assert (step["status"], step["attempts"]) == ("dead", 4)
    assert [a["ok"] for a in attempts(book)] == [False] * 4


def test_replay_dead_succeeds_once_the_receiver_works(book, workflows, clock, receiver, tmp_path):
    model = workflows(ENRICH)
    receiver.status = 400
    send(book, event("signup", T0, "s1", account_id="A1"))
    with worker(book, model, clock, env=env(receiver)) as orchestrator:
        drain(orchestrator)
    dead_key = webhook_step(book)["step_key"]
    book.close()

    receiver.status = 200
    result = run_cli("--db", str(book.path), "--model", str(tmp_path / "revops.yaml"),
                     "workflows", "replay-dead", "--format", "json", env=env(receiver))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["replayed"] == 1
    assert [(s["step_key"], s["status_now"]) for s in answer["steps"]] == [(dead_key, "done")]
    assert [r["headers"]["idempotency-key"] for r in receiver.requests] == [dead_key, dead_key]

    again = run_cli("--db", str(book.path), "--model", str(tmp_path / "revops.yaml"),
                    "workflows", "replay-dead", "--format", "json", env=env(receiver))
    assert json.loads(again.stdout)["replayed"] == 0
    from revops.store import Store

    with Store(book.path, read_only=True) as s:
        assert s.query("SELECT status FROM _workflow_runs") == [{"status": "completed"}]
        assert s.query("SELECT attempt, ok FROM _workflow_attempts WHERE step_key = ? ORDER BY attempt",
                       [dead_key]) == [{"attempt": 1, "ok": False}, {"attempt": 2, "ok": True}]
        assert s.query("SELECT count(*) AS n FROM touches WHERE touch_type = 'enriched'") == [{"n": 1}]
    assert len(receiver.requests) == 2


def test_notify_posts_the_rendered_text_to_the_slack_channel_and_retries_a_5xx(
        book, workflows, clock, receiver, monkeypatch):
    monkeypatch.setenv("ORCH_TEST_SLACK_AES", receiver.url)
    model = workflows("""
    - key: spike_alert
      trigger:
        signals: {type: page_view, per: account, count: 2, within: 1d}
      steps:
        - notify: {slack: [enterprise_aes], text: "{name} viewed pricing {signal_count} times"}
      retry: {attempts: 3, backoff_seconds: 5}
    """, extra="""
    alerts:
      slack:
        enterprise_aes: {webhook_env: ORCH_TEST_SLACK_AES}
    """)
    receiver.failures = [500]
    send(book, event("page_view", T0, "p1", account_id="A1"), event("page_view", T0, "p2", account_id="A1"))
    with worker(book, model, clock) as orchestrator:
        drain(orchestrator)
        clock.advance(seconds=5)
        drain(orchestrator)
    assert [json.loads(r["body"])["text"] for r in receiver.requests] == ["Big Co viewed pricing 2 times"] * 2
    [step] = rows(book, "SELECT status, attempts, result FROM _workflow_steps")
    assert (step["status"], step["attempts"]) == ("done", 2)
    assert json.loads(step["result"])["sent"] == ["slack:enterprise_aes"]
