"""Hand-built GTM data for tests: rows as Arrow tables typed by the canonical schema, and
stores holding exactly the rows a test reasons about (the `gtm` fixture in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from revops.store import Store, schema

ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
               "date": pa.date32(), "timestamp": pa.timestamp("us")}
_SQL_TYPES = {"int64": "BIGINT", "double": "DOUBLE", "bool": "BOOLEAN", "date32[day]": "DATE"}


def rows_table(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as an Arrow table typed by the canonical schema (custom columns as given)."""
    fields = {f.name: ARROW_TYPES[f.type] for f in schema.table(table).fields}
    names = list(dict.fromkeys(k for r in rows for k in r))
    return pa.table({n: pa.array([r.get(n) for r in rows], fields.get(n)) for n in names})


def fill_store(store: Store, **tables: list[dict[str, Any]]) -> Store:
    """Append each table's rows; columns the schema lacks are added as custom attributes."""
    for name, rows in tables.items():
        if not rows:
            continue
        data = rows_table(name, rows)
        existing = store.columns(name)
        for col in data.column_names:
            if col not in existing:
                sql_type = _SQL_TYPES.get(str(data.schema.field(col).type), "VARCHAR")
                store.con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{col}" {sql_type}')
        store.append(name, data)
    return store


def store_with(path: Path, **tables: list[dict[str, Any]]) -> Store:
    return fill_store(Store(path), **tables)


def with_gate(model: Any, stage: str, criteria: list[str]) -> Any:
    """A copy of the revenue model whose ``stage`` has the gate ``criteria``."""
    from revops.model.schema import RevenueModel

    data = model.model_dump(mode="json", by_alias=True)
    for spec in data["pipeline"]["stages"]:
        if spec["key"] == stage:
            spec["gate"] = criteria
    return RevenueModel.model_validate(data)


def with_custom_fields(model: Any, **tables: dict[str, str]) -> Any:
    """A copy of the revenue model declaring custom fields: ``opportunities={"champion": "string"}``."""
    from revops.model.schema import RevenueModel

    data = model.model_dump(mode="json", by_alias=True)
    data["custom_fields"] = {table: [{"name": n, "type": t} for n, t in fields.items()]
                             for table, fields in tables.items()}
    return RevenueModel.model_validate(data)


def with_requirements(model: Any, stage: str, required_fields: list[str], gate: list[str]) -> Any:
    """A copy of the revenue model whose ``stage`` requires ``required_fields`` and ``gate``."""
    from revops.model.schema import RevenueModel

    data = model.model_dump(mode="json", by_alias=True)
    for spec in data["pipeline"]["stages"]:
        if spec["key"] == stage:
            spec["required_fields"], spec["gate"] = required_fields, gate
    return RevenueModel.model_validate(data)
