"""The Python API of the metrics layer, the same code path as `revops metrics`:

    import revops.metrics
    revops.metrics.compute("win_rate", by=["source"], period="quarter")          # ./revops.duckdb
    revops.metrics.compute(["mrr", "nrr"], period="month", db="demo.duckdb")

Returns a pandas DataFrame with columns metric, [period], one per dimension, value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from revops.engines import metrics as engine


def compute(names: str | Iterable[str], *, by: Iterable[str] | str | None = None,
            period: str | None = None, start: str | date | None = None, end: str | date | None = None,
            as_of: str | date | None = None, where: str | None = None,
            db: str | Path | None = None, model: Any = None, con: Any = None) -> pd.DataFrame:
    """Compute metrics from the store at ``db`` (default $REVOPS_DB, else ./revops.duckdb) or on
    an Ibis backend ``con``, with ``model`` (a RevenueModel, a path, or None for ./revops.yaml
    or the built-in default)."""
    from revops.model import load_model
    from revops.model.schema import RevenueModel

    if not isinstance(model, RevenueModel):
        if model is None and Path("revops.yaml").exists():
            model = Path("revops.yaml")
        model = load_model(model)
    if con is not None:
        return engine.compute(con, model, names, by=by, period=period, start=start, end=end,
                              as_of=as_of, where=where)
    from revops.store import Store, default_db_path

    with Store(Path(db) if db else default_db_path(), read_only=True) as store:
        return engine.compute(store.ibis, model, names, by=by, period=period, start=start, end=end,
                              as_of=as_of, where=where)


def list_metrics(model: Any = None) -> list[dict[str, str]]:
    from revops.model import load_model

    return engine.list_metrics(load_model(model) if not hasattr(model, "metrics") else model)
