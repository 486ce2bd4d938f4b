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


def relation(model: Any, table: str, as_of: datetime, past_deals: str | None = None) -> str:
    """SQL of ``table``'s records as of ``as_of`` (created by then) with the derived fields,
    ``__owner``, ``__id`` and ``__unknown`` (a deal open then whose values were not recorded:
no rule can judge it). ``past_deals``: SQL of the deals as they stood at ``as_of``
    (their stage history read back, ``deals_as_of``), for a moment in the past."""
    now = f"TIMESTAMP '{as_of.isoformat(sep=' ')}'"
    return f"SELECT * FROM ({_rows(model, table, now, past_deals)}) WHERE created_at IS NULL OR created_at <= {now}"


def deals_as_of(con: Any, model: Any, as_of: datetime) -> str | None:
    """SQL of the deals as they stood at ``as_of``: stage, amount, close date, category and
    owner from their history (the metrics layer's reading of the past); None without history."""
    import ibis

    from revops.engines.metrics.asof import opportunities_before

    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'opportunity_history'")
    if not found.fetchall()[0][0]:
        return None
    backend = ibis.duckdb.from_connection(con)
    o, h = backend.table("opportunities"), backend.table("opportunity_history")
    return ibis.to_sql(opportunities_before(o, h, model, ibis.literal(as_of)), dialect="duckdb")


def _rows(model: Any, table: str, now: str, past_deals: str | None = None) -> str:
    key = KEYS[table]
    if table == "opportunities":
        closed = _listed(model.stage_spellings(closed=True))
        won = _listed(model.stage_spellings(won=True))
        source = f"({past_deals})" if past_deals else "opportunities"
        unknown = "coalesce(__open_unknown, FALSE) OR " if past_deals else ""
        flag = "coalesce(__open_unknown, FALSE)" if past_deals else "FALSE"
        inner = (f"SELECT *, owner_id AS __owner, {key} AS __id, {flag} AS __unknown, "
                 f"{unknown}coalesce(lower(trim(stage)) NOT IN ({closed}), FALSE) AS is_open, "
                 f"coalesce(lower(trim(stage)) IN ({won}), FALSE) AS is_won, "
                 f"date_diff('second', created_at, {now}) / 86400.0 AS age_days, "
                 f"date_diff('day', CAST({now} AS DATE), close_date) AS days_to_close, "
                 f"date_diff('second', last_activity_at, {now}) / 86400.0 AS days_since_last_activity "
                 f"FROM {source}")
        return f"SELECT * EXCLUDE (__open_unknown) FROM ({inner})" if past_deals else inner
    if table == "contacts":
        return ("SELECT c.*, a.owner_id AS __owner, c.contact_id AS __id, FALSE AS __unknown FROM contacts c "
                "LEFT JOIN (SELECT account_id, any_value(owner_id) AS owner_id FROM accounts GROUP BY 1) a "
                "USING (account_id)")
    return f"SELECT *, owner_id AS __owner, {quote(key)} AS __id, FALSE AS __unknown FROM {quote(table)}"


def _listed(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "NULL"
