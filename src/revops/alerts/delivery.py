"""Getting an alert there once: routes to destinations, tries with backoff, and the record.

Every (event, destination) is one row of the store's ``_alerts``, keyed by ``alert_id`` =
event key + destination: ``queued`` when found, then ``sent`` or ``failed`` (with the error and
the attempts so far). A key already in the table is never queued again, so a second run sends
nothing twice; a ``failed`` row is tried again by the next run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from revops.alerts.channels import DeliveryFailed, Message, SlackWebhook, SmtpEmail, slack_blocks
from revops.alerts.events import AlertEvent
from revops.store import Store
from revops.store.migrations import ALERT_COLUMNS
from revops.store.store import utcnow

TABLE = "_alerts"
STATUSES = ("queued", "sent", "failed")


@dataclass(frozen=True)
class Destination:
    channel: str
    """slack or email."""
    recipient: str
    """A Slack channel's name under alerts.slack, or an e-mail address."""

    def __str__(self) -> str:
        return f"{self.channel}:{self.recipient}"


def destinations(model: Any, event: AlertEvent) -> list[Destination]:
    """Where the routes send ``event``: each route carrying its kind whose team (if any) is the
    owner's team; the owner's e-mail when a route says to_owner and users.email has one."""
    out: dict[str, Destination] = {}
    for route in model.alerts.routes:
        if event.kind not in route.events:
            continue
        if route.team is not None and event.kind != "forecast_change" and event.team != route.team:
            continue
        found = [Destination("slack", name) for name in route.slack]
        found += [Destination("email", address.strip().lower()) for address in route.email]
        if route.to_owner and event.owner_email:
            found.append(Destination("email", event.owner_email.strip().lower()))
        for d in found:
            out.setdefault(str(d), d)
    return list(out.values())


def alert_id(event_key: str, destination: Destination) -> str:
    return f"{event_key}|{destination}"


# -- sending ----------------------------------------------------------------------------------
@dataclass
class Attempt:
    ok: bool
    attempts: int
    error: str | None = None


def with_retries(send: Callable[[], None], attempts: int, backoff_seconds: float,
                 sleep: Callable[[float], None] = time.sleep) -> Attempt:
    """``send()`` up to ``attempts`` times, waiting backoff, 2x backoff, … between tries; a
    failure that says retrying cannot help stops at once."""
    error = None
    for i in range(attempts):
        if i:
            sleep(backoff_seconds * 2 ** (i - 1))
        try:
            send()
            return Attempt(True, i + 1)
        except DeliveryFailed as exc:
            error = str(exc)
            if not exc.retryable:
                return Attempt(False, i + 1, error)
    return Attempt(False, attempts, error)


class Outbox:
    """The channels of the model's alerts section, sending a message to one destination."""

    def __init__(self, model: Any, sleep: Callable[[float], None] = time.sleep):
        config = model.alerts
        self.slack = {name: SlackWebhook(name, c.webhook_env, c.timeout_seconds) for name, c in config.slack.items()}
        self.email = SmtpEmail.of(config.email) if config.email is not None else None
        self.retry = config.retry
        self.sleep = sleep

    def send(self, destination: Destination, message: Message) -> Attempt:
        def once() -> None:
            if destination.channel == "slack":
                channel = self.slack.get(destination.recipient)
                if channel is None:
                    raise DeliveryFailed(f"no Slack channel {destination.recipient!r} under alerts.slack",
                                         retryable=False)
                channel.send(message)
            else:
                if self.email is None:
                    raise DeliveryFailed("alerts.email names no SMTP server", retryable=False)
                self.email.send(message, destination.recipient)

        return with_retries(once, self.retry.attempts, self.retry.backoff_seconds, self.sleep)


def event_message(event: AlertEvent) -> Message:
    """One event, one message."""
    text = event.title + "".join(f"\n{line}" for line in event.lines)
    return Message(event.title, text, slack_blocks(event.title, [(event.title, event.lines)]))


# -- the record ----------------------------------------------------------------------------------
class AlertLog:
    """``_alerts``: what was found for whom, and what became of it."""

    def __init__(self, store: Store):
        self.store = store

    def known(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = self.store.query(f"SELECT alert_id FROM {TABLE} WHERE alert_id IN (SELECT unnest(?))", [ids])
        return {r["alert_id"] for r in rows}

    def queue(self, planned: list[tuple[AlertEvent, Destination]]) -> int:
        if not planned:
            return 0
        now = utcnow()
        rows = [{"alert_id": alert_id(e.key, d), "event_key": e.key, "kind": e.kind, "channel": d.channel,
                 "recipient": d.recipient, "record_id": e.record_id, "owner_id": e.owner_id, "subject": e.title,
                 "text": "\n".join(e.lines), "event": json.dumps(e.as_dict(), default=str), "status": "queued",
                 "attempts": 0, "error": None, "digest_id": None, "created_at": now, "last_attempt_at": None,
                 "sent_at": None} for e, d in planned]
        types = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "TIMESTAMP": pa.timestamp("us")}
        table = pa.table({c: pa.array([r[c] for r in rows], types[t]) for c, t in ALERT_COLUMNS})
        self.store.append(TABLE, table)
        return len(rows)

    def outstanding(self) -> list[dict[str, Any]]:
        """Rows queued or failed: what the next send tries, oldest first."""
        return self.store.query(f"SELECT * FROM {TABLE} WHERE status IN ('queued', 'failed') "
                                "ORDER BY created_at, alert_id")

    def settle(self, ids: list[str], attempt: Attempt, digest_id: str | None = None,
               at: datetime | None = None) -> None:
        at = at or utcnow()
        status = "sent" if attempt.ok else "failed"
        self.store.con.execute(
            f"UPDATE {TABLE} SET status = ?, attempts = attempts + ?, error = ?, last_attempt_at = ?, "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, digest_id = coalesce(?, digest_id) "
            "WHERE alert_id IN (SELECT unnest(?))",
            [status, attempt.attempts, attempt.error, at, status, at, digest_id, ids])

    def rows(self, status: str | None = None, kind: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        sql, params = f"SELECT * FROM {TABLE} WHERE true", []
        if status:
            sql, params = sql + " AND status = ?", [*params, status]
        if kind:
            sql, params = sql + " AND kind = ?", [*params, kind]
        sql += " ORDER BY created_at DESC, alert_id" + (f" LIMIT {int(limit)}" if limit else "")
        return self.store.query(sql, params)
