"""Printing results: --format table|json|csv. With json, stdout holds only the JSON;
progress, logs and warnings go to stderr."""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import Enum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from revops.jsonable import plain  # noqa: F401  (re-exported: commands import it from here)

stderr = Console(stderr=True)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="table (default), json or csv. json prints only JSON to stdout."),
]


def to_json(data: Any) -> str:
    return json.dumps(plain(data), indent=2, ensure_ascii=False)


def emit(data: Any, fmt: OutputFormat, *, columns: list[str] | None = None, title: str | None = None,
         caption: str | None = None) -> None:
    """Print ``data`` (a list of row dicts or one dict) in the asked format; a table may carry a
    ``caption`` under it (how to read it)."""
    if fmt is OutputFormat.json:
        sys.stdout.write(to_json(data) + "\n")
        return
    rows = data if isinstance(data, list) else [data]
    if columns is None:
        columns = []
        for row in rows:
            for key in row:
                if key not in columns:
                    columns.append(key)
    if fmt is OutputFormat.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else _csv_cell(row.get(c)) for c in columns])
        sys.stdout.write(buf.getvalue())
        return
    table = RichTable(title=title, caption=caption, show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    for row in rows:
        table.add_row(*["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    Console().print(table)


def _csv_cell(value: Any) -> Any:
    """A value as other tools read it back: numbers unformatted, lists and dicts as JSON."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _cell(value: Any) -> str:
    value = plain(value)
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def comma_list(text: str | None) -> tuple[str, ...]:
    """An option holding comma-separated values (``--owner a,b``), blanks dropped."""
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())
