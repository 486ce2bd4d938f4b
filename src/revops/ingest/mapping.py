"""Mapping files: how the columns of a source file become canonical fields.

    columns:        # canonical field: source column
      opportunity_id: opportunity_id
      owner_id: sales_agent
    values:         # canonical field: {source value: canonical value}
      stage: {Won: closed_won, Lost: closed_lost}
    formats:        # canonical field: strptime format of the source
      created_at: "%d-%m-%Y"
    constants:      # canonical field: value for every row
      type: new_business

Options beyond the contract: ``decimal`` ("." or ",") for numbers written the
European way, ``encoding`` and ``delimiter`` to override detection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from revops.errors import IngestError
from revops.store import schema


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    decimal: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    source: str = "<built-in>"
    # Line of each entry in the mapping file: "columns.owner_id", "values.stage",
    # "values.stage.Won", "formats.close_date", "constants.type" -> 1-based line.
    lines: dict[str, int] = field(default_factory=dict)

    def where(self, entry: str) -> str:
        """``map.yaml:12`` for an entry of this mapping (its nearest known line)."""
        parts = entry.split(".")
        while parts:
            line = self.lines.get(".".join(parts))
            if line:
                return f"{self.source}:{line}"
            parts.pop()
        return self.source

    def merged_over(self, base: Mapping) -> Mapping:
        """This mapping on top of ``base`` (a preset): explicit entries win."""
        values = {k: dict(v) for k, v in base.values.items()}
        for k, v in self.values.items():
            values.setdefault(k, {}).update(v)
        return Mapping(
            columns={**base.columns, **self.columns},
            values=values,
            formats={**base.formats, **self.formats},
            constants={**base.constants, **self.constants},
            decimal=self.decimal or base.decimal,
            encoding=self.encoding or base.encoding,
            delimiter=self.delimiter or base.delimiter,
            source=self.source,
            lines=dict(self.lines),
        )


_SECTIONS = {"columns", "values", "formats", "constants", "decimal", "encoding", "delimiter"}


def snake_case(name: str) -> str:
    """`Deal Stage` -> `deal_stage`, `CloseDate` -> `close_date`, `Amount (USD)` -> `amount_usd`."""
    s = name.strip().lstrip("\ufeff")
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"[^0-9a-zA-Z]+", "_", s).strip("_").lower()
    if not s:
        s = "column"
    if s[0].isdigit():
        s = "c_" + s
    return s


def load_mapping(path: str | Path, table: str, spec: schema.Table | None = None) -> Mapping:
    """Read and check a mapping file. Errors name the file, the line and what to do.

    ``spec`` is the table the file loads into, when it has more fields than the canonical one
    (the custom fields the revenue model declares: ``custom_fields.with_declared_fields``)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    p = Path(path)
    if not p.exists():
        raise IngestError(f"mapping file not found: {p}")
    try:
        data = YAML(typ="rt").load(p.read_text(encoding="utf-8"))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark else str(p)
        raise IngestError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise IngestError(f"{p}:1: a mapping file is a YAML mapping with sections {sorted(_SECTIONS)}")

    def line_of(node: Any, key: Any) -> int:
        try:
            return int(node.lc.key(key)[0]) + 1
        except Exception:
            return 1

    problems: list[str] = []
    for key in data:
        if key not in _SECTIONS:
            problems.append(f"{p}:{line_of(data, key)}: unknown section {key!r}; "
                            f"sections are {', '.join(sorted(_SECTIONS))}")
    t = spec or schema.table(table)
    canonical = set(t.field_names)
    for section in ("columns", "values", "formats", "constants"):
        node = data.get(section) or {}
        if not isinstance(node, dict):
            problems.append(f"{p}:{line_of(data, section)}: {section} must be a mapping of field: value")
            continue
        for fname in node:
            if fname not in canonical:
                hint = ""
                target = node.get(fname)
                if section == "columns" and isinstance(target, str) and target in canonical:
                    hint = (f"; columns are written field: source column, so this line may be the wrong "
                            f"way round ({target}: {fname})")
                problems.append(
                    f"{p}:{line_of(node, fname)}: {section}.{fname}: {table} has no field {fname!r}; "
                    f"fields are {', '.join(t.field_names)} (unmapped source columns are kept as custom "
                    f"attributes automatically; to map onto a field of your own, declare it under "
                    f"custom_fields.{table} in revops.yaml){hint}"
                )
            elif section == "columns" and (node[fname] is None or isinstance(node[fname], (dict, list))):
                problems.append(f"{p}:{line_of(node, fname)}: columns.{fname} must name one column of the "
                                f"file (columns: {{{fname}: <source column>}})")
    for fname, fmt in (data.get("formats") or {}).items():
        if fname in canonical and t.field(fname).type not in ("date", "timestamp"):
            problems.append(f"{p}:{line_of(data['formats'], fname)}: formats.{fname}: "
                            f"{fname} is a {t.field(fname).type}, formats apply to dates and timestamps")
        elif fname in canonical and (not isinstance(fmt, str) or
                                     ("%" not in fmt and fmt.lower() not in ("iso", "epoch"))):
            problems.append(f"{p}:{line_of(data['formats'], fname)}: formats.{fname}: {fmt!r} is not a "
                            "strptime format; write the layout with % codes, e.g. \"%d/%m/%Y\" for 31/03/2024 "
                            "or \"%m/%d/%Y %I:%M %p\" for 03/31/2024 1:45 PM")
    for fname, vmap in (data.get("values") or {}).items():
        if not isinstance(vmap, dict):
            problems.append(f"{p}:{line_of(data['values'], fname)}: values.{fname} must map "
                            "source values to canonical values")
    decimal = data.get("decimal")
    if decimal is not None and str(decimal) not in (".", ","):
        problems.append(f"{p}:{line_of(data, 'decimal')}: decimal must be '.' or ','")
    if problems:
        raise IngestError("invalid mapping:\n" + "\n".join(problems))
    lines: dict[str, int] = {}
    for section in ("columns", "values", "formats", "constants"):
        node = data.get(section) or {}
        for fname in node:
            lines[f"{section}.{fname}"] = line_of(node, fname)
            if section == "values":
                for key in node[fname]:
                    lines[f"values.{fname}.{key}"] = line_of(node[fname], key)
    return Mapping(
        columns={str(k): str(v) for k, v in (data.get("columns") or {}).items()},
        values={str(k): {str(sk): sv for sk, sv in v.items()} for k, v in (data.get("values") or {}).items()},
        formats={str(k): str(v) for k, v in (data.get("formats") or {}).items()},
        constants={str(k): v for k, v in (data.get("constants") or {}).items()},
        decimal=str(decimal) if decimal is not None else None,
        encoding=data.get("encoding"),
        delimiter=data.get("delimiter"),
        source=str(p),
        lines=lines,
    )
