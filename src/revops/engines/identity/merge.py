"""Merging duplicate records, and undoing a merge.

A merge (one per cluster, ``merge_id``) keeps the survivor with its fields filled by the
survivorship rules, deletes the other records and repoints every reference to them (a contact's
account_id, an opportunity's contact_id, an activity's lead_id …) at the survivor. All of it
happens in one transaction, and `_merges` keeps one row per merged record with, as JSON, the
survivor and the merged record as they were, the references repointed, and the survivor after:
`undo_merge` puts back exactly what was there.

References are found from the canonical schema: in every table, a column named like the merged
table's key (``account_id``) or ending in it (``parent_account_id``, ``converted_account_id``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from revops.engines.identity.errors import IdentityError
from revops.engines.identity.predict import DuplicateReport
from revops.engines.identity.prepare import KEYS
from revops.engines.identity.survivorship import fetch_records, merged_record
from revops.store import schema
from revops.store.store import Store, quote, utcnow


@dataclass(frozen=True)
class Reference:
    table: str
    column: str
    key: str
    """The referencing table's own key, to find the same rows again on undo."""


@dataclass
class MergeResult:
    table: str
    merges: list[dict[str, Any]] = field(default_factory=list)
    """One per cluster: merge_id, survivor_id, merged_ids, references repointed."""

    @property
    def merged_records(self) -> int:
        return sum(len(m["merged_ids"]) for m in self.merges)


def references(store: Store, table: str) -> list[Reference]:
    """Every column of the store that points at a record of ``table``."""
    key = KEYS[table]
    found = []
    for other in schema.TABLES.values():
        columns = store.columns(other.name)
        for column in columns:
            if column == key and other.name == table:
                continue
            if column == key or column.endswith("_" + key):
                found.append(Reference(other.name, column, other.key))
    return found


def _json(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot keep a {type(value).__name__} in the merge record")


def _dumps(data: Any) -> str:
    return json.dumps(data, default=_json, sort_keys=True)


def apply_merges(store: Store, report: DuplicateReport, model: Any, *, by: str,
                 cluster_ids: list[str] | None = None) -> MergeResult:
    """Merge the clusters of ``report`` (all, or those named) in one transaction."""
    table = report.table
    key = KEYS[table]
    rules = model.identity.rules(table)
    clusters = {c: m for c, m in report.clusters.items() if cluster_ids is None or c in cluster_ids}
    result = MergeResult(table)
    if not clusters:
        return result
    refs = references(store, table)
    at = utcnow()
    with store.transaction() as con:
        records = fetch_records(con, table, (i for ids in clusters.values() for i in ids))
        plan: list[tuple[str, str, str]] = []  # (merge_id, survivor, merged)
        after_rows = []
        merge_rows = []
        for survivor_id, ids in clusters.items():
            members = [records[i] for i in ids if i in records]
            if len(members) < 2 or survivor_id not in records:
                continue
            merge_id = f"mrg_{uuid.uuid4().hex[:12]}"
            chosen = records[survivor_id]
            after = merged_record(members, chosen, rules, key)
            if "updated_at" in after:
                after["updated_at"] = at
            after_rows.append(after)
            merged_ids = [i for i in ids if i != survivor_id and i in records]
            plan.extend((merge_id, survivor_id, m) for m in merged_ids)
            result.merges.append({"merge_id": merge_id, "survivor_id": survivor_id, "merged_ids": merged_ids})
            for merged_id in merged_ids:
                pair = report.best.get(merged_id)
                merge_rows.append({"merge_id": merge_id, "merged_id": merged_id, "survivor_id": survivor_id,
                                   "probability": pair.probability if pair else None,
                                   "survivor_before": chosen, "merged_before": records[merged_id],
                                   "after": after})
        if not plan:
            return result
        con.register("_identity_merge_map", pa.table({
            "merge_id": [p[0] for p in plan], "survivor_id": [p[1] for p in plan], "merged_id": [p[2] for p in plan]}))
        try:
            repointed = _repoint(con, refs)
            _update_rows(con, table, key, after_rows, store.columns(table))
            con.execute(f"DELETE FROM {quote(table)} WHERE CAST({quote(key)} AS VARCHAR) IN "
                        "(SELECT merged_id FROM _identity_merge_map)")
        finally:
            con.unregister("_identity_merge_map")
        rows = []
        for m in merge_rows:
            before = {"survivor": m["survivor_before"], "merged": m["merged_before"],
                      "references": repointed.get(m["merged_id"], [])}
            rows.append({"merge_id": m["merge_id"], "table_name": table, "survivor_id": m["survivor_id"],
                         "merged_id": m["merged_id"], "probability": m["probability"], "before": _dumps(before),
                         "after": _dumps({"survivor": m["after"]}), "merged_at": at, "merged_by": by,
                         "undone_at": None, "undone_by": None})
        store.append("_merges", pa.Table.from_pylist(rows, schema=_MERGES_SCHEMA))
    for m in result.merges:
        m["references"] = sum(len(r["keys"]) for mid in m["merged_ids"] for r in repointed.get(mid, []))
    return result


_MERGES_SCHEMA = pa.schema([
    ("merge_id", pa.string()), ("table_name", pa.string()), ("survivor_id", pa.string()),
    ("merged_id", pa.string()), ("probability", pa.float64()), ("before", pa.string()), ("after", pa.string()),
    ("merged_at", pa.timestamp("us")), ("merged_by", pa.string()), ("undone_at", pa.timestamp("us")),
    ("undone_by", pa.string()),
])


def _repoint(con: Any, refs: list[Reference]) -> dict[str, list[dict[str, Any]]]:
    """Point references at merged records to their survivor; returns, per merged id, the rows
    changed: [{table, column, key, keys: [...]}]."""
    changed: dict[str, list[dict[str, Any]]] = {}
    for ref in refs:
        t, c, k = quote(ref.table), quote(ref.column), quote(ref.key)
        rows = con.execute(f"SELECT m.merged_id, list(CAST(x.{k} AS VARCHAR) ORDER BY x.{k}) FROM {t} x "
                           f"JOIN _identity_merge_map m ON CAST(x.{c} AS VARCHAR) = m.merged_id "
                           "GROUP BY m.merged_id").fetchall()
        if not rows:
            continue
        for merged_id, keys in rows:
            changed.setdefault(merged_id, []).append(
                {"table": ref.table, "column": ref.column, "key": ref.key, "keys": list(keys)})
        con.execute(f"UPDATE {t} SET {c} = m.survivor_id FROM _identity_merge_map m "
                    f"WHERE CAST({t}.{c} AS VARCHAR) = m.merged_id")
    return changed


def _update_rows(con: Any, table: str, key: str, rows: list[dict[str, Any]], types: dict[str, str]) -> None:
    """Overwrite whole rows of ``table`` (matched by ``key``) with ``rows``."""
    if not rows:
        return
    columns = [c for c in types if c in rows[0]]
    data = pa.table({c: pa.array([_plain(r.get(c)) for r in rows], pa.string()) for c in columns})
    con.register("_identity_rows", data)
    try:
        sets = ", ".join(f"{quote(c)} = CAST(r.{quote(c)} AS {types[c]})" for c in columns if c != key)
        con.execute(f"UPDATE {quote(table)} SET {sets} FROM _identity_rows r "
                    f"WHERE CAST({quote(table)}.{quote(key)} AS VARCHAR) = CAST(r.{quote(key)} AS VARCHAR)")
    finally:
        con.unregister("_identity_rows")


def _insert_rows(con: Any, table: str, rows: list[dict[str, Any]], types: dict[str, str]) -> None:
    if not rows:
        return
    columns = [c for c in types if any(c in r for r in rows)]
    data = pa.table({c: pa.array([_plain(r.get(c)) for r in rows], pa.string()) for c in columns})
    con.register("_identity_rows", data)
    try:
        names = ", ".join(quote(c) for c in columns)
        casts = ", ".join(f"CAST({quote(c)} AS {types[c]})" for c in columns)
        con.execute(f"INSERT INTO {quote(table)} ({names}) SELECT {casts} FROM _identity_rows")
    finally:
        con.unregister("_identity_rows")


def _plain(value: Any) -> str | None:
    """A value as text, cast back to its column's type by DuckDB: every column of the Arrow
    table one type, whatever mix of values the records hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def merges(store: Store, table: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The latest merges, newest first: merge_id, table, survivor, merged ids, when, by, undone."""
    sql = ("SELECT merge_id, table_name, survivor_id, list(merged_id ORDER BY merged_id) AS merged_ids, "
           "max(probability) AS probability, max(merged_at) AS merged_at, any_value(merged_by) AS merged_by, "
           "max(undone_at) AS undone_at FROM _merges")
    params: list[Any] = []
    if table:
        sql += " WHERE table_name = ?"
        params.append(table)
    sql += " GROUP BY merge_id, table_name, survivor_id ORDER BY merged_at DESC, merge_id LIMIT ?"
    return store.query(sql, [*params, limit])


def undo_merge(store: Store, merge_id: str, *, by: str) -> dict[str, Any]:
    """Put back the records and references merge ``merge_id`` changed, exactly as they were."""
    rows = store.query("SELECT * FROM _merges WHERE merge_id = ? ORDER BY merged_id", [merge_id])
    if not rows:
        recent = ", ".join(m["merge_id"] for m in merges(store, limit=5))
        raise IdentityError(f"no merge {merge_id!r}" + (f"; latest merges: {recent}" if recent else
                                                       "; nothing has been merged in this store"))
    if rows[0]["undone_at"] is not None:
        raise IdentityError(f"merge {merge_id} was already undone at {rows[0]['undone_at']:%Y-%m-%d %H:%M} UTC "
                            f"by {rows[0]['undone_by']}")
    table, survivor_id = rows[0]["table_name"], rows[0]["survivor_id"]
    merged_ids = [r["merged_id"] for r in rows]
    later = store.query(
        "SELECT DISTINCT merge_id FROM _merges WHERE undone_at IS NULL AND merged_at > ? AND table_name = ? AND "
        "(list_contains(?, survivor_id) OR list_contains(?, merged_id))",
        [rows[0]["merged_at"], table, [survivor_id, *merged_ids], [survivor_id, *merged_ids]])
    if later:
        raise IdentityError(f"merge {merge_id} cannot be undone while a later merge of the same records stands: "
                            f"undo {', '.join(r['merge_id'] for r in later)} first")
    key = KEYS[table]
    types = store.columns(table)
    present = fetch_records(store.con, table, [survivor_id, *merged_ids])
    if survivor_id not in present:
        raise IdentityError(f"merge {merge_id}: the survivor {survivor_id} is no longer in {table}; "
                            "it cannot be restored")
    back = [m for m in merged_ids if m in present]
    if back:
        raise IdentityError(f"merge {merge_id}: {', '.join(back)} exist in {table} again; "
                            "remove them before undoing the merge")
    befores = [json.loads(r["before"]) for r in rows]
    at = utcnow()
    with store.transaction() as con:
        _update_rows(con, table, key, [befores[0]["survivor"]], types)
        _insert_rows(con, table, [b["merged"] for b in befores], types)
        for row, before in zip(rows, befores):
            for ref in before["references"]:
                t, c, k = quote(ref["table"]), quote(ref["column"]), quote(ref["key"])
                con.execute(f"UPDATE {t} SET {c} = ? WHERE list_contains(?, CAST({k} AS VARCHAR)) "
                            f"AND CAST({c} AS VARCHAR) = ?", [row["merged_id"], ref["keys"], survivor_id])
        con.execute("UPDATE _merges SET undone_at = ?, undone_by = ? WHERE merge_id = ?", [at, by, merge_id])
    return {"merge_id": merge_id, "table": table, "survivor_id": survivor_id, "restored": merged_ids,
            "references": sum(len(ref["keys"]) for b in befores for ref in b["references"])}
