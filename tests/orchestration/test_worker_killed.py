"""Exactly-once actions when the worker process is killed midway (SIGKILL: no shutdown, no
flush), twice, and started again until the queue is empty.

300 accounts sign up; the workflow creates a task, adds the account to a list, calls a
webhook (a local receiver that takes 15 ms per call and counts calls by Idempotency-Key),
logs a touch and updates a field. The first kill lands while webhooks are in flight, the
second at a moment picked without regard to what the worker is doing. Afterwards every run
is completed and every local action happened exactly once. A webhook in flight at a kill is
sent again with the same Idempotency-Key, so the receiver applies each one once: the number
of distinct keys is the number of runs, and the repeats are bounded by the calls in flight.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from revops.store import Store
from tests.gtm import store_with

ACCOUNTS = 300
SENDERS = 8
MODEL = """
workflows:
  - key: signup_followup
    trigger:
      event: {type: signup, subject: account}
    steps:
      - create_task: {subject: "Welcome call for {name}", owner: owner, due_in: 1d}
      - add_to_list: {list: new_signups}
      - webhook: {url_env: KILL_TEST_HOOK}
      - log_touch: {touch_type: product_signup, channel: product}
      - update_field: {field: type, value: "'trial'"}
    retry: {attempts: 8, backoff_seconds: 0.05}
"""


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        json.loads(body)
        time.sleep(0.015)
        with self.server.lock:  # type: ignore[attr-defined]
            self.server.calls[self.headers["Idempotency-Key"]] += 1  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def _worker(db: Path, model: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "revops.cli.main", "--db", str(db), "--model", str(model),
                             "workflows", "work", "--format", "json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_actions_happen_once_when_the_worker_is_killed_twice(tmp_path: Path) -> None:
    db, model = tmp_path / "store.duckdb", tmp_path / "revops.yaml"
    model.write_text(MODEL)
    store_with(db, users=[{"user_id": "u1", "name": "Ann", "email": "ann@example.com"}],
               accounts=[{"account_id": f"A{i:03d}", "name": f"Company {i}", "owner_id": "u1"}
                         for i in range(ACCOUNTS)]).close()
    events = tmp_path / "signups.jsonl"
    events.write_text("".join(json.dumps({"event_id": f"s{i}", "type": "signup", "account_id": f"A{i:03d}",
                                          "occurred_at": "2026-11-01T10:00:00Z"}) + "\n" for i in range(ACCOUNTS)))
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    env = {**os.environ, "KILL_TEST_HOOK": receiver.url}
    stored = subprocess.run([sys.executable, "-m", "revops.cli.main", "--db", str(db), "--model", str(model),
                             "events", "ingest", str(events), "--no-work", "--format", "json"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert stored.returncode == 0, stored.stderr
    assert json.loads(stored.stdout)["stored"] == ACCOUNTS

    try:
        # Kill 1: while webhooks are in flight (a third of them answered).
        worker = _worker(db, model, env)
        deadline = time.monotonic() + 90
        while sum(receiver.calls.values()) < ACCOUNTS // 3:
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker never reached the webhooks"
            time.sleep(0.005)
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
        assert worker.returncode == -signal.SIGKILL
        answered_at_first_kill = len(receiver.calls)
        assert answered_at_first_kill < ACCOUNTS

        # Kill 2: a moment after the restart, whatever the worker is doing (store being opened,
        # runs resumed, a transaction half written).
        worker = _worker(db, model, env)
        time.sleep(1.2)
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
        worker.wait(30)

        # Then until nothing is left.
        worker = _worker(db, model, env)
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
    finally:
        receiver.shutdown()

    with Store(db, read_only=True) as s:
        runs = s.query("SELECT status, count(*) AS n FROM _workflow_runs GROUP BY 1")
        assert runs == [{"status": "completed", "n": ACCOUNTS}]
        steps = s.query("SELECT status, count(*) AS n FROM _workflow_steps GROUP BY 1")
        assert steps == [{"status": "done", "n": ACCOUNTS * 5}]
        one_each = [
            ("tasks", "SELECT record_id AS id, count(*) AS n FROM _tasks GROUP BY 1"),
            ("list members", "SELECT member_id AS id, count(*) AS n FROM _list_members GROUP BY 1"),
            ("touches", "SELECT account_id AS id, count(*) AS n FROM touches WHERE touch_type = 'product_signup' "
                        "GROUP BY 1"),
            ("field updates", "SELECT entity_id AS id, count(*) AS n FROM _audit_log "
                              "WHERE action = 'workflow.update_field' GROUP BY 1"),
        ]
        for what, sql in one_each:
            counts = s.query(sql)
            assert len(counts) == ACCOUNTS, what
            assert {c["n"] for c in counts} == {1}, f"{what} done more than once"
        assert s.query("SELECT count(*) AS n FROM accounts WHERE type = 'trial'") == [{"n": ACCOUNTS}]
        webhook_keys = {r["step_key"] for r in s.query("SELECT step_key FROM _workflow_steps WHERE action = 'webhook'")}

    # Every webhook reached the receiver under its step's key; a repeat is a call in flight
    # at a kill, sent again with the same key (the receiver's idempotency makes it once).
    assert set(receiver.calls) == webhook_keys
    repeats = sum(receiver.calls.values()) - len(receiver.calls)
    assert repeats <= 2 * SENDERS
