"""The records data-quality rules read: each table's stored rows, plus the few derived fields
rules may use (``QUALITY_DERIVED``), and who owns each record (contacts: their account's owner).
Everything is SQL on the store's DuckDB connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from revops.store.store import quote

KEYS = {"leads": "lead_id", "contacts": "contact_id", "accounts": "account_id", "opportunities": "opportunity_id"}

DUPLICATE_KEYS = {
    "leads": "nullif(lower(trim(email)), '')",
    "contacts": "nullif(lower(trim(email)), '')",
    "accounts": ("nullif(regexp_replace(regexp_replace(lower(trim(domain)), '^(https?://)?(www[.])?', ''), "
                 "'/.*$', ''), '')"),
    "opportunities": "CASE WHEN name IS NOT NULL THEN lower(trim(account_id)) || '|' || lower(trim(name)) END",
}
"""The exact key two records of a table share when they are the same thing entered twice:
the e-mail of a lead or contact, an account's bare domain, a deal's account and name."""

LIVE = {
    "leads": "NOT coalesce(converted, FALSE) AND disqualified_at IS NULL",
    "opportunities": "is_open",
}
"""Records expected to be kept up to date (freshness counts only these); others: every record."""

FRESHNESS_TIME = {
    "opportunities": "greatest(coalesce(last_activity_at, updated_at, created_at), coalesce(updated_at, created_at))",
}


def relation(model: Any, table: str, as_of: datetime) -> str:
    """SQL of ``table``'s records as of ``as_of`` (created by then) with the derived fields,
    ``__owner`` and ``__id``."""
    now = f"TIMESTAMP '{as_of.isoformat(sep=' ')}'"
    return f"SELECT * FROM ({_rows(model, table, now)}) WHERE created_at IS NULL OR created_at <= {now}"


def _rows(model: Any, table: str, now: str) -> str:
    key = KEYS[table]
    if table == "opportunities":
        closed = _spellings(s for s in model.pipeline.stages if s.is_closed)
        won = _spellings(s for s in model.pipeline.stages if s.is_won)
        return (f"SELECT *, owner_id AS __owner, {key} AS __id, "
                f"lower(trim(stage)) NOT IN ({closed}) AS is_open, lower(trim(stage)) IN ({won}) AS is_won, "
                f"date_diff('second', created_at, {now}) / 86400.0 AS age_days, "
                f"date_diff('day', CAST({now} AS DATE), close_date) AS days_to_close, "
                f"date_diff('second', last_activity_at, {now}) / 86400.0 AS days_since_last_activity "
                f"FROM opportunities")
    if table == "contacts":
        return (f"SELECT c.*, a.owner_id AS __owner, c.contact_id AS __id FROM contacts c "
                f"LEFT JOIN (SELECT account_id, any_value(owner_id) AS owner_id FROM accounts GROUP BY 1) a "
                f"USING (account_id)")
    return f"SELECT *, owner_id AS __owner, {quote(key)} AS __id FROM {quote(table)}"


def _spellings(stages: Any) -> str:
    values = sorted({v.strip().lower() for s in stages for v in (s.key, s.label) if v})
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "NULL"
