"""What the GET endpoints answer, read from the store through a request's own cursor.

``lead_detail``: the stored lead (custom attributes included), its score parts with the rules
explanation as of now, its owner, every routing decision about it node by node, its
lifecycle moves and its score history. ``user_detail``: the users row and what routing counts for the user now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from revops.api.services import StoreReader
from revops.engines.routing.audit import decisions_for
from revops.engines.scoring.combined import band_of, score_history, score_lead
from revops.engines.scoring.lifecycle import lead_history
from revops.engines.scoring.rules import EVENT_TABLES


def store_tables(reader: StoreReader) -> frozenset[str]:
    """The store's tables (``ApiServices.cached`` keeps them per store generation)."""
    return frozenset(r["table_name"] for r in reader.query(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database()"))


class _KnownTables:
    """The request's reader, answering ``has_table`` from a list of the store's tables instead
    of a query per table asked about (a lead's events and histories ask about five)."""

    def __init__(self, reader: StoreReader, tables: frozenset[str]) -> None:
        self.con, self.query, self._tables = reader.con, reader.query, tables

    def has_table(self, name: str) -> bool:
        return name in self._tables


def lead_row(reader: StoreReader, lead_id: str) -> dict[str, Any] | None:
    """The stored lead, or None."""
    rows = reader.query("SELECT * FROM leads WHERE lead_id = ? LIMIT 1", [lead_id])
    return rows[0] if rows else None


def lead_detail(reader: StoreReader, model: Any, lead_id: str, now: datetime,
                lead: dict[str, Any] | None = None, tables: frozenset[str] | None = None) -> dict[str, Any] | None:
    """``lead``: the row when the caller has read it already (``lead_row``); ``tables``: the
    store's tables when the caller knows them (``store_tables``)."""
    lead = lead if lead is not None else lead_row(reader, lead_id)
    if lead is None:
        return None
    reader = _KnownTables(reader, tables if tables is not None else store_tables(reader))  # type: ignore[assignment]
    events = {t: reader.query(f"SELECT * FROM {t} WHERE lead_id = ?", [lead_id]) for t in EVENT_TABLES
              if reader.has_table(t)}
    explained = score_lead(model, lead, events, now)
    score = lead.get("score")
    parts = {
        "score": score,
        "fit": lead.get("fit_score"),
        "intent": lead.get("intent_score"),
        "engagement": lead.get("engagement_score"),
        "predicted_conversion": lead.get("predicted_conversion"),
        "mql": score is not None and score >= model.scoring.mql_threshold,
        "band": band_of(model.scoring.bands, score),
        "rules_now": {"as_of": now, **explained.rules.to_dict()},
    }
    return {"lead_id": lead_id, "lead": lead, "score": score, "score_parts": parts,
            "owner": _owner(reader, model, lead.get("owner_id")),
            "routing_decisions": decisions_for(reader, lead_id),
            "lifecycle_events": lead_history(reader, lead_id),
            "score_history": score_history(reader, lead_id)}


def _owner(reader: StoreReader, model: Any, owner_id: str | None) -> dict[str, Any] | None:
    if owner_id is None:
        return None
    users = reader.query("SELECT user_id, name, email, role, team, region, segment, active FROM users "
                         "WHERE user_id = ?", [owner_id])
    if users:
        return {"kind": "user", **users[0]}
    queues = {n.queue for n in model.routing.nodes if n.type == "queue"}
    return {"kind": "queue" if owner_id in queues else "unknown", "user_id": None, "name": owner_id}


def user_detail(reader: StoreReader, router: Any, user_id: str, now: datetime) -> dict[str, Any] | None:
    rows = reader.query("SELECT * FROM users WHERE user_id = ?", [user_id])
    if not rows:
        return None
    rep = router.state.reps.get(user_id)
    routing = None
    if rep is not None:
        status = rep.clock.status(now)
        routing = {"available": rep.active and not rep.out_of_office, "at_work": status.at_work,
                   "open_leads": rep.open_leads, "leads_today": rep.day_counts.get(status.day, 0),
                   "leads_this_week": rep.week_counts.get(status.week, 0)}
    return {**rows[0], "routing": routing}
