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
from revops.ingest.columns import plan_columns
from revops.ingest.mapping import Mapping, load_mapping
from revops.ingest.presets import preset_mapping
from revops.ingest.reader import stage_file
from revops.ingest.validate import TYPED, bad_values, build_typed, check_mapping, plan_typing, value_map_slips
from revops.store import Store, schema
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
    try:
        t = schema.table(table)
    except KeyError as exc:
        raise IngestError(str(exc.args[0])) from None
    path = Path(file)
    if not path.exists():
        raise IngestError(f"file not found: {path} (read from {Path.cwd()}); check the path")
    user_mapping = load_mapping(mapping, table) if mapping else Mapping()
    if model is None:
        from revops.model import load_model

        model = load_model(None)
    vocabularies = model.vocabularies()
    con = store.con
    check_mapping(con, t, user_mapping, vocabularies)
    con.execute("BEGIN TRANSACTION")
    try:
        staged = stage_file(con, path, encoding=user_mapping.encoding, delimiter=user_mapping.delimiter)
        effective = user_mapping
        if preset:
            effective = user_mapping.merged_over(preset_mapping(preset, table, staged.columns))
        plan = plan_columns(t, staged.columns, effective, path)
        existing_custom = {c["column_name"]: c["type"] for c in store.custom_fields(table)}
        slips = value_map_slips(con, plan, user_mapping)
        typing = plan_typing(con, t, plan, effective, vocabularies, existing_custom, slips)
        build_typed(con, typing)
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
