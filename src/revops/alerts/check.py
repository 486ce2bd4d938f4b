"""`revops alerts check`: find the events, queue what is new for each destination, send.

    result = check_alerts(store, model, at=now)       # or dry_run=True: find and route, write nothing

1. events: the breach queue, deals newly at risk (against ``_alert_watch``, what the last check saw
   at risk), the current quarter's forecast change (events.py);
2. route each to its destinations (the model's ``alerts.routes``); an (event, destination) whose
   key is already in ``_alerts`` is skipped: sent once, whatever happens to the event later;
3. send everything outstanding (queued now, or failed before): one message per alert, or with
   ``alerts.digest`` one per destination; each with retries, each outcome recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from revops.alerts import events as found
from revops.alerts.delivery import AlertLog, Destination, Outbox, alert_id, destinations
from revops.alerts.digest import by_destination, digest_message, row_message
from revops.model.sections.alerts import ALERT_KINDS
from revops.store import Store
from revops.store.store import utcnow

WATCH = "_alert_watch"


@dataclass
class CheckResult:
    at: datetime
    events: dict[str, int] = field(default_factory=dict)
    """Events found now, by kind."""
    planned: list[dict[str, Any]] = field(default_factory=list)
    """(event, destination) pairs not alerted before: queued, or with dry_run what would be."""
    skipped: int = 0
    """Pairs already in _alerts (sent, failed or queued before)."""
    sent: int = 0
    failed: int = 0
    messages: int = 0
    """Messages sent (a digest carries several alerts)."""
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(timespec="seconds"), "dry_run": self.dry_run,
                "events": self.events, "new_alerts": len(self.planned), "already_alerted": self.skipped,
                "sent": self.sent, "failed": self.failed, "messages": self.messages, "errors": self.errors}


def find_events(store: Store, model: Any, at: datetime, kinds: Iterable[str] = ALERT_KINDS, *, now: bool = False
                ) -> tuple[list[found.AlertEvent], dict[str, list[dict[str, Any]]] | None]:
    """The events of ``kinds`` at ``at``, and the deals at risk now (None when not looked at).
    ``now``: ``at`` is the present, so hygiene reads the deals as they are (no rebuild from history)."""
    kinds = tuple(kinds)
    out: list[found.AlertEvent] = []
    at_risk = None
    if "sla_breach" in kinds:
        out += found.sla_breach_events(store, model, at)
    if "deal_at_risk" in kinds:
        at_risk = found.at_risk_deals(store, model, None if now else at)
        out += found.at_risk_events(store, model, at.date(), at_risk, seen_at_risk(store))
    if "forecast_change" in kinds:
        out += found.forecast_change_events(store, model, at.date())
    return out, at_risk


def seen_at_risk(store: Store) -> set[str]:
    return {r["record_id"] for r in store.query(f"SELECT record_id FROM {WATCH} WHERE kind = 'deal_at_risk'")}


def remember_at_risk(store: Store, deals: dict[str, list[dict[str, Any]]], at: datetime) -> None:
    """What the next check compares with: the deals at risk now (a deal that leaves and comes
    back is announced again)."""
    ids = sorted(deals)
    data = pa.table({"kind": pa.array(["deal_at_risk"] * len(ids), pa.string()), "record_id": pa.array(ids, pa.string()),
                     "detail": pa.array([",".join(f["rule"] for f in deals[i]) for i in ids], pa.string()),
                     "seen_at": pa.array([at] * len(ids), pa.timestamp("us"))})
    with store.transaction() as con:
        con.execute(f"DELETE FROM {WATCH} WHERE kind = 'deal_at_risk'")
        if ids:
            store.append(WATCH, data)


def check_alerts(store: Store, model: Any, *, at: datetime | None = None, dry_run: bool = False,
                 kinds: Iterable[str] = ALERT_KINDS, sleep: Callable[[float], None] = time.sleep) -> CheckResult:
    now = at is None
    at = at or utcnow()
    result = CheckResult(at=at, dry_run=dry_run)
    events, at_risk = find_events(store, model, at, kinds, now=now)
    for e in events:
        result.events[e.kind] = result.events.get(e.kind, 0) + 1
    pairs: list[tuple[found.AlertEvent, Destination]] = [(e, d) for e in events for d in destinations(model, e)]
    log = AlertLog(store)
    known = log.known([alert_id(e.key, d) for e, d in pairs])
    new = [(e, d) for e, d in pairs if alert_id(e.key, d) not in known]
    result.skipped = len(pairs) - len(new)
    result.planned = [{"alert_id": alert_id(e.key, d), "kind": e.kind, "destination": str(d), "record_id": e.record_id,
                       "owner_id": e.owner_id, "subject": e.title} for e, d in new]
    if dry_run:
        return result
    log.queue(new)
    if at_risk is not None and any("deal_at_risk" in r.events for r in model.alerts.routes):
        remember_at_risk(store, at_risk, at)  # with no route for it, nobody has been told yet
    send_outstanding(store, model, result, sleep)
    return result


def send_outstanding(store: Store, model: Any, result: CheckResult, sleep: Callable[[float], None]) -> None:
    """Send every queued or failed alert: one by one, or one digest per destination."""
    log, outbox = AlertLog(store), Outbox(model, sleep)
    rows = log.outstanding()
    if model.alerts.digest:
        day = f"{result.at:%Y-%m-%d}"
        for (channel, recipient), group in by_destination(rows).items():
            destination = Destination(channel, recipient)
            attempt = outbox.send(destination, digest_message(group, day))
            ids = [r["alert_id"] for r in group]
            log.settle(ids, attempt, digest_id=f"digest:{destination}:{result.at:%Y-%m-%dT%H:%M:%S}")
            _count(result, attempt, len(ids), destination)
        return
    for row in rows:
        destination = Destination(row["channel"], row["recipient"])
        attempt = outbox.send(destination, row_message(row))
        log.settle([row["alert_id"]], attempt)
        _count(result, attempt, 1, destination)


def _count(result: CheckResult, attempt: Any, alerts: int, destination: Destination) -> None:
    if attempt.ok:
        result.sent += alerts
        result.messages += 1
    else:
        result.failed += alerts
        result.errors.append(f"{destination}: {attempt.error} (after {attempt.attempts} tries)")
