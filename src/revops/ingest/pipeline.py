"""Ingest one file into one canonical table: read, map, validate, quarantine, upsert.

Everything a file changes (rows, history, quarantine, custom fields, the run record)
lands in one transaction, so a killed ingest leaves the store exactly as it was.
Every row read is accounted for:
``rows_read == inserted + updated + unchanged + quarantined``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from revops.errors import IngestError
from revops.ingest.columns import plan_columns
from revops.ingest.custom_fields import ensure_columns, with_declared_fields
from revops.ingest.mapping import Mapping, load_mapping
from revops.ingest.presets import preset_mapping
from revops.ingest.progress import Phases
from revops.ingest.reader import STAGE, stage_file
from revops.model.sections.workflows import watched
from revops.ingest.upsert import WINNERS, upsert
from revops.ingest.validate import TYPED, bad_values, build_typed, check_mapping, plan_typing, value_map_slips
from revops.model.fields import custom_field_types
from revops.store import Store, schema
from revops.store.store import quote, utcnow


@dataclass
class IngestResult:
    table: str
    file: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    run_id: str = ""
    # Likely slips in the mapping that did not stop the load, each naming its file and line
    # (a values entry that no row holds, next to a value left unmapped).
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The counts; ``warnings`` only when there are some."""
        data = asdict(self)
        if not data["warnings"]:
            del data["warnings"]
        return data


@dataclass(frozen=True)
class IngestRequest:
    """A file to read into a canonical table: what ingest and its dry-run preview are asked."""

    spec: Any
    """The canonical table (``schema.table``)."""
    path: Path
    mapping: Mapping
    preset: str | None
    model: Any
    vocabularies: Any
    """The model's vocabularies (stages, forecast categories…) values are checked against."""

    @classmethod
    def of(cls, table: str, file: str | Path, mapping: str | Path | None, preset: str | None,
           model: Any) -> IngestRequest:
        try:
            spec = schema.table(table)
        except KeyError as exc:
            raise IngestError(str(exc.args[0])) from None
        if model is None:
            from revops.model import load_model

            model = load_model(None)
        spec = with_declared_fields(spec, model)  # the model's custom fields are fields of the table
        return cls(spec, Path(file), load_mapping(mapping, table, spec) if mapping else Mapping(), preset, model,
                   model.vocabularies())

    def check(self, con: Any) -> None:
        """Refuse a mapping that cannot work, at its line, before any row is read."""
        check_mapping(con, self.spec, self.mapping, self.vocabularies)


@dataclass(frozen=True)
class TypedFile:
    """A file staged, its columns planned and its values typed into ``TYPED`` (in the open
    transaction)."""

    staged: Any
    effective: Mapping
    """The user's mapping over the preset's."""
    slips: list[Any]
    typing: Any
    notes: list[str] = field(default_factory=list)
    """Stored values of a declared custom field set aside when its column took the declared type."""


def type_file(store: Store, request: IngestRequest, phases: Phases, *, add_columns: bool) -> TypedFile:
    """Read the file, plan its columns and type its values; ``add_columns`` adds the custom
    attributes it brings to the table (ingest does, a preview does not)."""
    con, t, path, table = store.con, request.spec, request.path, request.spec.name
    with phases.step("reading", con):
        staged = stage_file(con, path, encoding=request.mapping.encoding, delimiter=request.mapping.delimiter)
    effective = request.mapping
    if request.preset:
        effective = request.mapping.merged_over(preset_mapping(request.preset, table, staged.columns))
    plan = plan_columns(t, staged.columns, effective, path)
    existing_custom = {c["column_name"]: c["type"] for c in store.custom_fields(table)}
    with phases.step("validating", con):
        slips = value_map_slips(con, plan, request.mapping)
        typing = plan_typing(con, t, plan, effective, request.vocabularies, existing_custom, slips)
        notes = _add_declared_columns(store, request, plan.fields_present, str(path)) if add_columns else []
        if add_columns:
            _add_custom_columns(store, table, typing.custom_types, typing.widened, str(path))
        build_typed(con, typing)
    return TypedFile(staged, effective, slips, typing, notes)


def ingest_file(store: Store, table: str, file: str | Path, *, mapping: str | Path | None = None,
                preset: str | None = None, model: Any = None, progress: bool | None = None) -> IngestResult:
    """Ingest ``file`` into ``table`` of ``store``. Raises IngestError when the file as a
    whole cannot be used (missing, empty, a mapped column absent); bad rows are quarantined."""
    request = IngestRequest.of(table, file, mapping, preset, model)
    t, path, model = request.spec, request.path, request.model
    run_id = uuid.uuid4().hex[:12]
    started = utcnow()
    con = store.con
    request.check(con)
    with Phases(f"ingest {path.name}", steps=5, enabled=progress) as phases, store.transaction():
        typed = type_file(store, request, phases, add_columns=True)
        staged, effective, slips, typing = typed.staged, typed.effective, typed.slips, typed.typing
        with phases.step("quarantining", con):
            problems = bad_values(con, typing, t.key)
            bad_rows = int(con.execute(f"SELECT count(*) FROM {TYPED} WHERE _bad").fetchone()[0])
            _quarantine(store, run_id, table, path, staged.rejects, problems)
        with phases.step("upserting", con):
            counts = upsert(con, t, [f.name for f in typing.fields], run_id=run_id, now=started,
                            feed=watched(model, table))
        with phases.step("recording", con):
            _clear_fixed(store, run_id, table, path, t.key)
            quarantined = bad_rows + len(staged.rejects)
            result = IngestResult(
                table=table, file=str(file), rows_read=staged.rows_read, inserted=counts.inserted,
                updated=counts.updated + counts.superseded, unchanged=counts.unchanged,
                quarantined=quarantined, run_id=run_id, warnings=[sl.message for sl in slips] + typed.notes,
            )
            _record_run(store, result, path, effective, preset, started, model)
            for tmp in (STAGE, TYPED, WINNERS, "_ingest_changes", "_ingest_gaps", "_ingest_base"):
                con.execute(f"DROP TABLE IF EXISTS {tmp}")
    accounted = result.inserted + result.updated + result.unchanged + result.quarantined
    if accounted != result.rows_read:  # an invariant, not an input problem
        raise AssertionError(f"ingest lost rows: read {result.rows_read}, accounted for {accounted}")
    return result


def _add_declared_columns(store: Store, request: IngestRequest, present: list[str], file: str) -> list[str]:
    """Columns for the declared custom fields the file feeds, of their declared type (an
    existing column of another type is converted: the declared type wins); what to tell."""
    declared = custom_field_types(request.model, request.spec.name)
    fields = {name: declared[name] for name in present if name in declared}
    if not fields:
        return []
    changes = ensure_columns(store.con, request.spec.name, fields, source=file, now=utcnow())
    return [c.note for c in changes if c.note]


def _add_custom_columns(store: Store, table: str, new: dict[str, str], widened: list[str], file: str) -> None:
    now = utcnow()
    for name, ftype in new.items():
        store.con.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(name)} {schema.SQL_TYPES[ftype]}")
        store.con.execute("INSERT INTO _custom_fields VALUES (?, ?, ?, ?, ?)", [table, name, ftype, file, now])
    for name in widened:
        store.con.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(name)} TYPE VARCHAR")
        store.con.execute("UPDATE _custom_fields SET type = 'string' WHERE table_name = ? AND column_name = ?",
                          [table, name])


def _quarantine(store: Store, run_id: str, table: str, path: Path, rejects: list, problems: list[tuple]) -> None:
    now = utcnow()
    file_path = str(path.resolve())
    store.con.execute("DELETE FROM _quarantine WHERE table_name = ? AND file_path = ?", [table, file_path])
    # A record that could not be parsed has no column: its value is the record's text.
    rows = [[run_id, table, str(path), file_path, r.row, r.column, (r.raw or None) and r.raw[:1000], r.reason,
             None, r.raw, now] for r in rejects]
    rows += [[run_id, table, str(path), file_path, row, column, value, reason, record_id, None, now]
             for row, column, value, reason, record_id in problems]
    if rows:
        import pyarrow as pa

        names = ["run_id", "table_name", "file", "file_path", "row", "column_name", "value", "reason",
                 "record_id", "raw", "quarantined_at"]
        data = pa.Table.from_pylist([dict(zip(names, r)) for r in rows])
        store.con.register("_ingest_q", data)
        try:
            store.con.execute(f"INSERT INTO _quarantine ({', '.join(quote(n) for n in names)}) "
                              f"SELECT {', '.join(quote(n) for n in names)} FROM _ingest_q")
        finally:
            store.con.unregister("_ingest_q")


def _clear_fixed(store: Store, run_id: str, table: str, path: Path, key: str) -> None:
    """Quarantine entries of other files whose record this run has now stored cleanly."""
    store.con.execute(
        f"DELETE FROM _quarantine WHERE table_name = ? AND run_id <> ? AND record_id IN "
        f"(SELECT CAST({quote(key)} AS VARCHAR) FROM {WINNERS})",
        [table, run_id],
    )


def _record_run(store: Store, result: IngestResult, path: Path, mapping: Mapping, preset: str | None,
                started, model: Any) -> None:
    mapping_desc = json.dumps({"source": mapping.source, "columns": mapping.columns}, ensure_ascii=False)
    model_hash = model.hash() if hasattr(model, "hash") else None
    store.con.execute(
        "INSERT INTO _ingest_runs (run_id, table_name, file, file_path, source_kind, mapping, preset, "
        "started_at, finished_at, rows_read, inserted, updated, unchanged, quarantined, model_hash) "
        "VALUES (?, ?, ?, ?, 'file', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [result.run_id, result.table, result.file, str(path.resolve()), mapping_desc, preset, started, utcnow(),
         result.rows_read, result.inserted, result.updated, result.unchanged, result.quarantined, model_hash],
    )


def list_quarantine(store: Store, table: str | None = None) -> list[dict[str, Any]]:
    """Quarantined rows with the contract's fields: table, file, row, column, value, reason."""
    sql = ('SELECT table_name AS "table", file, "row", column_name AS "column", value, reason, record_id, '
           "run_id, quarantined_at FROM _quarantine")
    params: list[Any] = []
    if table:
        sql += " WHERE table_name = ?"
        params.append(table)
    return store.query(sql + ' ORDER BY table_name, file, "row", column_name', params)
