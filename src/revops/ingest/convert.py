"""SQL that turns source text into typed canonical values.

Each converter takes a SQL expression holding the (trimmed, non-empty or NULL) text
and returns a SQL expression of the target type that is NULL when the text does not
convert. A value is bad when the text is not NULL but the converted value is.
"""

from __future__ import annotations

from revops.ingest.reader import sql_str

# Date and time layouts tried, in order, when a mapping names no format. The first
# layout that reads every value of a column in the sample is used for the column.
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%m-%d-%Y",
    "%d %b %Y", "%b %d, %Y", "%d-%b-%Y", "%d %B %Y", "%B %d, %Y", "%m/%d/%y", "%d/%m/%y",
)
TIMESTAMP_FORMATS: tuple[str, ...] = (
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p", "%d-%m-%Y %H:%M",
)
ISO = "iso"          # DuckDB's own cast: ISO 8601 with optional time, fraction and offset
EPOCH = "epoch"      # seconds or milliseconds since 1970 (API exports)

TRUE_WORDS = ("true", "t", "yes", "y", "1", "x", "checked")
FALSE_WORDS = ("false", "f", "no", "n", "0", "unchecked")

EMAIL_PATTERN = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"


def text(col: str) -> str:
    """The column's text, trimmed, with empty strings as NULL."""
    return f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"


def number(expr: str, decimal: str | None = None) -> str:
    """`$1,200.50`, `1.200,50`, `€ 3 000`, `(450)` and `12%` read as numbers."""
    s = (f"regexp_replace({expr}, '[\\s$€£¥\u00a0]|USD|EUR|GBP|CHF|usd|eur|gbp', '', 'g')")
    neg = f"regexp_full_match({s}, '\\(.*\\)')"
    body = f"regexp_replace({s}, '^\\((.*)\\)$', '\\1')"
    pct = f"ends_with({body}, '%')"
    core = f"rtrim({body}, '%')"
    if decimal == ",":
        normal = f"replace(replace({core}, '.', ''), ',', '.')"
    elif decimal == ".":
        normal = f"replace({core}, ',', '')"
    else:
        normal = (
            f"CASE WHEN contains({core}, ',') AND contains({core}, '.') THEN "
            f"  CASE WHEN strpos({core}, ',') > strpos({core}, '.') "
            f"       AND length({core}) - length(replace({core}, ',', '')) = 1 "
            f"       AND NOT regexp_full_match({core}, '-?\\d{{1,3}}(\\.\\d{{3}})*,\\d{{3}}') "
            f"    THEN replace(replace({core}, '.', ''), ',', '.') "
            f"    ELSE replace({core}, ',', '') END "
            f"WHEN contains({core}, ',') THEN "
            f"  CASE WHEN regexp_full_match({core}, '-?\\d{{1,3}}(,\\d{{3}})+') "
            f"    THEN replace({core}, ',', '') ELSE replace({core}, ',', '.') END "
            f"WHEN regexp_full_match({core}, '-?\\d{{1,3}}(\\.\\d{{3}}){{2,}}') THEN replace({core}, '.', '') "
            f"ELSE {core} END"
        )
    value = f"TRY_CAST({normal} AS DOUBLE)"
    slow = (f"(CASE WHEN {neg} THEN -1 ELSE 1 END) * {value} "
            f"/ (CASE WHEN {pct} THEN 100.0 ELSE 1 END)")
    if decimal == ",":
        return f"({slow})"
    # Plain numbers and US-style money ($1,200.50), the bulk of any export, skip the
    # separator logic.
    return (f"(CASE WHEN regexp_full_match({expr}, '-?\\d+(\\.\\d+)?') THEN CAST({expr} AS DOUBLE) "
            f"WHEN regexp_full_match({expr}, '-?\\$?\\d{{1,3}}(,\\d{{3}})*(\\.\\d+)?') "
            f"THEN CAST(replace(replace({expr}, '$', ''), ',', '') AS DOUBLE) ELSE {slow} END)")


def integer(expr: str, decimal: str | None = None) -> str:
    n = number(expr, decimal)
    slow = f"(CASE WHEN ({n}) = round({n}) AND abs({n}) < 9e18 THEN CAST({n} AS BIGINT) END)"
    return f"(CASE WHEN regexp_full_match({expr}, '-?\\d{{1,18}}') THEN CAST({expr} AS BIGINT) ELSE {slow} END)"


def boolean(expr: str) -> str:
    low = f"lower({expr})"
    trues = ", ".join(sql_str(w) for w in TRUE_WORDS)
    falses = ", ".join(sql_str(w) for w in FALSE_WORDS)
    return f"(CASE WHEN {low} IN ({trues}) THEN true WHEN {low} IN ({falses}) THEN false END)"


def timestamp(expr: str, fmt: str) -> str:
    """A naive UTC timestamp; values with an offset are converted to UTC."""
    if fmt == ISO:
        # A plain cast would silently drop an offset: values with one go through TIMESTAMPTZ.
        return (f"(CASE WHEN regexp_matches({expr}, '\\d(Z|[+-]\\d\\d(:?\\d\\d)?)$') "
                f"THEN CAST(timezone('UTC', TRY_CAST({expr} AS TIMESTAMPTZ)) AS TIMESTAMP) "
                f"ELSE TRY_CAST({expr} AS TIMESTAMP) END)")
    if fmt == EPOCH:
        return (f"(CASE WHEN regexp_full_match({expr}, '\\d{{13}}') THEN make_timestamp(CAST({expr} AS BIGINT) * 1000) "
                f"WHEN regexp_full_match({expr}, '\\d{{9,10}}') THEN make_timestamp(CAST({expr} AS BIGINT) * 1000000) END)")
    return f"try_strptime({expr}, {sql_str(fmt)})"


def date(expr: str, fmt: str) -> str:
    if fmt == ISO:
        return f"CAST({timestamp(expr, ISO)} AS DATE)"
    return f"CAST({timestamp(expr, fmt)} AS DATE)"


def email(expr: str) -> str:
    low = f"lower({expr})"
    return f"(CASE WHEN regexp_full_match({low}, {sql_str(EMAIL_PATTERN)}) THEN {low} END)"


def candidate_formats(field_type: str) -> tuple[str, ...]:
    if field_type == "date":
        return (ISO, *DATE_FORMATS, EPOCH)
    return (ISO, *TIMESTAMP_FORMATS, *DATE_FORMATS, EPOCH)


def convert(expr: str, field_type: str, *, fmt: str | None = None, decimal: str | None = None,
            semantic: str | None = None) -> str:
    """SQL converting the text ``expr`` to ``field_type``."""
    if field_type == "string":
        return email(expr) if semantic == "email" else expr
    if field_type == "number":
        return number(expr, decimal)
    if field_type == "integer":
        return integer(expr, decimal)
    if field_type == "boolean":
        return boolean(expr)
    if field_type == "date":
        return date(expr, fmt or ISO)
    if field_type == "timestamp":
        return timestamp(expr, fmt or ISO)
    raise ValueError(f"no converter for type {field_type!r}")


def layout_example(fmt: str) -> str:
    """31 March 2024 13:45 written in the layout ``fmt``: ``%d/%m/%Y`` -> ``31/03/2024``."""
    from datetime import datetime

    if fmt == ISO:
        return "2024-03-31"
    if fmt == EPOCH:
        return "1711892700"
    try:
        return datetime(2024, 3, 31, 13, 45).strftime(fmt)
    except ValueError:
        return fmt


def describe_expected(field_type: str, fmt: str | None, semantic: str | None, *, field: str | None = None,
                      where: str | None = None) -> str:
    """What a good value looks like, for a quarantine reason. ``where`` is the mapping line
    the layout came from (None when it was detected)."""
    if semantic == "email":
        return "an e-mail address like name@company.com"
    if field_type in ("date", "timestamp"):
        entry = f"formats.{field}" if field else "formats.<field>"
        if fmt in (None, ISO):
            shown = "ISO 8601 (2024-03-31)"
        elif fmt == EPOCH:
            shown = "epoch seconds or milliseconds"
        else:
            shown = f"{fmt} (like {layout_example(fmt)})"
        if where:
            return f"a {field_type} in the layout {shown} that {entry} ({where}) gives"
        return f"a {field_type} in the layout {shown}; set {entry} in the mapping if the file uses another"
    return {
        "number": "a number (1200.50, $1,200.50 and 1.200,50 are read)",
        "integer": "a whole number",
        "boolean": "true/false, yes/no or 1/0",
    }.get(field_type, field_type)
