"""What is worth telling someone: events found by asking the engines, never by re-deriving them.

    sla_breach_events(store, model, at)        the breach queue (engines/sla) at ``at``
    at_risk_events(store, model, at, seen)      hygiene findings of the at_risk rules (engines/deals),
                                                only the deals not at risk at the last check
    forecast_change_events(store, model, day)   the current quarter's P50 or commit in the two latest
                                                forecast snapshots (_forecast_snapshots), moved by more
                                                than alerts.thresholds

Each event has a ``key`` that names it for good (the same breach, the same deal turning at risk
on the same day, the same snapshot's change), so an alert is sent once per key and destination.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from revops.store import Store

RECORD_NAMES = {"leads": "lead", "opportunities": "deal", "accounts": "account", "contacts": "contact"}


@dataclass(frozen=True)
class AlertEvent:
    key: str
    """Names the event for good: ``sla_breach:mql_to_first_contact:lead_1:2026-05-14T13:00:00``."""
    kind: str
    """sla_breach, deal_at_risk or forecast_change."""
    title: str
    """One line, for a subject or a Slack header: who, what, how late."""
    lines: tuple[str, ...] = ()
    """The details, one fact a line."""
    record_id: str | None = None
    owner_id: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    team: str | None = None
    """The owner's team (users.team): routes with ``team:`` match on it."""
    data: dict[str, Any] = field(default_factory=dict)
    """The event's numbers, as JSON, for `revops alerts list`."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def how_late(minutes: float | None) -> str:
    """``95`` -> ``1 h 35 min``; ``3000`` -> ``2 days 2 h``."""
    if minutes is None or minutes != minutes:
        return "late"
    m = int(round(minutes))
    days, rest = divmod(m, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' * (days != 1)}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {mins} min" if mins else "")
    return f"{mins} min"


def money(amount: float | None, currency: str) -> str:
    return "no amount" if amount is None or amount != amount else f"{currency} {amount:,.0f}"


def users(store: Store) -> dict[str, dict[str, Any]]:
    """Every user by id: name, email, team."""
    cols = store.columns("users")
    email = "email" if "email" in cols else "NULL"
    return {r["user_id"]: r for r in store.query(
        f"SELECT CAST(user_id AS VARCHAR) AS user_id, name, {email} AS email, team FROM users")}


def _owner(people: dict[str, dict[str, Any]], owner_id: Any) -> dict[str, Any]:
    person = people.get(str(owner_id)) if owner_id is not None else None
    return {"owner_id": None if owner_id is None else str(owner_id),
            "owner_name": (person or {}).get("name"), "owner_email": (person or {}).get("email"),
            "team": (person or {}).get("team")}


# -- SLA breaches -------------------------------------------------------------------------
def sla_breach_events(store: Store, model: Any, at: datetime) -> list[AlertEvent]:
    """One event per open breach of the breach queue at ``at`` (the longest overdue first) that
    became due within ``alerts.thresholds.breach_within_days`` before it."""
    from revops.engines.sla import breach_queue, clock_request
    from revops.model.events import resolve_event

    if not model.slas:
        return []
    queue = breach_queue(store.ibis, model, clock_request(at=at)).to_pylist()
    fresh = at - timedelta(days=model.alerts.thresholds.breach_within_days)
    queue = [row for row in queue if row["due_at"] is not None and row["due_at"] >= fresh]
    people = users(store)
    kinds = {}
    for sla in model.slas:
        try:
            kinds[sla.key] = RECORD_NAMES.get(resolve_event(sla.start).table, "record")
        except ValueError:
            kinds[sla.key] = "record"
    out = []
    for row in queue:
        owner = _owner(people, row["owner_id"])
        label = model.sla(row["sla"]).label or row["sla"]
        record = f"{kinds.get(row['sla'], 'record')} {row['record_id']}"
        who = owner["owner_name"] or owner["owner_id"] or "no owner"
        late = how_late(row["minutes_late"])
        started = row["started_at"]
        lines = (f"SLA: {label} ({row['sla']}), held by {row['owner_team'] or 'no team'}",
                 f"Owner: {who}" + (f" ({owner['owner_id']})" if owner["owner_name"] else "")
                 + (f", team {row['team']}" if row["team"] else "")
                 + (f", manager {row['manager_name']}" if row["manager_name"] else ""),
                 f"Due {row['due_at']:%Y-%m-%d %H:%M} UTC, {late} late",
                 *([f"Fallback: {row['fallback']}"] if row["fallback"] else []))
        out.append(AlertEvent(
            key=f"sla_breach:{row['sla']}:{row['record_id']}:{started:%Y-%m-%dT%H:%M:%S}", kind="sla_breach",
            title=f"SLA breached: {record} ({who}) is {late} late on {label}", lines=lines,
            record_id=str(row["record_id"]), **owner,
            data={"sla": row["sla"], "record_kind": kinds.get(row["sla"]), "started_at": started.isoformat(),
                  "due_at": row["due_at"].isoformat(), "minutes_late": row["minutes_late"],
                  "manager_id": row["manager_id"], "fallback": row["fallback"]}))
    return out


# -- deals turning at risk ------------------------------------------------------------------
def at_risk_deals(store: Store, model: Any, at: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """The open deals flagged now by the hygiene rules marked at_risk, with their findings."""
    from revops.engines.deals.hygiene import HygieneRequest, check_hygiene

    keys = tuple(r.key for r in model.hygiene.rules if r.at_risk)
    if not keys:
        return {}
    report = check_hygiene(store.ibis, model, HygieneRequest(as_of=at, rules=keys))
    deals: dict[str, list[dict[str, Any]]] = {}
    for finding in report.findings:
        if finding["opportunity_id"] is not None:
            deals.setdefault(str(finding["opportunity_id"]), []).append(finding)
    return deals


def at_risk_events(store: Store, model: Any, day: date, deals: dict[str, list[dict[str, Any]]],
                   seen: set[str]) -> list[AlertEvent]:
    """An event per deal at risk now that was not at risk at the last check (``seen``)."""
    new = sorted(set(deals) - seen)
    if not new:
        return []
    people = users(store)
    names = {r["opportunity_id"]: r["name"] for r in store.query(
        "SELECT CAST(opportunity_id AS VARCHAR) AS opportunity_id, name FROM opportunities "
        "WHERE CAST(opportunity_id AS VARCHAR) IN (SELECT unnest(?))", [new])}
    labels = {r.key: r.label or r.key for r in model.hygiene.rules}
    currency = model.company.currency
    out = []
    for opp in new:
        findings = deals[opp]
        first = findings[0]
        owner = _owner(people, first["owner_id"])
        who = owner["owner_name"] or owner["owner_id"] or "no owner"
        name = names.get(opp)
        deal = f"deal {opp}" + (f" ({name})" if name else "")
        lines = (f"Owner: {who}" + (f" ({owner['owner_id']})" if owner["owner_name"] else ""),
                 f"Stage: {first['stage']}, amount {money(first['amount'], currency)}",
                 *(f"{labels.get(f['rule'], f['rule'])}: {f['detail']}" for f in findings))
        out.append(AlertEvent(
            key=f"deal_at_risk:{opp}:{day.isoformat()}", kind="deal_at_risk",
            title=f"Deal at risk: {deal}, owner {who}", lines=lines, record_id=opp, **owner,
            data={"rules": [f["rule"] for f in findings], "stage": first["stage"], "amount": first["amount"],
                  "name": name}))
    return out


# -- material forecast changes -----------------------------------------------------------------
def current_quarter(model: Any, day: date) -> str:
    from revops.engines.metrics.periods import FiscalCalendar

    return FiscalCalendar(model.company.fiscal_year_start_month).label(day, "quarter")


def forecast_change_events(store: Store, model: Any, day: date) -> list[AlertEvent]:
    """The current quarter's company P50 and commit in its two latest snapshots: an event when
    either moved by more than the thresholds (share and amount)."""
    if not store.has_table("_forecast_snapshots"):
        return []
    period = current_quarter(model, day)
    rows = store.query("SELECT snapshot_date, p50, \"commit\" FROM _forecast_snapshots WHERE level = 'company' "
                       "AND period = ? AND snapshot_date <= ? ORDER BY snapshot_date DESC LIMIT 2", [period, day])
    if len(rows) < 2:
        return []
    new, old = rows
    limits = model.alerts.thresholds
    currency = model.company.currency
    moved = {}
    for metric in ("p50", "commit"):
        before, after = old[metric], new[metric]
        if before is None or after is None or before != before or after != after:
            continue
        change = after - before
        share = abs(change) / abs(before) if before else float("inf") if change else 0.0
        if share > limits.forecast_change_pct and abs(change) > limits.forecast_change_amount:
            moved[metric] = {"before": before, "after": after, "change": change,
                             "change_pct": None if share == float("inf") else change / abs(before)}
    if not moved:
        return []
    names = {"p50": "P50", "commit": "Commit"}
    lines = tuple(f"{names[m]}: {money(v['before'], currency)} -> {money(v['after'], currency)} "
                  f"({'+' if v['change'] >= 0 else '-'}{money(abs(v['change']), currency)}"
                  + (f", {v['change_pct']:+.1%}" if v["change_pct"] is not None else "") + ")"
                  for m, v in moved.items())
    lines += (f"Snapshots of {old['snapshot_date']} and {new['snapshot_date']}",)
    head = ", ".join(f"{names[m]} {'up' if v['change'] >= 0 else 'down'} "
                     + (f"{abs(v['change_pct']):.0%}" if v["change_pct"] is not None else money(abs(v['change']), currency))
                     for m, v in moved.items())
    return [AlertEvent(key=f"forecast_change:{period}:{new['snapshot_date']}", kind="forecast_change",
                       title=f"Forecast {period} moved: {head}", lines=lines, record_id=period,
                       data={"period": period, "from": str(old["snapshot_date"]), "to": str(new["snapshot_date"]),
                             **moved})]
