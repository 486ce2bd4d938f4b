"""The Python API of the metrics layer, the same code path as `revops metrics`:

    import revops.metrics
    revops.metrics.compute("win_rate", by=["source"], period="quarter")          # ./revops.duckdb
    revops.metrics.compute(["mrr", "nrr"], period="month", db="demo.duckdb")

Returns a pandas DataFrame with columns metric, [period], one per dimension, value.

Many requests about the same data at the same moment (a scoreboard, a report) share their
facts and results in a session:

    with revops.metrics.session(db="demo.duckdb") as s:
        s.compute(["win_rate", "avg_deal_size"], by=["source"], period="quarter")
        s.compute(["mrr", "nrr"], by=["segment"], period="quarter")
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
    model = _model(model)
    if con is not None:
        return engine.compute(con, model, names, by=by, period=period, start=start, end=end,
                              as_of=as_of, where=where)
    from revops.store import Store, default_db_path

    with Store(Path(db) if db else default_db_path(), read_only=True) as store:
        return engine.compute(store.ibis, model, names, by=by, period=period, start=start, end=end,
                              as_of=as_of, where=where)


@contextmanager
def session(*, as_of: str | date | None = None, db: str | Path | None = None, model: Any = None,
            con: Any = None) -> Iterator[engine.MetricSession]:
    """A ``MetricSession`` on the store at ``db`` (or the Ibis backend ``con``): its
    ``compute(names, by=, period=, start=, end=, where=)`` answers like ``compute`` above,
    each fact and result built once for all of its requests."""
    model = _model(model)
    if con is not None:
        with engine.MetricSession(con, model, as_of=as_of) as s:
            yield s
        return
    from revops.store import Store, default_db_path

    with Store(Path(db) if db else default_db_path(), read_only=True) as store, \
            engine.MetricSession(store.ibis, model, as_of=as_of) as s:
        yield s


def _model(model: Any) -> Any:
    """A RevenueModel from a RevenueModel, a path, or None (./revops.yaml, else the default)."""
    from revops.model import load_model
    from revops.model.schema import RevenueModel

    if isinstance(model, RevenueModel):
        return model
    if model is None and Path("revops.yaml").exists():
        model = Path("revops.yaml")
    return load_model(model)


def list_metrics(model: Any = None) -> list[dict[str, str]]:
    from revops.model import load_model

    return engine.list_metrics(load_model(model) if not hasattr(model, "metrics") else model)
