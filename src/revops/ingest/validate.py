"""Validation: typing the staged text, one converted column per field and one reason per bad value.

The staged rows become ``_ingest_typed``: ``_row``, the converted value of every field
present, and ``_bad``. Rows with ``_bad`` are quarantined with a reason per column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from revops.errors import IngestError
from revops.ingest import convert
from revops.ingest.columns import ColumnPlan
from revops.ingest.mapping import Mapping
from revops.ingest.reader import STAGE, sql_str
from revops.store import schema
from revops.store.store import quote

TYPED = "_ingest_typed"
MAX_VALUE_BYTES = 1 << 20
SAMPLE_ROWS = 20_000
FORMAT_SAMPLE_ROWS = 5_000


@dataclass
class FieldPlan:
    """How one field is read. ``value_sql``, ``bad_sql`` and ``reason_sql`` are written
    over the placeholder ``{r}`` (the raw text) and ``{v}`` (the converted value)."""

    name: str
    type: str
    raw_sql: str                      # the text after value mapping, NULL when empty
    value_sql: str                    # the converted value, over {r}
    bad_sql: str                      # true when the value is bad, over {r} and {v}
    reason_sql: str                   # SQL text expression for the reason, over {r} and {v}
    source: str                       # source column or "constant"
    custom: bool = False
    text_sql: str = ""                # the source text before value mapping, NULL when empty

    def value(self, r: str) -> str:
        return self.value_sql.replace("{r}", r)

    def bad(self, r: str, v: str) -> str:
        return self.bad_sql.replace("{r}", r).replace("{v}", v)

    def reason(self, r: str, v: str) -> str:
        return self.reason_sql.replace("{r}", r).replace("{v}", v)


@dataclass
class TypingPlan:
    fields: list[FieldPlan] = field(default_factory=list)
    custom_types: dict[str, str] = field(default_factory=dict)   # new custom column -> type
    widened: list[str] = field(default_factory=list)             # custom columns widened to string


def _target_text(value: object) -> str:
    """A values-map target or constant as text: trimmed, '' for null, true/false for booleans."""
    text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return text.strip()


def _target_sql(value: object) -> str:
    """A values-map target as SQL text, NULL when empty (``N/A: ""`` or ``N/A: null``)."""
    text = _target_text(value)
    return sql_str(text) if text else "NULL"


def _values_case(raw: str, values: dict[str, object]) -> str:
    if not values:
        return raw
    exact = " ".join(f"WHEN {sql_str(str(k))} THEN {_target_sql(v)}" for k, v in values.items())
    lowered: dict[str, str] = {}
    for k, v in values.items():
        lowered.setdefault(str(k).strip().lower(), _target_sql(v))
    loose = " ".join(f"WHEN {sql_str(k)} THEN {v}" for k, v in lowered.items())
    return f"(CASE {raw} {exact} ELSE (CASE lower({raw}) {loose} ELSE {raw} END) END)"


def vocab_key(value: str, vocab: dict[str, str]) -> str | None:
    """The vocabulary key ``value`` spells, as the ingest SQL reads it (None when none)."""
    spellings: dict[str, str] = {}
    for spelling, key in vocab.items():
        t = spelling.strip().lower()
        spellings.setdefault(t, key)
        spellings.setdefault(t.replace(" ", "_").replace("-", "_"), key)
    low = value.strip().lower()
    return spellings.get(low) or spellings.get(re.sub(r"[\s\-/]+", "_", low))


def check_mapping(con: duckdb.DuckDBPyConnection, table: schema.Table, mapping: Mapping,
                  vocabularies: dict[str, dict[str, str]]) -> None:
    """Refuse a mapping whose values or constants can never be stored, or whose formats DuckDB
    cannot read, naming the file and line: such a slip would otherwise quarantine every row
    it touches with the mapping's value, not the file's."""
    problems: list[str] = []
    for section, entries in (("values", mapping.values), ("constants", mapping.constants)):
        for fname, targets in entries.items():
            if fname not in table.field_names:
                continue
            f = table.field(fname)
            pairs = targets.items() if section == "values" else [(None, targets)]
            for key, target in pairs:
                text = _target_text(target)
                if not text:
                    continue
                entry = f"{section}.{fname}" + (f".{key}" if key is not None else "")
                what = f"{section}.{fname}: " + (f"{str(key)!r} maps to {text!r}" if key is not None else f"{text!r}")
                vocab = vocabularies.get(f.vocabulary or "") if f.vocabulary else None
                if vocab is not None:
                    if vocab_key(text, vocab) is None:
                        valid = ", ".join(dict.fromkeys(vocab.values()))
                        label = (f.vocabulary or "value").replace("_", " ")
                        problems.append(f"{mapping.where(entry)}: {what}, which is not a {label}; "
                                        f"valid values: {valid}")
                    continue
                if f.type in ("number", "integer", "boolean") or f.semantic == "email":
                    sql = convert.convert(sql_str(text), f.type, decimal=mapping.decimal, semantic=f.semantic)
                    if con.execute(f"SELECT {sql} IS NULL").fetchone()[0]:
                        expected = convert.describe_expected(f.type, None, f.semantic)
                        problems.append(f"{mapping.where(entry)}: {what}, which is not {expected}")
    for fname, fmt in mapping.formats.items():
        if fmt.lower() in (convert.ISO, convert.EPOCH):
            continue
        try:
            con.execute(f"SELECT try_strptime('2000-01-01', {sql_str(fmt)})").fetchone()
        except duckdb.Error as exc:
            detail = str(exc).splitlines()[0].split(": ", 1)[-1]
            problems.append(f"{mapping.where('formats.' + fname)}: formats.{fname}: {fmt!r} is not a layout "
                            f"that can be read ({detail}); use strptime codes such as %Y %m %d %H %M %S %b %p")
    if problems:
        raise IngestError("invalid mapping:\n" + "\n".join(problems))


def _vocab_sql(raw: str, vocab: dict[str, str]) -> str:
    spellings: dict[str, str] = {}
    for spelling, key in vocab.items():
        s = spelling.strip().lower()
        spellings.setdefault(s, key)
        spellings.setdefault(s.replace(" ", "_").replace("-", "_"), key)
    norm = f"regexp_replace(lower({raw}), '[\\s\\-/]+', '_', 'g')"
    cases = " ".join(f"WHEN {sql_str(s)} THEN {sql_str(k)}" for s, k in spellings.items())
    return f"(CASE lower({raw}) {cases} ELSE (CASE {norm} {cases} END) END)"


def _format_failures(con: duckdb.DuckDBPyConnection, raw: str, formats: tuple[str, ...]) -> tuple[int, list[int], str | None]:
    """(non-empty values, values each layout fails to read, one non-empty value) in a sample."""
    checks = ", ".join(
        f"count(*) FILTER (WHERE v IS NOT NULL AND {convert.timestamp('v', f)} IS NULL)" for f in formats
    )
    row = con.execute(
        f"SELECT count(v), any_value(v), {checks} FROM (SELECT {raw} AS v FROM {STAGE} LIMIT {FORMAT_SAMPLE_ROWS})"
    ).fetchone()
    return int(row[0]), [int(n) for n in row[2:]], row[1]


def _detect_format(con: duckdb.DuckDBPyConnection, raw: str, ftype: str) -> str:
    """The first layout that reads every value in a sample of the column."""
    candidates = convert.candidate_formats(ftype)
    non_null, fails, _ = _format_failures(con, raw, candidates)
    if not non_null:
        return convert.ISO
    best = min(range(len(candidates)), key=lambda i: (fails[i], i))
    return candidates[best]


def _mapped_format(con: duckdb.DuckDBPyConnection, raw: str, name: str, ftype: str, source: str,
                   mapping: Mapping) -> str:
    """The layout ``formats.<name>`` gives. A layout that reads none of the column's values
    while another reads them all is a slip in the mapping: the file is refused, naming the
    line and the layout that fits, rather than every row quarantined."""
    fmt = mapping.formats[name]
    if fmt.lower() in (convert.ISO, convert.EPOCH):
        return fmt.lower()
    candidates = convert.candidate_formats(ftype)
    non_null, fails, example = _format_failures(con, raw, (fmt, *candidates))
    if not non_null or fails[0] < non_null:
        return fmt
    fitting = [f for f, n in zip(candidates, fails[1:]) if n == 0]
    if not fitting:
        return fmt      # no layout reads these values: they are bad, not the layout
    fit = fitting[0]
    if fit == convert.ISO:
        fix = f"remove formats.{name}: ISO 8601 dates (2024-03-31) are read without one"
    elif fit == convert.EPOCH:
        fix = f"set formats.{name}: epoch (seconds or milliseconds since 1970)"
    else:
        fix = f"set formats.{name}: \"{fit}\" (like {convert.layout_example(fit)}), or remove it to have the layout detected"
    raise IngestError(
        f"{mapping.where('formats.' + name)}: formats.{name}: the layout {fmt!r} reads none of the values of "
        f"column {source!r} (such as {example!r}); {fix}. Nothing was changed."
    )


def _infer_custom_type(con: duckdb.DuckDBPyConnection, raw: str) -> str:
    """The narrowest type that reads every non-empty value of a custom column: chosen on a
    sample, then checked on every row (a column that fails the check stays text)."""
    guess = _guess_custom_type(con, raw, f"(SELECT * FROM {STAGE} LIMIT {SAMPLE_ROWS})")
    if guess == "string" or _failures(con, raw, guess) == 0:
        return guess
    return "string"


def _guess_custom_type(con: duckdb.DuckDBPyConnection, raw: str, source: str) -> str:
    kinds = {
        "boolean": convert.boolean("v"),
        "integer": convert.integer("v", "."),
        "number": convert.number("v", "."),
        "date": convert.date("v", convert.ISO),
        "timestamp": convert.timestamp("v", convert.ISO),
    }
    checks = ", ".join(f"count(*) FILTER (WHERE v IS NOT NULL AND {sql} IS NULL)" for sql in kinds.values())
    row = con.execute(
        f"SELECT count(v), {checks}, bool_and(regexp_full_match(v, '\\d+')), "
        f"bool_and(regexp_matches(v, '^\\d{{4}}-\\d{{2}}-\\d{{2}}')), bool_and(length(v) = 10) "
        f"FROM (SELECT {raw} AS v FROM {source})"
    ).fetchone()
    if not row[0]:
        return "string"
    fails = dict(zip(kinds, row[1:6]))
    all_digits, iso_dates, no_time = row[6:9]
    if fails["boolean"] == 0 and not all_digits:
        return "boolean"
    for kind in ("integer", "number"):
        if fails[kind] == 0:
            return kind
    if fails["date"] == 0 and iso_dates:
        return "date" if no_time else "timestamp"
    return "string"


@dataclass
class ValueMapSlip:
    """A values-map entry that no row holds, next to a value the column does hold."""

    field: str
    key: str        # the entry in the mapping
    value: str      # the value of the file it is close to
    where: str      # map.yaml:12

    @property
    def message(self) -> str:
        return (f"{self.where}: values.{self.field} maps {self.key!r}, which no row holds, "
                f"while {self.value!r} is left as it is: a typo?")


def value_map_slips(con: duckdb.DuckDBPyConnection, plan: ColumnPlan, mapping: Mapping) -> list[ValueMapSlip]:
    """Entries of ``mapping.values`` matching no value of their column, each with the unmapped
    value of the column it is closest to (at most 2 edits, fewer than a third of its letters,
    and not only in digits, as ids and years differ): the likely typo behind values that then
    go unmapped or are quarantined."""
    slips: list[ValueMapSlip] = []
    for fname, vmap in mapping.values.items():
        src = plan.canonical.get(fname)
        if not vmap or src is None or fname in plan.constants:
            continue
        keys = list(dict.fromkeys(str(k).strip().lower() for k in vmap))
        keys_sql = ", ".join(f"({sql_str(k)})" for k in keys)
        rows = con.execute(
            f"WITH k(key) AS (VALUES {keys_sql}), "
            f"v AS (SELECT DISTINCT {convert.text(quote(src))} AS v FROM {STAGE}), "
            f"unused AS (SELECT key FROM k WHERE key NOT IN (SELECT lower(v) FROM v WHERE v IS NOT NULL)), "
            f"unmapped AS (SELECT v FROM v WHERE v IS NOT NULL AND lower(v) NOT IN (SELECT key FROM k)) "
            f"SELECT u.key, m.v FROM unused u, unmapped m "
            f"WHERE abs(length(u.key) - length(m.v)) <= 2 "
            f"AND regexp_replace(u.key, '[0-9]', '', 'g') <> regexp_replace(lower(m.v), '[0-9]', '', 'g') "
            f"AND levenshtein(u.key, lower(m.v)) <= 2 AND levenshtein(u.key, lower(m.v)) * 3 < length(u.key) "
            f"QUALIFY row_number() OVER (PARTITION BY u.key ORDER BY levenshtein(u.key, lower(m.v)), m.v) = 1 "
            f"ORDER BY 1"
        ).fetchall()
        spelled = {str(k).strip().lower(): str(k) for k in vmap}
        for key, value in rows:
            original = spelled.get(key, key)
            slips.append(ValueMapSlip(fname, original, value, mapping.where(f"values.{fname}.{original}")))
    return slips


def plan_typing(con: duckdb.DuckDBPyConnection, table: schema.Table, plan: ColumnPlan, mapping: Mapping,
                vocabularies: dict[str, dict[str, str]], existing_custom: dict[str, str],
                slips: list[ValueMapSlip] | None = None) -> TypingPlan:
    out = TypingPlan()
    long_cols = _long_columns(con, [*plan.canonical.values(), *plan.custom.values()])
    for fname in plan.fields_present:
        f = table.field(fname)
        if fname in plan.constants:
            base = f"NULLIF({sql_str(plan.constants[fname])}, '')"
            source = "constant"
        else:
            base = convert.text(quote(plan.canonical[fname]))
            source = plan.canonical[fname]
        raw = _values_case(base, mapping.values.get(fname, {}))
        fp = _field_plan(con, f.name, f.type, raw, source, mapping, vocabularies.get(f.vocabulary or ""),
                         f.vocabulary, f.semantic, required=f.required or fname == table.key,
                         too_long=source in long_cols,
                         slips=[sl for sl in slips or [] if sl.field == fname])
        fp.text_sql = base
        out.fields.append(fp)
    for cname, src in plan.custom.items():
        raw = convert.text(quote(src))
        if cname in existing_custom:
            ctype = existing_custom[cname]
            if ctype != "string" and _failures(con, raw, ctype) > 0:
                out.widened.append(cname)
                ctype = "string"
        else:
            ctype = _infer_custom_type(con, raw)
            out.custom_types[cname] = ctype
        fmt = convert.ISO if ctype in ("date", "timestamp") else None
        fp = _field_plan(con, cname, ctype, raw, src, Mapping(decimal="."), None, None, None,
                         required=False, too_long=src in long_cols, fmt=fmt, custom=True)
        fp.text_sql = raw
        out.fields.append(fp)
    return out


def _failures(con: duckdb.DuckDBPyConnection, raw: str, ctype: str) -> int:
    sql = convert.convert("v", ctype, fmt=convert.ISO, decimal=".")
    return int(con.execute(
        f"SELECT count(*) FROM (SELECT {raw} AS v FROM {STAGE}) WHERE v IS NOT NULL AND {sql} IS NULL"
    ).fetchone()[0])


def _long_columns(con: duckdb.DuckDBPyConnection, cols: list[str]) -> set[str]:
    if not cols:
        return set()
    uniq = list(dict.fromkeys(cols))
    row = con.execute("SELECT " + ", ".join(f"max(strlen({quote(c)}))" for c in uniq) + f" FROM {STAGE}").fetchone()
    return {c for c, n in zip(uniq, row) if n is not None and n > MAX_VALUE_BYTES}


def _field_plan(con: duckdb.DuckDBPyConnection, name: str, ftype: str, raw: str, source: str, mapping: Mapping,
                vocab: dict[str, str] | None, vocab_name: str | None, semantic: str | None, *,
                required: bool, too_long: bool, fmt: str | None = None, custom: bool = False,
                slips: list[ValueMapSlip] | None = None) -> FieldPlan:
    reasons: list[tuple[str, str]] = []   # (condition over {r} and {v}, reason SQL)
    if too_long:
        reasons.append((f"strlen({{r}}) > {MAX_VALUE_BYTES}",
                        sql_str(f"value is larger than {MAX_VALUE_BYTES // (1 << 20)} MB; a field holds at most that")))
    if vocab is not None:
        value = _vocab_sql("{r}", vocab)
        valid = list(dict.fromkeys(vocab.values()))
        label = (vocab_name or "value").replace("_", " ")
        hint = ""
        if slips:
            cases = " ".join(f"WHEN {sql_str(sl.value)} THEN {sql_str(' (' + sl.message + ')')}" for sl in slips)
            hint = f" || (CASE {{r}} {cases} ELSE '' END)"
        reasons.append(("{r} IS NOT NULL AND {v} IS NULL",
                        sql_str(f"unknown {label} '") + " || {r} || " +
                        sql_str(f"'; valid values: {', '.join(valid)}. Map it under values.{name} in the mapping")
                        + hint))
    else:
        where = None
        if ftype in ("date", "timestamp") and fmt is None:
            if name in mapping.formats:
                fmt = _mapped_format(con, raw, name, ftype, source, mapping)
                where = mapping.where(f"formats.{name}")
            else:
                fmt = _detect_format(con, raw, ftype)
        value = convert.convert("{r}", ftype, fmt=fmt, decimal=mapping.decimal, semantic=semantic)
        if ftype != "string" or semantic:
            expected = convert.describe_expected(ftype, fmt, semantic, field=name, where=where)
            reasons.append(("{r} IS NOT NULL AND {v} IS NULL",
                            sql_str(f"{name}: '") + " || left({r}, 200) || " +
                            sql_str(f"' is not {expected}")))
    if required:
        reasons.append(("{r} IS NULL", sql_str(f"missing required field {name}")))
    bad = " OR ".join(f"({c})" for c, _ in reasons) or "false"
    reason = "CASE " + " ".join(f"WHEN {c} THEN {r}" for c, r in reasons) + " END" if reasons else "NULL"
    return FieldPlan(name, ftype, raw, value, bad, reason, source, custom)


def _layers(typing: TypingPlan, source: str, with_text: bool = False) -> str:
    """raw text (r_i) -> converted value (v_i), each computed once per row; with_text adds
    the file's own text (t_i), before the values map."""
    raws = ", ".join(f"{f.raw_sql} AS r{i}" for i, f in enumerate(typing.fields))
    if with_text:
        raws += ", " + ", ".join(f"{f.text_sql or f.raw_sql} AS t{i}" for i, f in enumerate(typing.fields))
    values = ", ".join(f"{f.value(f'r{i}')} AS v{i}" for i, f in enumerate(typing.fields))
    return f"(SELECT *, {values} FROM (SELECT _row, {raws} FROM {source}))"


def build_typed(con: duckdb.DuckDBPyConnection, typing: TypingPlan) -> None:
    """Create ``_ingest_typed`` from the stage: converted values plus the _bad flag."""
    cols = [f"v{i} AS {quote(f.name)}" for i, f in enumerate(typing.fields)]
    bad = " OR ".join(f"({f.bad(f'r{i}', f'v{i}')})" for i, f in enumerate(typing.fields)) or "false"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {TYPED} AS SELECT _row, "
        + ", ".join(cols + [f"({bad}) AS _bad"]) + f" FROM {_layers(typing, STAGE)}"
    )


def bad_values(con: duckdb.DuckDBPyConnection, typing: TypingPlan, key: str) -> list[tuple]:
    """(row, column, value, reason, record id) for every bad value of the rows flagged bad."""
    if not typing.fields:
        return []
    if not con.execute(f"SELECT count(*) FROM {TYPED} WHERE _bad").fetchone()[0]:
        return []
    con.execute(f"CREATE OR REPLACE TEMP TABLE _ingest_bad AS SELECT s.* FROM {STAGE} s "
                f"SEMI JOIN (SELECT _row FROM {TYPED} WHERE _bad) b ON s._row = b._row")
    key_index = next((i for i, f in enumerate(typing.fields) if f.name == key), None)
    key_sql = f"r{key_index}" if key_index is not None else "NULL"
    parts = []
    for i, f in enumerate(typing.fields):
        column = sql_str(f.source if f.source != "constant" else f.name)
        r, v = f"r{i}", f"v{i}"
        parts.append(
            f"SELECT _row, {column} AS column_name, left(t{i}, 1000) AS value, {f.reason(r, v)} AS reason, "
            f"{key_sql} AS record_id FROM layers WHERE {f.bad(r, v)}"
        )
    rows = con.execute(f"WITH layers AS {_layers(typing, '_ingest_bad', with_text=True)} "
                       + " UNION ALL ".join(parts) + " ORDER BY 1, 2").fetchall()
    con.execute("DROP TABLE _ingest_bad")
    return rows
