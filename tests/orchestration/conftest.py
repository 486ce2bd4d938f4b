"""A small book of accounts, contacts and leads, workflows written as a user writes them in
revops.yaml, a clock the test moves by hand, and a local HTTP receiver that fails on purpose.

    def test_x(book, workflows, clock):
        model = workflows('''
          - key: intent_spike
            trigger: {signals: {type: page_view, per: account, count: 3, within: 7d}}
            steps: [{log_touch: {}}]
        ''')
        send(book, event("page_view", T0, account_id="A1"))
        with worker(book, model, clock) as orchestrator:
            orchestrator.run_until_idle()
"""

from __future__ import annotations

import json
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from revops.model.loader import check
from revops.orchestration.engine import Orchestrator
from revops.orchestration.events import EventLog, IncomingEvent
from revops.store import Store

T0 = datetime(2026, 11, 2, 10, 0)
"""Monday 2 November 2026, 10:00 UTC (05:00 in New York, the default company time zone)."""

USERS = [
    {"user_id": "u1", "name": "Ann", "email": "ann@acme.com", "role": "ae", "team": "ent", "manager_id": "m1"},
    {"user_id": "u2", "name": "Bob", "email": "bob@acme.com", "role": "ae", "team": "ent", "manager_id": "m1"},
    {"user_id": "m1", "name": "Meg", "email": "meg@acme.com", "role": "manager", "team": "ent"},
]
ACCOUNTS = [
    {"account_id": "A1", "name": "Big Co", "domain": "big.com", "employees": 5000, "owner_id": "u1"},
    {"account_id": "A2", "name": "Small Co", "domain": "small.com", "employees": 50, "owner_id": "u2"},
    {"account_id": "D1", "name": "Dup One", "domain": "dup.com", "employees": 10, "owner_id": "u1"},
    {"account_id": "D2", "name": "Dup Two", "domain": "dup.com", "employees": 10, "owner_id": "u1"},
    {"account_id": "G1", "name": "Someone on Gmail", "domain": "gmail.com", "employees": 1, "owner_id": "u1"},
]
CONTACTS = [
    {"contact_id": "C1", "account_id": "A1", "email": "cara@big.com"},
    {"contact_id": "C2", "account_id": "A1", "email": "carl@big.com"},
    {"contact_id": "C9", "account_id": "A1", "email": "gone@big.com", "left_at": datetime(2026, 1, 1)},
    {"contact_id": "C3", "account_id": "A2", "email": "sam@personal.io"},
]
LEADS = [
    {"lead_id": "L1", "email": "lee@startup.io", "company": "Startup", "owner_id": "u2", "score": 20.0,
     "created_at": datetime(2026, 10, 1)},
]


@dataclass
class Clock:
    """The time the orchestrator reads; moved by the test."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def book(gtm) -> Store:
    """The store: users, five accounts (two sharing dup.com, one on gmail.com), contacts, a lead."""
    return gtm(users=USERS, accounts=ACCOUNTS, contacts=CONTACTS, leads=LEADS)


@pytest.fixture
def workflows(tmp_path: Path):
    """workflows(yaml of the list under `workflows:`, extra=other sections) -> the checked model."""

    def build(text: str, extra: str = "") -> Any:
        listed = textwrap.indent(textwrap.dedent(text), "  ")
        return model_of(tmp_path, textwrap.dedent(extra).strip() + "\nworkflows:\n" + listed)

    return build


def model_of(tmp_path: Path, text: str) -> Any:
    """The checked model of a whole revops.yaml text."""
    path = tmp_path / "revops.yaml"
    path.write_text(text)
    model, issues = check(path)
    assert model is not None and not [i for i in issues if i.is_error], [str(i) for i in issues]
    return model


def finished_runs(api: httpx.Client, expected: int, settle: float = 0.6) -> list[dict[str, Any]]:
    """GET /v1/workflows/runs once ``expected`` runs are finished, and a moment after (to see
    any extra run start)."""
    deadline = time.monotonic() + 20
    while True:
        found = api.get("/v1/workflows/runs").json()
        if len([r for r in found if r["status"] in ("completed", "failed")]) >= expected:
            break
        assert time.monotonic() < deadline, found
        time.sleep(0.05)
    time.sleep(settle)
    return api.get("/v1/workflows/runs").json()


def event(type_: str, at: datetime, event_id: str | None = None, **fields: Any) -> IncomingEvent:
    """An event as a sender writes it; ``properties=`` and one of account_id, lead_id, email."""
    return IncomingEvent(type=type_, occurred_at=at, event_id=event_id, **fields)


def send(store: Store, *events: IncomingEvent) -> list[bool]:
    """Store events as POST /v1/events does; for each, whether it was new."""
    with store.transaction() as con:
        return EventLog(con).append(con, list(events), datetime(2026, 11, 2))[1]


@contextmanager
def worker(store: Store, model: Any, clock: Any = None, **options: Any) -> Iterator[Orchestrator]:
    orchestrator = Orchestrator(store, model, **({"clock": clock} if clock else {}), **options)
    try:
        yield orchestrator
    finally:
        orchestrator.close()


def work(store: Store, model: Any, clock: Any = None, **options: Any) -> None:
    """A worker that starts, does everything due now, and stops."""
    with worker(store, model, clock, **options) as orchestrator:
        drain(orchestrator)


def drain(orchestrator: Orchestrator) -> int:
    """Passes until one does nothing (the clock does not move): how many did something."""
    passes = 0
    while orchestrator.work_once():
        passes += 1
        assert passes < 200, "the worker never went idle"
    return passes


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    return store.query(sql, params)


def runs(store: Store, workflow: str | None = None) -> list[dict[str, Any]]:
    where = " WHERE workflow = ?" if workflow else ""
    sql = f"SELECT * FROM _workflow_runs{where} ORDER BY triggered_at, run_id"
    found = rows(store, sql, [workflow] if workflow else [])
    for r in found:
        r["context"] = json.loads(r["context"]) if r["context"] else {}
    return found


# -- a receiver that fails on purpose -----------------------------------------------------------------
@dataclass
class Receiver:
    """POSTs it got (headers, body); answers ``failures`` in order, then ``status``."""

    url: str = ""
    failures: list[int] = field(default_factory=list)
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self) -> int:
        return self.failures.pop(0) if self.failures else self.status


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            status = got.answer()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": %s}' % (b"true" if status < 300 else b"false"))

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
