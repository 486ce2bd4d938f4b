"""Retention over trailing windows: NRR, GRR and logo churn over the N months ending at every
month end.

The window ending at month M compares each account's MRR at M's end with its MRR N months
earlier (the month end before the window's first month), as the metrics layer's ``nrr``,
``grr`` and ``logo_churn_rate`` do for one window (``revops metrics nrr --from M-N+1 --to M``
gives the same number): the measures are the metrics layer's own
(``retention_measure``); this module only lays one window per month end over the
account-month rows, in one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd

from revops.engines.metrics import MetricSession, make_query
from revops.engines.metrics.periods import add_months, month_start
from revops.engines.metrics.revenue import first_day, retention_measure
from revops.engines.revenue.months import account_month_rows, key_month, last_month, month_key
from revops.errors import MetricError

RETENTION_KINDS = ("nrr", "grr", "logo_churn_rate")
RETENTION_COLUMNS = ("accounts", "opening_mrr", "closing_mrr", *RETENTION_KINDS)


def trailing_retention(session: MetricSession, *, months: int = 12, by: Iterable[str] | str | None = None,
                       start: str | date | None = None, end: str | date | None = None,
                       where: str | None = None) -> pd.DataFrame:
    """One row per month end from --from (default: the first with ``months`` of history
    behind it) to --to (default: today / the as-of date), and dimension value: period (the
    window's last month), dims..., accounts (paying at the window's start), opening_mrr (their
    MRR then), closing_mrr (theirs at the window's end), nrr, grr, logo_churn_rate. Without
    dimensions every month end has a row (null ratios when nobody paid at its start)."""
    if months < 1:
        raise MetricError(f"--months {months}: a retention window is at least 1 month")
    ctx = session.ctx
    q = make_query(by, "month", start, end, where)
    dims = list(q.by)
    columns = ["period", *dims, *RETENTION_COLUMNS]
    first, last = first_day(ctx), last_month(ctx, q.end)
    begin = month_start(q.start) if q.start else (add_months(month_start(first), months) if first else last)
    if first is None or begin > last:
        return pd.DataFrame(columns=columns)
    t = account_month_rows(ctx, q, last, "nrr")
    lo, hi = month_key(begin), month_key(last)
    opening = t.filter(t.mrr > 0).select(
        "__account", *dims, __end=t["__key"] + months, opening=t.mrr)
    opening = opening.filter(opening["__end"].between(lo, hi))
    closing = t.select(__a=t["__account"], __k=t["__key"], __closing=t.mrr)
    a = opening.left_join(closing, [opening["__account"] == closing["__a"], opening["__end"] == closing["__k"]])
    a = a.select("__end", *dims, opening=a.opening, closing=a["__closing"].fill_null(0.0))
    margin = float(ctx.model.targets.gross_margin)
    values = {kind: retention_measure(kind)(a, margin).cast("float64") for kind in RETENTION_KINDS}
    expr = a.group_by(["__end", *dims]).aggregate(
        accounts=a.count(), opening_mrr=a.opening.sum(), closing_mrr=a.closing.sum(), **values)
    frame = ctx.con.execute(expr)
    if not dims:  # every month end, even one nobody paid at the start of
        frame = pd.DataFrame({"__end": range(lo, hi + 1)}).merge(frame, on="__end", how="left")
        frame["accounts"] = frame["accounts"].fillna(0).astype("int64")
        frame[["opening_mrr", "closing_mrr"]] = frame[["opening_mrr", "closing_mrr"]].fillna(0.0)
    frame = frame.sort_values(["__end", *dims], na_position="last", kind="stable")
    frame.insert(0, "period", [ctx.calendar.label(key_month(int(k)), "month") for k in frame["__end"]])
    frame[["opening_mrr", "closing_mrr"]] = frame[["opening_mrr", "closing_mrr"]].round(2)  # money in cents
    return frame[columns].reset_index(drop=True)
