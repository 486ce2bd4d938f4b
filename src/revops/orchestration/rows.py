"""Writing the workflow tables: rows as Arrow tables, inserted or updated by column name in the
caller's transaction."""

from __future__ import annotations

from typing import Any

import pyarrow as pa


def insert_rows(con: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert dicts as rows, by column name (columns a row lacks stay null)."""
    if rows:
        insert_arrow(con, table, pa.Table.from_pylist(rows))


def insert_arrow(con: Any, table: str, data: pa.Table) -> None:
    con.register("_workflow_rows", data)
    try:
        con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _workflow_rows')
    finally:
        con.unregister("_workflow_rows")


def update_rows(con: Any, table: str, key: str, rows: list[dict[str, Any]]) -> None:
    """Update the rows whose ``key`` matches, setting every other field the dicts carry."""
    if not rows:
        return
    data = pa.Table.from_pylist(rows)
    names = [n for n in data.column_names if n != key]
    con.register("_workflow_updates", data)
    try:
        sets = ", ".join(f'"{n}" = u."{n}"' for n in names)
        con.execute(f'UPDATE "{table}" SET {sets} FROM _workflow_updates u WHERE "{table}"."{key}" = u."{key}"')
    finally:
        con.unregister("_workflow_updates")
