"""`revops events ingest FILE`: a file of events into the store, then the workflows they start.

The file is JSON lines (one event per line, as POST /v1/events takes it) or a JSON array.
Each event_id is stored once (a file loaded twice adds nothing); a line that is not a valid
event is quarantined (``_quarantine``, table ``events``) with its line number and reason.
Stored events and the quarantine land in one transaction.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa

from revops.engines.routing.audit import store_lock
from revops.errors import RevopsError
from revops.orchestration.events import EventLog, RejectedEvent, parse_lines
from revops.store.store import utcnow

CHUNK = 50_000


def read_event_file(path: Path) -> tuple[list[Any], list[RejectedEvent]]:
    if not path.exists():
        raise RevopsError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8-sig")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise RevopsError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); write one event per line "
                              "(JSON lines) or one JSON array of events") from None
        lines = [json.dumps(item) for item in items]
    else:
        lines = text.splitlines()
    return parse_lines(lines)


def ingest_events(store: Any, model: Any, path: Path, *, source: str | None = None, work: bool = True,
                  progress: Any = None) -> dict[str, Any]:
    started = utcnow()
    good, bad = read_event_file(path)
    run = uuid.uuid4().hex[:12]
    stored = duplicates = 0
    with store_lock(store), store.transaction() as con:
        log = EventLog(con)
        for i in range(0, len(good), CHUNK):
            kept, fresh = log.append(con, good[i:i + CHUNK], started, source=source)
            stored += len(kept)
            duplicates += fresh.count(False)
        _quarantine(con, run, path, bad, started)
        con.execute(
            "INSERT INTO _ingest_runs (run_id, table_name, file, file_path, source_kind, started_at, finished_at, "
            "rows_read, inserted, updated, unchanged, quarantined, model_hash) VALUES "
            "(?, 'events', ?, ?, 'events', ?, ?, ?, ?, 0, ?, ?, ?)",
            [run, str(path), str(path.resolve()), started, utcnow(), len(good) + len(bad), stored, duplicates,
             len(bad), model.hash()])
    result: dict[str, Any] = {"file": str(path), "read": len(good) + len(bad), "stored": stored,
                              "duplicates": duplicates, "quarantined": len(bad)}
    if work:
        from revops.orchestration.engine import Orchestrator

        orchestrator = Orchestrator(store, model)
        try:
            stats = orchestrator.run_until_idle()
        finally:
            orchestrator.close()
        result.update({"runs_started": stats.runs_started, "runs_completed": stats.runs_completed,
                       "steps_done": stats.steps_done, "steps_dead": stats.steps_dead,
                       "steps_waiting": len(orchestrator.steps)})
    return result


def _quarantine(con: Any, run: str, path: Path, bad: list[RejectedEvent], at: Any) -> None:
    if not bad:
        return
    rows = [{"run_id": run, "table_name": "events", "file": str(path), "file_path": str(path.resolve()),
             "row": b.line, "column_name": None, "value": None, "reason": b.reason, "record_id": None,
             "raw": b.raw, "quarantined_at": at} for b in bad]
    con.register("_event_q", pa.Table.from_pylist(rows))
    try:
        con.execute("INSERT INTO _quarantine BY NAME SELECT * FROM _event_q")
    finally:
        con.unregister("_event_q")
