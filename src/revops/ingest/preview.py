"""Reading a file exactly as ingest would (reader, mapping or preset, validation) without
storing anything: for commands that act on a file's records as they are, such as
``revops score --input leads.csv`` or ``revops route --input leads.csv``.

    with read_records(store, "leads", path, mapping=map_path, model=model) as records:
        store.con.execute(f"SELECT * FROM {records.relation}")   # the good rows, typed
        records.quarantined                                       # the bad ones, with reasons

Everything happens inside a transaction that is rolled back when the block ends, so the
store is left exactly as it was: no rows, no custom columns, no quarantine, no run record.
A record id that appears more than once keeps its last row, as ingest would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from revops.errors import IngestError
from revops.ingest.pipeline import IngestRequest, type_file
from revops.ingest.progress import Phases
from revops.ingest.validate import TYPED, bad_values
from revops.store import Store
from revops.store.store import quote

RECORDS = "_file_records"


@dataclass
class FileRecords:
    """The good rows of a file in the temporary table ``relation``, and the rows set aside."""

    table: str
    file: str
    relation: str
    rows_read: int
    rows: int
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def messages(self) -> list[str]:
        """One line per quarantined value: "leads.csv row 3, column Employees: <reason>"."""
        return [f"{self.file} row {q['row']}" + (f", column {q['column']}" if q.get("column") else "")
                + f": {q['reason']}" for q in self.quarantined]


@contextmanager
def read_records(store: Store, table: str, file: str | Path, *, mapping: str | Path | None = None,
                 preset: str | None = None, model: Any = None) -> Iterator[FileRecords]:
    """Yield the file's records read as ingest reads them; nothing is kept afterwards."""
    request = IngestRequest.of(table, file, mapping, preset, model)
    if not request.path.exists():
        raise IngestError(f"file not found: {request.path} (read from {Path.cwd()}); check the path")
    t, con = request.spec, store.con
    request.check(con)
    con.execute("BEGIN TRANSACTION")
    try:
        with Phases("", steps=2, enabled=False) as quiet:
            typed = type_file(store, request, quiet, add_columns=False)
        staged, slips, typing = typed.staged, typed.slips, typed.typing
        problems = bad_values(con, typing, t.key)
        quarantined = [{"row": r.row, "column": r.column, "value": r.raw or None, "reason": r.reason}
                       for r in staged.rejects]
        quarantined += [{"row": row, "column": column, "value": value, "reason": reason}
                        for row, column, value, reason, _record_id in problems]
        quarantined.sort(key=lambda q: (q["row"], q["column"] or ""))
        names = [f.name for f in typing.fields]
        key = quote(t.key)
        missing = [f"CAST(NULL AS {f.sql_type}) AS {quote(f.name)}" for f in t.fields if f.name not in names]
        cols = ", ".join([*(quote(n) for n in names), *missing])
        con.execute(f"CREATE OR REPLACE TEMP TABLE {RECORDS} AS SELECT {cols} FROM {TYPED} WHERE NOT _bad "
                    f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _row DESC) = 1")
        rows = int(con.execute(f"SELECT count(*) FROM {RECORDS}").fetchall()[0][0])
        yield FileRecords(table, str(file), RECORDS, staged.rows_read, rows, quarantined,
                          [s.message for s in slips])
    finally:
        con.execute("ROLLBACK")
