"""The Store: one DuckDB file that holds the canonical GTM tables and revops' own records.

The store is the one source of truth. Engines read it through Ibis (``Store.ibis``) so
the same analytics can run on another backend; writes go through DuckDB transactions
so each ingest or demo build is applied atomically.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from revops.errors import StoreError
from revops.store import schema
from revops.store.migrations import MIGRATIONS

DEFAULT_DB = "revops.duckdb"


def default_db_path() -> Path:
    """`REVOPS_DB` if set, else revops.duckdb in the current directory."""
    return Path(os.environ.get("REVOPS_DB") or DEFAULT_DB)


def utcnow() -> datetime:
    """Naive UTC now: the store keeps timestamps as naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class Store:
    """A GTM data store in a DuckDB file (or ``:memory:``)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 memory_limit: str | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        target = ":memory:" if str(self.path) == ":memory:" else str(self.path)
        if read_only and target != ":memory:" and not self.path.exists():
            raise StoreError(
                f"no store at {self.path}; build one with `revops demo` or `revops ingest`, "
                "or point --db / REVOPS_DB at an existing file"
            )
        try:
            self.con = duckdb.connect(target, read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        # Timestamps are stored as naive UTC; offsets in source data convert to UTC.
        self.con.execute("SET TimeZone = 'UTC'")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.read_only = read_only
        self._ibis: Any = None
        if not read_only:
            self.migrate()

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ------------------------------------------------------------------------
    def migrate(self) -> list[int]:
        """Apply every migration not yet recorded in ``_schema_migrations``."""
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS _schema_migrations ("
            "version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP)"
        )
        done = {r[0] for r in self.con.execute("SELECT version FROM _schema_migrations").fetchall()}
        applied = []
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            with self.transaction():
                migration.apply(self.con)
                self.con.execute(
                    "INSERT INTO _schema_migrations VALUES (?, ?, ?)",
                    [migration.version, migration.description, utcnow()],
                )
            applied.append(migration.version)
        return applied

    def schema_version(self) -> int:
        row = self.con.execute("SELECT max(version) FROM _schema_migrations").fetchall()[0]
        return int(row[0] or 0)

    def columns(self, table: str) -> dict[str, str]:
        """Column name -> DuckDB type of a table as it is in the file (custom fields included)."""
        rows = self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return {name: dtype for name, dtype in rows}

    def custom_fields(self, table: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT table_name, column_name, type, first_seen_file, added_at FROM _custom_fields"
        params: list[Any] = []
        if table:
            sql += " WHERE table_name = ?"
            params.append(table)
        cur = self.con.execute(sql + " ORDER BY table_name, column_name", params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def has_table(self, name: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'",
            [name],
        ).fetchall()[0]  # fetchall: a half-read result blocks the next query (Ibis) on this connection
        return bool(row and row[0])

    # -- transactions and writes -------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN … COMMIT, rolled back on any exception: all of it lands or none of it."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    def append(self, table: str, data: pa.Table | Any) -> int:
        """Append rows to a table by column name; columns the data lacks are left null.

        ``data`` is an Arrow table or anything DuckDB can scan (a pandas DataFrame).
        Returns the number of rows appended.
        """
        existing = self.columns(table)
        if not existing:
            raise StoreError(f"no table {table!r} in store {self.path}")
        names = list(data.column_names) if isinstance(data, pa.Table) else list(data.columns)
        unknown = [n for n in names if n not in existing]
        if unknown:
            raise StoreError(f"table {table!r} has no column(s) {', '.join(unknown)}")
        self.con.register("_append_src", data)
        try:
            cols = ", ".join(quote(n) for n in names)
            casts = ", ".join(f"CAST({quote(n)} AS {existing[n]})" for n in names)
            self.con.execute(f"INSERT INTO {quote(table)} ({cols}) SELECT {casts} FROM _append_src")
        finally:
            self.con.unregister("_append_src")
        return len(data)

    def truncate(self, *tables: str) -> None:
        for t in tables:
            self.con.execute(f"DELETE FROM {quote(t)}")

    # -- reads -------------------------------------------------------------------------
    def row_counts(self, tables: tuple[str, ...] = schema.TABLE_NAMES) -> dict[str, int]:
        counts = {}
        for t in tables:
            if self.has_table(t):
                counts[t] = int(self.con.execute(f"SELECT count(*) FROM {quote(t)}").fetchall()[0][0])
            else:
                counts[t] = 0
        return counts

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    @property
    def ibis(self) -> Any:
        """An Ibis backend over this store's connection, for backend-neutral analytics."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis
