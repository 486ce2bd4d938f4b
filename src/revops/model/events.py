"""Events SLAs are measured between.

An event is written ``TABLE.FIELD`` (``lead.mql_at``; singular or plural table name) and
names a timestamp or date field of a canonical table in :mod:`revops.store.schema`, or is
one of the named events below, which engines derive from history tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from revops.store import schema as store_schema

TABLE_ALIASES: dict[str, str] = {
    "account": "accounts", "contact": "contacts", "lead": "leads",
    "opportunity": "opportunities", "activity": "activities", "campaign": "campaigns",
    "touch": "touches", "user": "users", "team": "teams", "territory": "territories",
    "subscription": "subscriptions", "spend": "spend", "usage": "usage",
}

NAMED_EVENTS: dict[str, tuple[str, str]] = {
    "opportunity.created": ("opportunities", "When the opportunity was created (opportunities.created_at)."),
    "opportunity.closed_won": (
        "opportunities",
        "When the opportunity first entered a won stage (from opportunity_history.changed_at).",
    ),
    "opportunity.closed_lost": (
        "opportunities",
        "When the opportunity first entered a lost stage (from opportunity_history.changed_at).",
    ),
    "opportunity.stage_changed": (
        "opportunities", "When the opportunity changed stage (from opportunity_history): as a start "
        "the latest change, as a stop the first change after the start.",
    ),
    "opportunity.kickoff_held": (
        "opportunities",
        "First activity of type 'meeting' whose subject mentions 'kickoff', on the opportunity or "
        "its account, after the opportunity closed won.",
    ),
    "opportunity.first_touch": (
        "opportunities",
        "First activity by the opportunity's owner on the opportunity or its account, at or after the "
        "opportunity was created.",
    ),
    "lead.first_activity": ("leads", "First activity logged against the lead (activities.occurred_at)."),
}
"""Named events engines compute, with the table whose records they belong to."""


@dataclass(frozen=True)
class Event:
    ref: str
    table: str
    field: str | None  # None for named events
    description: str


def resolve_event(ref: str) -> Event:
    """The event ``ref`` names, or a ValueError that says what is accepted."""
    text = ref.strip()
    if text in NAMED_EVENTS:
        table, description = NAMED_EVENTS[text]
        return Event(text, table, None, description)
    if "." not in text:
        raise ValueError(
            f"event {ref!r} is not TABLE.FIELD (e.g. 'lead.mql_at') nor a named event "
            f"({', '.join(NAMED_EVENTS)})"
        )
    table_part, field_part = text.split(".", 1)
    table_name = TABLE_ALIASES.get(table_part, table_part)
    if table_name not in store_schema.TABLES:
        hint = _suggest(table_part, list(TABLE_ALIASES) + list(store_schema.TABLES))
        raise ValueError(f"event {ref!r}: unknown table {table_part!r}{hint}")
    table = store_schema.TABLES[table_name]
    if field_part not in table.field_names:
        named = [n for n in NAMED_EVENTS if n.split(".")[0] in (table_part, _singular(table_name))]
        candidates = [f.name for f in table.fields if f.type in ("timestamp", "date")]
        hint = _suggest(field_part, candidates + [n.split(".", 1)[1] for n in named])
        raise ValueError(
            f"event {ref!r}: table {table_name} has no field {field_part!r}{hint}; "
            f"time fields: {', '.join(candidates) or 'none'}"
            + (f"; named events: {', '.join(named)}" if named else "")
        )
    f = table.field(field_part)
    if f.type not in ("timestamp", "date"):
        raise ValueError(
            f"event {ref!r}: {table_name}.{field_part} is a {f.type} field, not a timestamp or date"
        )
    return Event(text, table_name, field_part, f.description or f"{table_name}.{field_part}")


def _singular(table_name: str) -> str:
    for alias, name in TABLE_ALIASES.items():
        if name == table_name:
            return alias
    return table_name


def _suggest(word: str, candidates: list[str]) -> str:
    import difflib

    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
