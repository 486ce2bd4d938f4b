"""Declared custom fields (``custom_fields:`` in revops.yaml) as columns of the store.

A declared field's column is created the first time something writes the field (an ingest
whose file maps a column to it, a deal move that sets it) with the declared type, and is
registered in ``_custom_fields`` as ingest registers the custom attributes it finds. A
column that already exists with another type (an attribute ingest typed from its values
before the field was declared) is converted to the declared type with ingest's converters:
the declared type wins. A stored value that does not read as the declared type is moved to
the quarantine with its reason and record id (``revops quarantine``), never dropped unseen.

    changes = ensure_columns(con, "opportunities", {"economic_buyer": "string"}, source="deals.csv", now=now)

Call it inside the caller's transaction: the columns land with the rows that fill them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from revops.ingest import convert
from revops.ingest.reader import sql_str
from revops.store import schema
from revops.store.store import quote

DUCKDB_TYPES = {"VARCHAR": "string", "BIGINT": "integer", "INTEGER": "integer", "HUGEINT": "integer",
                "SMALLINT": "integer", "TINYINT": "integer", "UBIGINT": "integer", "UINTEGER": "integer",
                "DOUBLE": "number", "FLOAT": "number", "REAL": "number", "DECIMAL": "number", "BOOLEAN": "boolean",
                "DATE": "date", "TIMESTAMP": "timestamp", "TIMESTAMP_NS": "timestamp", "TIMESTAMP_MS": "timestamp"}
"""A column's DuckDB type (before any ``(p, s)``) as a field type."""


def with_declared_fields(spec: schema.Table, model: Any) -> schema.Table:
    """The canonical table plus the custom fields ``model`` declares for it, as fields a mapping
    may name and a file's same-named column feeds (a name the table has already is left out)."""
    have = set(spec.field_names)
    extra = tuple(schema.F(f.name, f.type, description=f.description or "custom field (revops.yaml)")
                  for f in (model.custom_fields.get(spec.name, []) if model is not None else [])
                  if f.name not in have)
    return replace(spec, fields=spec.fields + extra) if extra else spec


def stored_types(con: Any, table: str) -> dict[str, str]:
    """Column name -> field type of ``table`` as the store holds it (custom columns included)."""
    rows = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                       "WHERE table_name = ? AND table_schema = 'main'", [table]).fetchall()
    return {name: DUCKDB_TYPES.get(str(dtype).split("(")[0].upper(), str(dtype)) for name, dtype in rows}


@dataclass(frozen=True)
class ColumnChange:
    table: str
    name: str
    type: str
    stored_type: str | None = None
    """The column's type before (None: the column was added)."""
    quarantined: int = 0
    """Stored values that did not read as ``type``, moved to the quarantine."""

    @property
    def note(self) -> str | None:
        """What a caller should tell the user, when values were set aside."""
        if not self.quarantined:
            return None
        n = self.quarantined
        return (f"{self.table}.{self.name} is declared as {self.type} under custom_fields: {n:,} stored "
                f"{self.stored_type} value{'s' * (n != 1)} that {'does' if n == 1 else 'do'} not read as {self.type} "
                f"{'was' if n == 1 else 'were'} moved to the quarantine (revops quarantine --table {self.table})")


def ensure_columns(con: Any, table: str, fields: Mapping[str, str], *, source: str,
                   now: datetime) -> list[ColumnChange]:
    """Columns of ``table`` for ``fields`` (name -> declared type), each of its declared type and
    registered in ``_custom_fields``: missing ones added, ones of another type converted."""
    stored = stored_types(con, table)
    changes = []
    for name, ftype in fields.items():
        have = stored.get(name)
        if have == ftype:
            continue
        sql_type = schema.SQL_TYPES[ftype]
        moved = 0
        if have is None:
            con.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(name)} {sql_type}")
        else:
            using, moved = _conversion(con, table, name, have, ftype, source, now)
            con.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(name)} SET DATA TYPE {sql_type} "
                        f"USING {using}")
        _register(con, table, name, ftype, source, now)
        changes.append(ColumnChange(table, name, ftype, have, moved))
    return changes


def _register(con: Any, table: str, name: str, ftype: str, source: str, now: datetime) -> None:
    registered = con.execute("SELECT count(*) FROM _custom_fields WHERE table_name = ? AND column_name = ?",
                             [table, name]).fetchall()[0][0]
    if registered:
        con.execute("UPDATE _custom_fields SET type = ? WHERE table_name = ? AND column_name = ?",
                    [ftype, table, name])
    else:
        con.execute("INSERT INTO _custom_fields VALUES (?, ?, ?, ?, ?)", [table, name, ftype, source, now])


def _conversion(con: Any, table: str, name: str, have: str, ftype: str, source: str,
                now: datetime) -> tuple[str, int]:
    """SQL converting the column's values to ``ftype`` as ingest reads a cell's text (dates and
    timestamps: the layout that reads the most of them), and how many values it cannot read,
    which are quarantined first."""
    text = convert.text(quote(name))
    layouts = convert.candidate_formats(ftype) if ftype in ("date", "timestamp") else (None,)
    best: tuple[int, str | None] | None = None
    for fmt in layouts:
        sql = convert.convert(text, ftype, fmt=fmt)
        bad = con.execute(f"SELECT count(*) FROM {quote(table)} WHERE {text} IS NOT NULL AND ({sql}) IS NULL"
                          ).fetchall()[0][0]
        if best is None or bad < best[0]:
            best = (int(bad), fmt)
        if not bad:
            break
    bad, fmt = best  # type: ignore[misc]
    sql = convert.convert(text, ftype, fmt=fmt)
    if bad:
        key = schema.table(table).key
        expected = convert.describe_expected(ftype, fmt, None, field=name) if ftype not in ("date", "timestamp") \
            else f"a {ftype} in a layout ingest reads (2024-03-31, 03/31/2024, 31.03.2024, 31 Mar 2024 …)"
        reason = (sql_str(f"{name}: '") + f" || left({text}, 200) || " + sql_str(
            f"' is not {expected}; it was stored as {have} before {name} was declared as {ftype} under "
            "custom_fields, and is kept here"))
        con.execute(
            "INSERT INTO _quarantine (run_id, table_name, file, file_path, \"row\", column_name, value, reason, "
            "record_id, raw, quarantined_at) "
            f"SELECT ?, ?, ?, ?, NULL, ?, left({text}, 1000), {reason}, CAST({quote(key)} AS VARCHAR), "
            f"NULL, ? FROM {quote(table)} WHERE {text} IS NOT NULL AND ({sql}) IS NULL",
            [f"custom_fields:{uuid.uuid4().hex[:12]}", table, source, f"custom_fields:{table}.{name}", name, now])
    return sql, int(bad)
