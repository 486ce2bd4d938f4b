"""`revops sync`: pull what changed in a CRM since the cursor and store it through ingest.

For each CRM object: the records modified since ``--since``, else since the stored cursor
less a few minutes of overlap (a record saved just before the last sync but indexed after it
is not lost), are pulled page by page into a JSON-lines file per canonical table, which
``ingest_file`` loads with the CRM's preset: every record is stored or quarantined with its
reason. Only then does the object's cursor move, to the latest modified date pulled.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from revops.connectors.cursor import ObjectRun, advance_cursor, read_cursor, record_run
from revops.connectors.errors import ConnectorError
from revops.connectors.feeds import Feed
from revops.connectors.fields import api_columns
from revops.ingest.pipeline import ingest_file
from revops.store import Store
from revops.store.store import utcnow

OVERLAP = timedelta(minutes=5)


class CrmSource(Protocol):
    system: str

    def feeds(self) -> tuple[Feed, ...]: ...


class SyncProgress(Protocol):
    def pulled(self, obj: str, count: int, total: int | None) -> None: ...

    def storing(self, obj: str, table: str) -> None: ...


@dataclass
class SyncReport:
    system: str
    sync_id: str
    since: datetime | None
    objects: list[ObjectRun] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"system": self.system, "sync_id": self.sync_id, "since": self.since,
                "objects": [run.to_dict() for run in self.objects]}


def run_sync(store: Store, source: CrmSource, *, since: datetime | None = None, model: Any = None,
             progress: SyncProgress | None = None, overlap: timedelta = OVERLAP) -> SyncReport:
    """Sync every object ``source`` offers into ``store``; raises ConnectorError (after recording
    the failed object in ``_sync_runs``) when the CRM cannot be read."""
    report = SyncReport(source.system, uuid.uuid4().hex[:12], since)
    with tempfile.TemporaryDirectory(prefix="revops-sync-") as folder:
        for feed in source.feeds():
            report.objects += _sync_feed(store, source.system, feed, report, Path(folder), model, progress, overlap)
    return report


def _sync_feed(store: Store, system: str, feed: Feed, report: SyncReport, folder: Path, model: Any,
               progress: SyncProgress | None, overlap: timedelta) -> list[ObjectRun]:
    started = utcnow()
    cursor = read_cursor(store, system, feed.object)
    pulled_since = report.since if report.since is not None else (cursor - overlap if cursor else None)
    runs = [ObjectRun(feed.object, t.table, cursor_before=cursor, pulled_since=pulled_since) for t in feed.targets]
    paths = [folder / f"sync-{system}-{feed.object}-{t.table}-{report.sync_id}.jsonl" for t in feed.targets]
    columns = [set(api_columns(system, t.table).values()) for t in feed.targets]
    high: datetime | None = None
    try:
        outs = [p.open("w", encoding="utf-8") for p in paths]
        try:
            seen = 0
            for page in feed.pull(pulled_since):
                for record in page.records:
                    for target, run, out, cols in zip(feed.targets, runs, outs, columns):
                        if target.keep(record.row):
                            row = {k: v for k, v in record.row.items() if k in cols}
                            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                            run.pulled += 1
                    if record.modified_at is not None and (high is None or record.modified_at > high):
                        high = record.modified_at
                seen += len(page.records)
                if progress:
                    progress.pulled(feed.object, seen, page.total)
        finally:
            for out in outs:
                out.close()
        for run, path in zip(runs, paths):
            if not run.pulled:
                continue
            if progress:
                progress.storing(feed.object, run.table)
            result = ingest_file(store, run.table, path, preset=system, model=model, progress=False)
            run.stored = result.inserted + result.updated + result.unchanged
            run.quarantined = result.quarantined
            run.ingest_run_id = result.run_id
    except ConnectorError as exc:
        for run in runs:
            run.status, run.error, run.cursor_after = "failed", str(exc), cursor
        with store.transaction():
            for run in runs:
                record_run(store, report.sync_id, system, report.since, started, run)
        raise
    with store.transaction():  # the rows are stored: now, and only now, the cursor moves
        after = advance_cursor(store, system, feed.object, high, report.sync_id)
        for run in runs:
            run.cursor_after = after
            record_run(store, report.sync_id, system, report.since, started, run)
            if run.ingest_run_id:
                store.con.execute("UPDATE _ingest_runs SET source_kind = ? WHERE run_id = ?",
                                  [system, run.ingest_run_id])
    return runs
