"""Deciding which source column feeds which canonical field, and which become custom attributes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from revops.errors import IngestError
from revops.ingest.mapping import Mapping, snake_case
from revops.ingest.presets import norm
from revops.store import schema


@dataclass
class ColumnPlan:
    canonical: dict[str, str] = field(default_factory=dict)   # field -> source column
    constants: dict[str, str] = field(default_factory=dict)   # field -> constant text
    custom: dict[str, str] = field(default_factory=dict)      # custom column name -> source column

    @property
    def fields_present(self) -> list[str]:
        return list(dict.fromkeys([*self.canonical, *self.constants]))


def plan_columns(table: schema.Table, source_columns: list[str], mapping: Mapping,
                 file: Path) -> ColumnPlan:
    """Map explicit columns first, then same-named columns, then keep the rest as custom."""
    by_exact = {c: c for c in source_columns}
    by_norm: dict[str, str] = {}
    for c in source_columns:
        by_norm.setdefault(norm(c), c)
    plan = ColumnPlan()
    used: set[str] = set()
    for fname, src in mapping.columns.items():
        col = by_exact.get(src) or by_norm.get(norm(src))
        if col is None:
            raise IngestError(
                f"mapping {mapping.source} maps {fname} to column {src!r}, which is not in {file} "
                f"(its columns: {', '.join(source_columns)}). Fix the column name in the mapping."
            )
        plan.canonical[fname] = col
        used.add(col)
    for fname, value in mapping.constants.items():
        plan.constants[fname] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    for f in table.fields:
        if f.name in plan.canonical or f.name in plan.constants:
            continue
        col = by_norm.get(norm(f.name))
        if col is not None and col not in used:
            plan.canonical[f.name] = col
            used.add(col)
    missing = [f for f in table.required if f not in plan.canonical and f not in plan.constants]
    if missing:
        raise IngestError(
            f"{file}: no column for required field(s) {', '.join(missing)} of {table.name}; "
            f"the file's columns are {', '.join(source_columns)}. Map them in a mapping file "
            f"(columns: {{{missing[0]}: <source column>}}) or use --preset salesforce|hubspot."
        )
    taken = set(table.field_names)
    for c in source_columns:
        if c in used:
            continue
        name = snake_case(c)
        base, n = name, 2
        while name in taken or name.startswith("_"):
            name = f"{base}_{n}" if not base.startswith("_") else f"c{base}_{n}"
            n += 1
        taken.add(name)
        plan.custom[name] = c
    return plan
