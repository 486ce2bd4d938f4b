"""Where each sync left off: the high-water mark of the CRM's modified date per (system,
object), and the record of each run.

The cursor moves only after the rows pulled up to it are in the store (their ingest has
committed), and never backwards: a crash in between re-pulls those rows on the next sync,
whose upsert finds them unchanged; nothing is ever skipped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from revops.store import Store
from revops.store.store import utcnow


@dataclass
class ObjectRun:
    """One CRM object pulled into one canonical table in one sync."""

    object: str
    table: str
    pulled: int = 0
    stored: int = 0
    quarantined: int = 0
    cursor_before: datetime | None = None
    pulled_since: datetime | None = None
    """The modified date the pull asked from: --since, else the cursor less the overlap."""
    cursor_after: datetime | None = None
    ingest_run_id: str | None = None
    status: str = "ok"
    error: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        if data["error"] is None:
            del data["error"]
        return data


def read_cursor(store: Store, system: str, obj: str) -> datetime | None:
    rows = store.con.execute("SELECT cursor FROM _sync_state WHERE system = ? AND object = ?",
                             [system, obj]).fetchall()
    return rows[0][0] if rows else None


def read_cursors(store: Store, system: str) -> dict[str, datetime | None]:
    return dict(store.con.execute("SELECT object, cursor FROM _sync_state WHERE system = ? ORDER BY object",
                                  [system]).fetchall())


def advance_cursor(store: Store, system: str, obj: str, cursor: datetime | None, sync_id: str) -> datetime | None:
    """Move the cursor to ``cursor`` if that is later than where it stands; where it stands now.
    Runs in the caller's transaction."""
    before = read_cursor(store, system, obj)
    if cursor is None or (before is not None and cursor <= before):
        return before
    store.con.execute("DELETE FROM _sync_state WHERE system = ? AND object = ?", [system, obj])
    store.con.execute("INSERT INTO _sync_state (system, object, cursor, sync_id, updated_at) VALUES (?, ?, ?, ?, ?)",
                      [system, obj, cursor, sync_id, utcnow()])
    return cursor


def record_run(store: Store, sync_id: str, system: str, since: datetime | None, started: datetime,
               run: ObjectRun) -> None:
    """One ``_sync_runs`` row. Runs in the caller's transaction."""
    store.con.execute(
        "INSERT INTO _sync_runs (sync_id, system, object, table_name, since, cursor_before, pulled_since, "
        "cursor_after, pulled, stored, quarantined, ingest_run_id, status, error, started_at, finished_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [sync_id, system, run.object, run.table, since, run.cursor_before, run.pulled_since, run.cursor_after,
         run.pulled, run.stored, run.quarantined, run.ingest_run_id, run.status, run.error, started, utcnow()],
    )
