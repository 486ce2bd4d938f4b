"""The audit log of writes: who (key, user, role), when, what (entity and id), the record before
and after, as JSON. Rows are written in the same transaction as the write they describe.

    entry = audit_entry(principal, "lead.upsert", "leads", "L1", before=None, after=row, at=now, source=...)
    write_audit(con, [entry])
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from revops.store.migrations import AUDIT_COLUMNS

_ARROW = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us")}
NAMES = tuple(n for n, _ in AUDIT_COLUMNS)


def audit_entry(actor: Any, action: str, entity: str, entity_id: str | None, *, before: dict[str, Any] | None,
                after: dict[str, Any] | None, at: datetime, source: str) -> tuple[Any, ...]:
    """One ``_audit_log`` row; ``actor`` is a Principal (None: a process of revops itself)."""
    return (uuid.uuid4().hex, at, getattr(actor, "key_id", None), getattr(actor, "user_id", None),
            getattr(actor, "role", None) or "system", action, entity, entity_id, _json(before), _json(after), source)


def write_audit(con: Any, entries: list[tuple[Any, ...]]) -> None:
    if not entries:
        return
    table = pa.table({name: pa.array(list(column), _ARROW[sql_type])
                      for (name, sql_type), column in zip(AUDIT_COLUMNS, zip(*entries))})
    con.register("_audit_rows", table)
    try:
        con.execute("INSERT INTO _audit_log BY NAME SELECT * FROM _audit_rows")
    finally:
        con.unregister("_audit_rows")


def audit_changes(con: Any, at: datetime, *, entity: str, action: str, record_id: str, before: dict[str, str],
                  after: dict[str, str], source: str, rows: str, new: str = "false") -> None:
    """Audit rows for the records a set-based write changes (a load, a scoring), built in SQL
    in the write's transaction: ``rows`` is the FROM ... WHERE ... ORDER BY clause giving one row
    per record; ``action`` and ``record_id`` SQL expressions; ``before`` / ``after`` map a field
    to the SQL value it had and gets; ``new`` a SQL condition for a created record (no before).
    The change feed workflows read (docs/workflows.md)."""
    def struct(pairs: dict[str, str]) -> str:
        return "to_json(struct_pack(" + ", ".join(f'"{f}" := {v}' for f, v in pairs.items()) + "))::VARCHAR"

    con.execute(
        "INSERT INTO _audit_log (audit_id, changed_at, role, action, entity, entity_id, before, after, source) "
        f"SELECT uuid()::VARCHAR, ?, 'system', {action}, ?, ({record_id})::VARCHAR, "
        f"CASE WHEN {new} THEN NULL ELSE {struct(before)} END, {struct(after)}, ? {rows}",
        [at, entity, source])


def read_audit(con: Any, *, entity: str | None = None, entity_id: str | None = None,
               limit: int = 100) -> list[dict[str, Any]]:
    """Newest first; ``before`` and ``after`` parsed back into objects."""
    where, params = [], []
    if entity:
        where.append("entity = ?")
        params.append(entity)
    if entity_id:
        where.append("entity_id = ?")
        params.append(entity_id)
    sql = (f"SELECT * FROM _audit_log {'WHERE ' + ' AND '.join(where) if where else ''} "
           f"ORDER BY changed_at DESC, audit_id LIMIT {int(limit)}")
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        entry = dict(zip(names, row))
        for side in ("before", "after"):
            entry[side] = json.loads(entry[side]) if entry[side] else None
        out.append(entry)
    return out


def _json(record: dict[str, Any] | None) -> str | None:
    """The record as JSON, empty fields left out (a field absent is null)."""
    if record is None:
        return None
    return json.dumps({k: p for k, v in record.items() if (p := _plain(v)) is not None}, sort_keys=True, default=str)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
