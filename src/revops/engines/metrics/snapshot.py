"""Pipeline snapshots: the open pipeline as it stood on a day, stored in the store's
``_pipeline_snapshots`` table (one row per open deal and day), for trends, the pipeline
waterfall and checking as-of metrics against what was really there.

The state comes from the same as-of deal fact the metrics use, so a snapshot taken today and
``revops metrics open_pipeline --as-of`` that day agree. Taking a day's snapshot again
replaces that day's rows, in one transaction.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pyarrow as pa

from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.facts import DEALS
from revops.engines.metrics.periods import parse_date
from revops.store.migrations import SNAPSHOT_COLUMNS
from revops.store.store import Store

FACT_COLUMNS = [n for n, _ in SNAPSHOT_COLUMNS if n not in ("snapshot_date", "taken_at")]


def take_snapshot(store: Store, model: Any, day: str | date | None = None) -> dict[str, Any]:
    when = parse_date(day, "--date") or datetime.now(timezone.utc).date()
    ctx = MetricContext(store.ibis, model, as_of=when)
    deals = DEALS.build(ctx)
    deals = deals.filter(deals.is_open)
    present = [c for c in FACT_COLUMNS if c in deals.columns]
    frame = store.ibis.to_pyarrow(deals.select(*present))
    n = frame.num_rows
    frame = frame.append_column("snapshot_date", pa.array([when] * n, pa.date32()))
    frame = frame.append_column("taken_at", pa.array([datetime.now(timezone.utc).replace(tzinfo=None)] * n,
                                                     pa.timestamp("us")))
    names = [c for c, _ in SNAPSHOT_COLUMNS if c in frame.column_names]
    with store.transaction() as con:
        con.execute("DELETE FROM _pipeline_snapshots WHERE snapshot_date = ?", [when])
        con.register("__snapshot", frame)
        cols = ", ".join(f'"{c}"' for c in names)
        con.execute(f"INSERT INTO _pipeline_snapshots ({cols}) SELECT {cols} FROM __snapshot")
        con.unregister("__snapshot")
    totals = store.query("SELECT count(*) AS n, sum(amount) AS amount, sum(amount * probability) AS w "
                         "FROM _pipeline_snapshots WHERE snapshot_date = ?", [when])[0]
    return {"snapshot_date": when.isoformat(), "deals": int(totals["n"]),
            "open_pipeline": float(totals["amount"] or 0.0), "weighted_pipeline": float(totals["w"] or 0.0)}


def snapshot_dates(store: Store) -> list[date]:
    return [r["snapshot_date"] for r in store.query(
        "SELECT DISTINCT snapshot_date FROM _pipeline_snapshots ORDER BY 1")]
