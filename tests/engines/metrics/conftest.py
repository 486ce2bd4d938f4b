"""Hand-built GTM data for metric tests: each test writes the few rows it reasons about.

    def test_x(gtm):
        store = gtm(opportunities=[{"opportunity_id": "o1", "stage": "closed_won", ...}])
        frame = metric_values(store, "win_rate", period="quarter")
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pyarrow as pa
import pytest

from revops.model import load_model
from revops.store import Store, schema


def rows_table(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as an Arrow table typed by the canonical schema (custom columns as given)."""
    types = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
             "date": pa.date32(), "timestamp": pa.timestamp("us")}
    fields = {f.name: types[f.type] for f in schema.table(table).fields}
    names = list(dict.fromkeys(k for r in rows for k in r))
    arrays = {}
    for n in names:
        values = [r.get(n) for r in rows]
        arrays[n] = pa.array(values, fields[n]) if n in fields else pa.array(values)
    return pa.table(arrays)


@pytest.fixture
def gtm(tmp_path) -> Callable[..., Store]:
    """gtm(table=[rows], ...) -> a store holding exactly those rows (custom columns added)."""
    stores: list[Store] = []

    def build(**tables: list[dict[str, Any]]) -> Store:
        s = Store(tmp_path / f"gtm{len(stores)}.duckdb")
        stores.append(s)
        for name, rows in tables.items():
            if not rows:
                continue
            data = rows_table(name, rows)
            existing = s.columns(name)
            for col in data.column_names:
                if col not in existing:
                    sql_type = {"int64": "BIGINT", "double": "DOUBLE", "bool": "BOOLEAN",
                                "date32[day]": "DATE"}.get(str(data.schema.field(col).type), "VARCHAR")
                    s.con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{col}" {sql_type}')
            s.append(name, data)
        return s

    yield build
    for s in stores:
        s.close()


def metric_values(store: Store, names: str | list[str], *, model: Any = None, today: date | None = None,
                  **kwargs: Any) -> list[dict[str, Any]]:
    """compute() as records, NaN as None, for easy comparison in asserts."""
    from revops.engines.metrics import compute

    frame = compute(store.ibis, model or load_model(None), names, today=today, **kwargs)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def value(store: Store, name: str, **kwargs: Any) -> float | None:
    """The single value of a metric asked without dimensions or period."""
    [row] = metric_values(store, name, **kwargs)
    return row["value"]
