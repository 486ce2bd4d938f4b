"""Leads rows as the store keeps them: a payload merged over the stored row, custom attributes
typed like their columns, and whole batches turned into rows of every column for the write.

A custom attribute that is new to the store becomes a custom column of ``leads`` (recorded in
``_custom_fields`` as coming from ``POST /v1/leads``): true/false as boolean, numbers as
number (JSON has one kind of number), anything else as text. A value that does not fit its
existing column (text in a number column) rejects the lead with the field named.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from revops.store import schema
from revops.store.store import quote

SOURCE = "POST /v1/leads"


class ValueMismatch(ValueError):
    """A value that does not fit its column: (field, message)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class LeadColumns:
    """The columns of ``leads`` (canonical and custom) and their DuckDB types, kept in step
    with the custom columns the API adds."""

    def __init__(self, store: Any) -> None:
        self.types: dict[str, str] = store.columns("leads")
        self.canonical = frozenset(schema.table("leads").field_names)
        self.new: dict[str, str] = {}
        """Custom columns to add in the current batch: name -> revops field type."""

    def fit(self, name: str, value: Any) -> Any:
        """``value`` as column ``name`` holds it; plans a new custom column when there is none."""
        if value is None:
            return None
        sql_type = self.types.get(name)
        if sql_type is None:
            ftype = "boolean" if isinstance(value, bool) else "number" if isinstance(value, (int, float)) else "string"
            self.new[name] = ftype
            sql_type = self.types[name] = schema.SQL_TYPES[ftype]
        return _coerce(name, value, sql_type)

    def add_new(self, con: Any, now: datetime) -> None:
        """ALTER TABLE for the custom columns planned in this batch (inside its transaction)."""
        for name, ftype in self.new.items():
            con.execute(f"ALTER TABLE leads ADD COLUMN {quote(name)} {schema.SQL_TYPES[ftype]}")
            con.execute("INSERT INTO _custom_fields VALUES (?, ?, ?, ?, ?)", ["leads", name, ftype, SOURCE, now])
        self.new = {}

    def forget_new(self) -> None:
        """The batch rolled back: its new columns do not exist."""
        for name in self.new:
            self.types.pop(name, None)
        self.new = {}

    def rows(self, records: list[dict[str, Any]]) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """Every column of ``leads`` and the records as rows of them (None where a record has no
        value), for ``TableAppenders.insert``."""
        names = tuple(self.types)
        return names, [tuple(r.get(n) for n in names) for r in records]


def merge(stored: dict[str, Any] | None, given: dict[str, Any], columns: LeadColumns, now: datetime) -> dict[str, Any]:
    """The lead after this request: the stored row (if any) with the given fields over it.
    Raises ``ValueMismatch`` for a custom value that does not fit its column."""
    record = dict(stored) if stored else {}
    for name, value in given.items():
        record[name] = value if name in columns.canonical else columns.fit(name, value)
    if record.get("created_at") is None:
        record["created_at"] = now
    if record.get("status") is None:
        record["status"] = "new"
    record["updated_at"] = now
    return record


def _coerce(name: str, value: Any, sql_type: str) -> Any:
    is_bool = isinstance(value, bool)
    if sql_type == "VARCHAR":
        return ("true" if value else "false") if is_bool else str(value)
    if sql_type == "BOOLEAN":
        if is_bool:
            return value
        raise ValueMismatch(name, f"expected true or false (the stored custom field is boolean), got {value!r}")
    if sql_type in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER"):
        if isinstance(value, (int, float)) and not is_bool:
            if sql_type in ("BIGINT", "INTEGER"):
                if float(value).is_integer():
                    return int(value)
                raise ValueMismatch(name, f"expected a whole number (the stored custom field is integer), got {value!r}")
            return float(value)
        raise ValueMismatch(name, f"expected a number (the stored custom field is numeric), got {value!r}")
    if sql_type in ("TIMESTAMP", "DATE") and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueMismatch(name, f"expected an ISO date or time, got {value!r}") from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        return moment.date() if sql_type == "DATE" else moment
    if sql_type in ("TIMESTAMP", "DATE") and isinstance(value, (datetime, date)):
        return value
    raise ValueMismatch(name, f"a {sql_type} custom field cannot hold {value!r}")
