"""Reading a source file into a staging table of text columns, keeping every row.

Each data row gets ``_row``, its 1-based number in the file (header not counted).
Records the CSV parser cannot read (too many or too few columns, broken quoting,
bad bytes) come back as rejects with their row number, so nothing is lost.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from revops.errors import IngestError

STAGE = "_ingest_stage"
MAX_LINE_BYTES = 256 * 1024 * 1024  # one record may be this large before the file is refused
SUPPORTED = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".jsonl", ".ndjson", ".json")


@dataclass
class Reject:
    row: int
    reason: str
    raw: str
    column: str | None = None


@dataclass
class StagedFile:
    columns: list[str]
    rows: int                     # rows in the staging table
    rejects: list[Reject] = field(default_factory=list)
    encoding: str = "utf-8"
    kind: str = "csv"

    @property
    def rows_read(self) -> int:
        return self.rows + len(self.rejects)


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def detect_encoding(path: Path, requested: str | None) -> str:
    """utf-8 unless a BOM says utf-16, or bytes that are not UTF-8 say latin-1."""
    if requested:
        return requested.lower().replace("_", "-")
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        saw_nul = False
        while True:
            chunk = fh.read(1 << 22)
            if not chunk:
                break
            if b"\x00" in chunk:
                saw_nul = True
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return "latin-1"
        if saw_nul:
            raise IngestError(
                f"{path}: the file holds NUL bytes, so it is not UTF-8 or Latin-1 text "
                "(a UTF-16 export without a byte-order mark, or a binary file). Re-save it as "
                "UTF-8 CSV, or set `encoding: utf-16` in the mapping file."
            )
    return "utf-8"


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, *, encoding: str | None = None,
               delimiter: str | None = None) -> StagedFile:
    """Load ``path`` into the temp table ``_ingest_stage`` (all VARCHAR plus ``_row``)."""
    if not path.exists():
        hint = "" if path.is_absolute() else f" (relative to the current folder {Path.cwd()})"
        raise IngestError(f"file not found: {path}{hint}; check the path and the file name")
    if path.is_dir():
        raise IngestError(f"{path} is a folder; give one file to ingest")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return _stage_parquet(con, path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _stage_jsonl(con, path)
    return _stage_csv(con, path, encoding=encoding, delimiter=delimiter)


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, *, encoding: str | None,
               delimiter: str | None) -> StagedFile:
    if path.stat().st_size == 0:
        raise IngestError(f"{path} is empty: a CSV file needs a header row naming its columns")
    enc = detect_encoding(path, encoding)
    header_cols = _header(con, path, enc, delimiter)
    columns_sql = "{" + ", ".join(f"{sql_str(c)}: 'VARCHAR'" for c in header_cols) + "}"
    opts = [
        "header = true", f"columns = {columns_sql}", f"encoding = {sql_str(enc)}",
        "store_rejects = true", "rejects_table = '_ingest_rejects'",
        "rejects_scan = '_ingest_rejects_scan'", f"max_line_size = {MAX_LINE_BYTES}",
        "quote = '\"'", "escape = '\"'",
    ]
    sniff = _sniffed(con, path, enc, delimiter)
    opts.append(f"delim = {sql_str(sniff)}")
    con.execute("DROP TABLE IF EXISTS _ingest_rejects")
    con.execute("DROP TABLE IF EXISTS _ingest_rejects_scan")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {STAGE} AS "
            f"SELECT * FROM read_csv({sql_str(str(path))}, {', '.join(opts)})"
        )
    except duckdb.Error as exc:
        raise IngestError(_csv_error(path, exc)) from None
    con.execute(f"ALTER TABLE {STAGE} ADD COLUMN _row BIGINT")
    rejects = [
        Reject(row=int(line) - 1, reason=_reject_reason(etype, msg), raw=(raw or "")[:2000])
        for line, etype, msg, raw in con.execute(
            "SELECT line, error_type, error_message, csv_line FROM _ingest_rejects ORDER BY line"
        ).fetchall()
    ]
    # One record may appear several times in the rejects (one per bad column): keep one.
    seen: dict[int, Reject] = {}
    for r in rejects:
        seen.setdefault(r.row, r)
    rejects = sorted(seen.values(), key=lambda r: r.row)
    _number_rows(con, [r.row for r in rejects])
    rows = int(con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0])
    return StagedFile(columns=header_cols, rows=rows, rejects=rejects, encoding=enc, kind="csv")


def _sniffed(con: duckdb.DuckDBPyConnection, path: Path, enc: str, delimiter: str | None) -> str:
    if delimiter:
        return "\t" if delimiter in ("\\t", "tab") else delimiter
    sample = _sample_text(path, enc)
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _sample_text(path: Path, enc: str, size: int = 1 << 16) -> str:
    with path.open("rb") as fh:
        data = fh.read(size)
    text = data.decode(enc, errors="replace")
    return text.lstrip("\ufeff").replace("\r\n", "\n")


def _header(con: duckdb.DuckDBPyConnection, path: Path, enc: str, delimiter: str | None) -> list[str]:
    """The column names in the first record, read with a bounded buffer."""
    import csv
    import io

    with path.open("rb") as fh:
        data = fh.read(1 << 20)
        if len(data) == 1 << 20 and b"\n" not in data:
            raise IngestError(
                f"{path}: the first line is longer than 1 MB, so it is not a header row naming "
                "columns. Check that this is a CSV export with a header."
            )
    text = data.decode(enc, errors="replace").lstrip("\ufeff")
    delim = _sniffed(con, path, enc, delimiter)
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise IngestError(f"{path}:1: cannot read the header row ({exc})") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise IngestError(f"{path}:1: the header row is empty; the first line must name the columns")
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(header):
        name = h or f"column{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _number_rows(con: duckdb.DuckDBPyConnection, rejected_rows: list[int]) -> None:
    """Give staged rows their data row number, skipping the numbers of rejected records."""
    # Rows written inside a transaction get rowids from a large offset: count from the first.
    con.execute(f"CREATE OR REPLACE TEMP TABLE _ingest_base AS SELECT min(rowid) AS b FROM {STAGE}")
    base = f"({STAGE}.rowid - (SELECT b FROM _ingest_base))"
    if not rejected_rows:
        con.execute(f"UPDATE {STAGE} SET _row = {base} + 1")
        return
    # Good row g (0-based) comes after rejected row r_i (sorted, i 1-based) when the
    # number of good rows before r_i, r_i - i, is at most g.
    before = [r - i for i, r in enumerate(sorted(rejected_rows), start=1)]
    con.execute("CREATE OR REPLACE TEMP TABLE _ingest_gaps (k BIGINT)")
    con.executemany("INSERT INTO _ingest_gaps VALUES (?)", [[k] for k in before])
    con.execute(
        f"UPDATE {STAGE} SET _row = {base} + 1 + "
        f"(SELECT count(*) FROM _ingest_gaps g WHERE g.k <= {base})"
    )


def _reject_reason(error_type: str, message: str) -> str:
    kind = (error_type or "").lower()
    if "too many" in kind:
        return f"row has more values than the header has columns ({message}); check for an unquoted delimiter"
    if "missing" in kind:
        return f"row has fewer values than the header has columns ({message})"
    if "quote" in kind:
        return f"broken quoting ({message}); a value with a delimiter or newline must be in double quotes"
    if "encoding" in kind:
        return "bytes that are not valid text in the file's encoding; re-save the file as UTF-8"
    if "line size" in kind:
        return f"row is larger than {MAX_LINE_BYTES // (1024 * 1024)} MB"
    return f"{error_type}: {message}"


def _csv_error(path: Path, exc: Exception) -> str:
    text = str(exc)
    lines = [ln for ln in text.splitlines() if ln.strip() and len(ln) < 400]
    if "Maximum line size" in text:
        return (f"{path}: a row is larger than {MAX_LINE_BYTES // (1024 * 1024)} MB; "
                "this does not look like a CSV export (check the file and its delimiter)")
    return f"{path}: cannot be read as CSV: " + " ".join(lines[:3])


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> StagedFile:
    try:
        cols = [r[0] for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({sql_str(str(path))})").fetchall()]
    except duckdb.Error as exc:
        raise IngestError(f"{path}: cannot be read as Parquet: {exc}") from None
    select = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in cols)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT {select} "
                f"FROM read_parquet({sql_str(str(path))})")
    con.execute(f"ALTER TABLE {STAGE} ADD COLUMN _row BIGINT")
    _number_rows(con, [])
    rows = int(con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0])
    return StagedFile(columns=cols, rows=rows, kind="parquet")


def _stage_jsonl(con: duckdb.DuckDBPyConnection, path: Path, batch: int = 50_000) -> StagedFile:
    """JSON lines read line by line so that a bad line is quarantined with its number."""
    enc = detect_encoding(path, None)
    columns: list[str] = []
    rejects: list[Reject] = []
    batches: list[pa.Table] = []
    pending: list[dict[str, str | None]] = []
    row = 0

    def flush() -> None:
        if pending:
            batches.append(pa.Table.from_pylist(list(pending)))
            pending.clear()

    with path.open("r", encoding=enc, errors="replace", newline="") as fh:
        for line in fh:
            if not line.strip():
                continue
            row += 1
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                rejects.append(Reject(row, f"not valid JSON: {exc.msg} at character {exc.pos}", line[:2000]))
                continue
            if not isinstance(obj, dict):
                rejects.append(Reject(row, "a JSON line must be an object of field: value", line[:2000]))
                continue
            rec: dict[str, str | None] = {"_row": str(row)}
            for k, v in obj.items():
                if k not in columns:
                    columns.append(k)
                rec[k] = None if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else
                                                 ("true" if v is True else "false" if v is False else str(v)))
            pending.append(rec)
            if len(pending) >= batch:
                flush()
    flush()
    if row == 0:
        raise IngestError(f"{path} is empty: no JSON lines to ingest")
    schema = pa.schema([(c, pa.string()) for c in columns] + [("_row", pa.string())])
    aligned = [b.select([c for c in schema.names if c in b.column_names]) for b in batches]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} ("
                + ", ".join(f'"{c}" VARCHAR' for c in columns) + ", _row BIGINT)")
    for b in aligned:
        con.register("_ingest_batch", b)
        cols = ", ".join(f'"{c}"' for c in b.column_names)
        con.execute(f"INSERT INTO {STAGE} ({cols}) SELECT {cols} FROM _ingest_batch")
        con.unregister("_ingest_batch")
    rows = int(con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0])
    return StagedFile(columns=columns, rows=rows, rejects=rejects, encoding=enc, kind="jsonl")
