"""Cohort retention tables: accounts grouped by the month they first paid (the month of their
``new`` movement), followed month end by month end since.

Each cell compares the cohort at ``month_k`` (k month ends after its start month; ``month_0``
is the start month itself) with the cohort at its start, with the metrics layer's retention
measures (``retention_measure``), the start being the cohort's first month:

- ``logo``: the share of the cohort's accounts paying at month_k (1 - logo churn);
- ``revenue``: net revenue retention, the cohort's MRR at month_k over its starting MRR
  (expansion counted, so it can pass 100%);
- ``gross``: gross revenue retention, each account's MRR capped at its starting MRR.

An account that stopped paying and came back counts as retained again once it pays, at the
MRR it pays then (as ``nrr`` does). A month the cohort has not reached yet is null.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import ibis
import pandas as pd

from revops.engines.metrics import MetricSession, make_query
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.revenue import first_day, retention_measure
from revops.engines.revenue.months import account_month_rows, key_month, last_month, month_key
from revops.errors import MetricError

COHORT_BASES = {"logo": "logo_churn_rate", "revenue": "nrr", "gross": "grr"}
"""Each basis of the table and the retention measure it reads."""
_NONE = "\0none"  # a dimension value that is null, while pivoting


def cohort_table(session: MetricSession, *, basis: str = "logo", months: int = 12,
                 by: Iterable[str] | str | None = None, start: str | date | None = None,
                 end: str | date | None = None, where: str | None = None) -> pd.DataFrame:
    """One row per cohort whose start month is from --from to --to (default: every one) and
    dimension value: cohort (the start month, ``2019-11``), dims..., accounts, mrr (the
    cohort's MRR in its start month: its new MRR), then month_0 ... month_<months>. Months
    since start are read up to today (the as-of date)."""
    if basis not in COHORT_BASES:
        raise MetricError(f"unknown cohort basis {basis!r}; use {', '.join(COHORT_BASES)}")
    if months < 0:
        raise MetricError(f"--months {months}: give 0 or more months since start")
    ctx = session.ctx
    q = make_query(by, None, start, end, where)
    dims = list(q.by)
    ages = [f"month_{k}" for k in range(months + 1)]
    columns = ["cohort", *dims, "accounts", "mrr", *ages]
    last = last_month(ctx, None)
    if first_day(ctx) is None:
        return pd.DataFrame(columns=columns)
    t = account_month_rows(ctx, q, last, "nrr")
    hi = month_key(last)
    starts = t.filter(t.movement == "new").select("__account", *dims, __cohort=t["__key"], opening=t.mrr)
    if q.start:
        starts = starts.filter(starts["__cohort"] >= month_key(q.start))
    if q.end:
        starts = starts.filter(starts["__cohort"] <= month_key(q.end))
    since = ibis.memtable(pd.DataFrame({"__age": range(months + 1)}), schema={"__age": "int64"})
    grid = starts.cross_join(since)
    grid = grid.filter(grid["__cohort"] + grid["__age"] <= hi)
    closing = t.select(__a=t["__account"], __k=t["__key"], __closing=t.mrr)
    a = grid.left_join(closing, [grid["__account"] == closing["__a"],
                                 grid["__cohort"] + grid["__age"] == closing["__k"]])
    a = a.select("__cohort", "__age", *dims, opening=a.opening, closing=a["__closing"].fill_null(0.0))
    measure = retention_measure(COHORT_BASES[basis])(a, float(ctx.model.targets.gross_margin))
    value = 1.0 - measure if basis == "logo" else measure
    expr = a.group_by(["__cohort", "__age", *dims]).aggregate(
        value=value.cast("float64"), accounts=a.count(), mrr=a.opening.sum())
    return _table(ctx, ctx.con.execute(expr), dims, ages, columns)


def _table(ctx: MetricContext, cells: pd.DataFrame, dims: list[str], ages: list[str], columns: list[str]) -> pd.DataFrame:
    """The cells (cohort, age, dims, value, accounts, mrr) as one row per cohort and dims."""
    if cells.empty:
        return pd.DataFrame(columns=columns)
    keys = ["__cohort", *dims]
    cells = cells.copy()
    for d in dims:  # a null dimension value is a group of its own
        cells[d] = cells[d].astype(object).where(cells[d].notna(), _NONE)
    cells["__col"] = "month_" + cells["__age"].astype("int64").astype(str)
    table = cells.set_index([*keys, "__col"])["value"].unstack("__col").reindex(columns=ages)
    size = cells[cells["__age"] == 0].set_index(keys)[["accounts", "mrr"]]
    table = size.join(table, how="right").reset_index()
    for d in dims:
        table[d] = table[d].astype(object).where(table[d] != _NONE, None)
    table = table.sort_values(keys, na_position="last", kind="stable")
    table.insert(0, "cohort", [ctx.calendar.label(key_month(int(k)), "month") for k in table["__cohort"]])
    table["accounts"] = table["accounts"].astype("int64")
    table["mrr"] = table["mrr"].round(2)  # money in cents
    return table[columns].reset_index(drop=True)
