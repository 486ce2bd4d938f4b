"""The store's status: tables, where their rows came from, how fresh, model version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from revops.store import Store, schema


FRESHNESS_FIELDS = ("updated_at", "changed_at", "occurred_at", "usage_date", "period_start",
                    "created_at", "start_date")
"""The record date that says how fresh a table's data is, first match wins."""


def freshness_field(table: schema.Table) -> str | None:
    names = set(table.field_names)
    return next((f for f in FRESHNESS_FIELDS if f in names), None)


def _newest_records(store: Store) -> dict[str, Any]:
    newest: dict[str, Any] = {}
    for t in schema.TABLES.values():
        name = freshness_field(t)
        if name is None:
            continue
        expr = f'max("{name}")'
        if name == "updated_at" and "created_at" in t.field_names:
            expr = 'greatest(max("updated_at"), max("created_at"))'
        newest[t.name] = store.con.execute(f'SELECT {expr} FROM "{t.name}"').fetchall()[0][0]
    return newest


def store_status(db: Path, model: Any, model_source: str) -> dict[str, Any]:
    model_hash = model.hash()
    report: dict[str, Any] = {
        "store": str(db), "exists": db.exists(), "schema_version": 0,
        "model": {"source": model_source, "hash": model_hash, "recorded_version": None,
                  "recorded_hash": None, "applied_at": None, "in_sync": False},
        "tables": [], "quarantined": 0,
    }
    if not db.exists():
        report["tables"] = [{"table": t, "rows": 0, "newest_record": None, "last_loaded_at": None, "last_source": None,
                             "loads": 0, "quarantined": 0} for t in schema.TABLE_NAMES]
        return report
    with Store(db, read_only=True) as store:
        report["schema_version"] = store.schema_version()
        counts = store.row_counts()
        runs = {r["table_name"]: r for r in store.query(
            "SELECT table_name, count(*) AS loads, max(finished_at) AS last_loaded_at, "
            "arg_max(file, finished_at) AS last_source, arg_max(source_kind, finished_at) AS kind "
            "FROM _ingest_runs GROUP BY table_name")}
        quarantine = {r["table_name"]: r["n"] for r in store.query(
            "SELECT table_name, count(DISTINCT (file_path, \"row\")) AS n FROM _quarantine GROUP BY table_name")}
        newest = _newest_records(store)
        for t in schema.TABLE_NAMES:
            run = runs.get(t, {})
            report["tables"].append({
                "table": t, "rows": counts[t], "newest_record": newest.get(t),
                "last_loaded_at": run.get("last_loaded_at"),
                "last_source": run.get("last_source"), "loads": int(run.get("loads") or 0),
                "quarantined": int(quarantine.get(t, 0)),
            })
        report["quarantined"] = sum(quarantine.values())
        latest = store.query("SELECT version, hash, applied_at FROM _model_versions ORDER BY version DESC LIMIT 1")
        if latest:
            report["model"].update(recorded_version=latest[0]["version"], recorded_hash=latest[0]["hash"],
                                   applied_at=latest[0]["applied_at"], in_sync=latest[0]["hash"] == model_hash)
    return report
