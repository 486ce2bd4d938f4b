"""The MRR bridge: how MRR went from one period end to the next.

    opening_mrr + new + expansion + contraction + churn + reactivation = mrr

per period (month, fiscal quarter or fiscal year) and dimension value. ``mrr`` is the metrics
layer's ``mrr`` at the period's last month; the movements are its ``new_mrr``,
``expansion_mrr``, ``contraction_mrr``, ``churned_mrr`` and ``reactivation_mrr`` summed over
the period's months, contraction and churn written as negative numbers; ``opening_mrr`` is
the previous row's ``mrr`` (for the first row: the MRR at the month end before it, 0 when the
bridge starts at the first subscription, as it does without --from).

Amounts are rounded to the cent, and the identity holds exactly in cents on every row: each
account-month's change is one movement, so the sums agree to floating-point noise (checked
here, an error if not); where amounts below a cent make the rounded movements miss the
rounded MRR change by a cent or two, the missing cents go to the movements whose rounding
lost the most (largest remainder), never to a movement that is zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from revops.engines.metrics import MetricSession, make_query
from revops.engines.metrics.revenue import first_day, windows
from revops.engines.revenue.months import follow_accounts
from revops.errors import MetricError

MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
"""The five movements, in the bridge's order."""
METRIC_OF = {"new": "new_mrr", "expansion": "expansion_mrr", "contraction": "contraction_mrr",
             "churn": "churned_mrr", "reactivation": "reactivation_mrr"}
"""The metrics layer's metric behind each movement."""
LOSSES = ("contraction", "churn")
"""Movements the metrics layer gives as positive amounts lost; negative in the bridge."""
BRIDGE_COLUMNS = ("opening_mrr", *MOVEMENTS, "mrr")
TOLERANCE = 1e-6
"""Largest gap (relative to the amounts) floating-point sums may leave before rounding."""
_NONE = "\0none"  # a dimension value that is null, while pivoting


def mrr_bridge(session: MetricSession, *, period: str = "month", by: Iterable[str] | str | None = None,
               start: str | date | None = None, end: str | date | None = None,
               where: str | None = None) -> pd.DataFrame:
    """One row per period (and dimension value): period, dims..., opening_mrr, new, expansion,
    contraction, churn, reactivation, mrr. Every period from --from (default: the first
    subscription's) to --to (default: today / the as-of date) has a row, for every dimension
    value seen in any of them."""
    ctx = session.ctx
    q = make_query(by, period, start, end, where)
    if q.period is None:
        raise MetricError("the MRR bridge needs a period: month, quarter or year")
    follow_accounts(q)
    spans = windows(ctx, q, first_day(ctx))
    labels = [label for label, _, _ in spans]
    keys, dims = q.keys(), list(q.by)
    long = session.compute(["mrr", *METRIC_OF.values()], by=dims, period=q.period, start=q.start,
                           end=q.end, where=q.where)
    wide = _wide(long, keys, labels)
    for kind in MOVEMENTS:
        wide[kind] = wide[METRIC_OF[kind]] * (-1.0 if kind in LOSSES else 1.0)
    opening = _opening(session, q, spans[0][1] - timedelta(days=1), dims) if q.start else {}
    out = []
    for group, rows in wide.groupby(dims, sort=False, dropna=False) if dims else [((), wide)]:
        group = group if isinstance(group, tuple) else (group,)
        out.append(_reconciled(rows.sort_values("period"), opening.get(group, 0.0)))
    frame = pd.concat(out, ignore_index=True) if out else wide.assign(opening_mrr=[])
    for d in dims:
        frame[d] = frame[d].astype(object).where(frame[d] != _NONE, None)
    frame = frame.sort_values(keys, na_position="last", kind="stable")  # period labels sort in time
    return frame[[*keys, *BRIDGE_COLUMNS]].reset_index(drop=True)


def _wide(long: pd.DataFrame, keys: list[str], labels: list[str]) -> pd.DataFrame:
    """One row per period and dimension value, a column per metric; a period where a
    dimension value had no row is 0 throughout (nothing paid, nothing moved)."""
    long = long.copy()
    dims = [k for k in keys if k != "period"]
    for d in dims:
        long[d] = long[d].astype(object).where(long[d].notna(), _NONE)
    wide = long.pivot_table(index=keys, columns="metric", values="value", aggfunc="first").reset_index()
    wide.columns.name = None
    groups = wide[dims].drop_duplicates() if dims else pd.DataFrame(index=[0])
    grid = pd.DataFrame({"period": labels}).merge(groups, how="cross")
    wide = grid.merge(wide, on=keys, how="left")
    names = ["mrr", *METRIC_OF.values()]
    for name in names:
        wide[name] = wide[name].astype("float64").fillna(0.0) if name in wide else 0.0
    return wide


def _opening(session: MetricSession, q: Any, day: date, dims: list[str]) -> dict[tuple, float]:
    """Each dimension value's MRR at the month end ``day`` falls in (the one before the bridge)."""
    frame = session.compute("mrr", by=dims, end=day, where=q.where)
    out: dict[tuple, float] = {}
    for r in frame.to_dict("records"):
        out[tuple(_NONE if pd.isna(r[d]) else r[d] for d in dims)] = float(r["value"])
    return out


def _reconciled(rows: pd.DataFrame, opening: float) -> pd.DataFrame:
    """The rows of one dimension value, in period order, in cents that bridge exactly."""
    opened, opening_cents = opening, _cents(opening)  # the previous MRR, as computed and as shown
    out = []
    for r in rows.to_dict("records"):
        moved = np.array([r[k] for k in MOVEMENTS], dtype="float64")
        gap = r["mrr"] - opened - moved.sum()
        scale = max(1.0, abs(r["mrr"]), abs(opened), float(np.abs(moved).sum()))
        if abs(gap) > TOLERANCE * scale:
            raise MetricError(
                f"the MRR bridge does not reconcile in {r['period']}: opening {opened:.2f} + movements "
                f"{moved.sum():.2f} != mrr {r['mrr']:.2f}; the movement and MRR definitions of "
                "engines/metrics/revenue.py disagree (a bug: please report it with the data)")
        cents = _allocated(moved * 100.0, _cents(r["mrr"]) - opening_cents)
        closing_cents = opening_cents + int(cents.sum())
        opened = r["mrr"]
        r.update({"opening_mrr": opening_cents / 100.0, "mrr": closing_cents / 100.0,
                  **{k: c / 100.0 for k, c in zip(MOVEMENTS, cents.tolist())}})
        out.append(r)
        opening_cents = closing_cents
    return pd.DataFrame(out)


def _cents(amount: float) -> int:
    return int(round(amount * 100.0))


def _allocated(raw: np.ndarray, target: int) -> np.ndarray:
    """Whole cents for the movements ``raw`` (in cents, unrounded) that sum to ``target``:
    each rounded, then the cents still missing (or extra) taken by the movements whose
    rounding lost (or gained) the most. A movement that is zero stays zero; with none
    moving, the MRR stayed put and ``target`` is rounding noise."""
    cents = np.round(raw).astype("int64")
    moving = np.abs(raw) > 1e-6
    missing = target - int(cents.sum())
    while missing and moving.any():
        step = 1 if missing > 0 else -1
        remainder = np.where(moving, (raw - cents) * step, -np.inf)
        k = int(np.argmax(remainder))
        cents[k] += step
        missing -= step
    return cents
