"""Forecast accuracy by category and by rep, and each rep's bias: what the reps' categories
said at week w of each past quarter, next to what those deals and those reps booked.

Reconstructed from history with the as-of rules (``DealWorld.known_at``), so it needs no
snapshot taken at the time; for exports without stage history, take weekly snapshots
(``snapshots``) and compare those instead.

- **By category**, per quarter: ``called`` is the amount of the open deals in the category
  closing in the quarter as of the day; ``landed`` is how much of those same deals was won in
  the quarter; ``conversion = landed / called``. A commit category that converts at 60%
  is not a commit.
- **By rep**, per quarter: ``commit`` (the rep's closed won + open commit deals closing in
  the quarter, as of the day), ``best_case``, the rep's commit ``call`` in force then (when
  calls exist), and ``actual`` (the rep's won amount in the quarter as the data stands now,
  by the owner at the win).
- **Bias** per rep over the quarters: ``ratio`` = sum(commit) / sum(actual), and ``bias`` =
  the rep's ratio over the median ratio of the reps with an actual in at least
  ``MIN_ACTUAL_QUARTERS`` quarters (a commit category is conservative by design, so a rep is
  compared with the others, not with 1). Above 1 + ``BIAS_BAND`` the rep commits more than
  lands compared with the others (happy ears); below 1 - ``BIAS_BAND`` less (sandbagging).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from revops.engines.forecast.backtest import BacktestRequest, quarters_to_test
from revops.engines.forecast.features import category_keys
from revops.engines.forecast.period import Known, period_bounds
from revops.engines.forecast.valuation import valued
from revops.engines.forecast.world import DealWorld, cutoff, day_number
from revops.engines.metrics.periods import FiscalCalendar

CATEGORIES = ("commit", "best_case", "pipeline")
BIAS_BAND = 0.25
MIN_ACTUAL_QUARTERS = 2


def accuracy(world: DealWorld, *, quarters: int = 8, week: int = 4, last: str | None = None,
             list_prices: dict[str, float] | None = None,
             rep_call: Callable[[str, str, date], float | None] | None = None) -> dict[str, list[dict[str, Any]]]:
    """{"categories": rows, "reps": rows, "bias": rows} (see the module's docstring)."""
    calendar = FiscalCalendar(world.model.company.fiscal_year_start_month)
    labels = quarters_to_test(world, calendar, BacktestRequest(quarters=quarters, weeks=(week,), last=last))
    everyone = np.arange(len(world), dtype=np.int64)
    now = world.state(everyone, cutoff(world.today_date()))
    owner_now = world.owner_names(now.owner)
    category_rows, rep_rows = [], []
    for label in labels:
        start, end = period_bounds(calendar, label)
        as_of = min(start + timedelta(days=7 * week - 1), end)
        known = Known.at(world, as_of, list_prices)
        kw, final = known.world, known.final
        ps, pe = day_number(start), day_number(end)
        with np.errstate(invalid="ignore"):
            inside = ~np.isnan(final.close_day) & (final.close_day >= ps) & (final.close_day <= pe)
            won_now = now.is_won & (now.close_day >= ps) & (now.close_day <= pe)
        value = valued(final, known.values)
        cat = category_keys(kw, final)
        # the same deals now: known deals keep their position in the full world by id
        landed = pd.Series(np.where(won_now, now.amount, 0.0), index=world.ids).reindex(kw.ids).fillna(0.0).to_numpy()
        open_in = final.is_open & inside
        for c in CATEGORIES:
            sel = open_in & (cat == c)
            called = float(value[sel].sum())
            got = float(landed[sel].sum())
            category_rows.append({"period": label, "as_of": as_of.isoformat(), "category": c, "deals": int(sel.sum()),
                                  "called": called, "landed": got, "conversion": got / called if called else None})
        frame = pd.DataFrame({
            "owner": world.owner_names(final.owner),
            "closed_won": np.where(final.is_won & inside, final.amount, 0.0),
            "commit_open": np.where(open_in & (cat == "commit"), value, 0.0),
            "best_case_open": np.where(open_in & (cat == "best_case"), value, 0.0),
        }).groupby("owner").sum()
        actual = pd.Series(np.where(won_now, now.amount, 0.0)).groupby(owner_now).sum()
        for owner in sorted(set(frame.index) | set(actual.index[actual > 0])):
            r = frame.loc[owner] if owner in frame.index else pd.Series(0.0, index=frame.columns)
            commit = float(r.get("closed_won", 0.0) + r.get("commit_open", 0.0))
            act = float(actual.get(owner, 0.0))
            if commit == 0 and act == 0:
                continue
            rep_rows.append({"period": label, "as_of": as_of.isoformat(), "owner": owner, "commit": commit,
                             "best_case": commit + float(r.get("best_case_open", 0.0)),
                             "call": rep_call(label, owner, as_of) if rep_call else None, "actual": act})
    return {"categories": category_rows, "reps": rep_rows, "bias": rep_bias(rep_rows)}


def median_ratio(rep_rows: list[dict[str, Any]]) -> float | None:
    """The median rep's commit/actual ratio: the yardstick of ``bias``, over the reps with an
    actual in at least ``MIN_ACTUAL_QUARTERS`` quarters (None without such a rep)."""
    if not rep_rows:
        return None
    frame = pd.DataFrame(rep_rows)
    totals = frame.groupby("owner")[["commit", "actual"]].sum()
    seasoned = frame[frame["actual"] > 0].groupby("owner").size()
    seasoned = totals.loc[seasoned[seasoned >= MIN_ACTUAL_QUARTERS].index]
    seasoned = seasoned[seasoned["actual"] > 0]
    return float((seasoned["commit"] / seasoned["actual"]).median()) if len(seasoned) else None


def rep_bias(rep_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each rep's ratio, bias (the ratio over ``median_ratio``) and verdict, most biased first."""
    if not rep_rows:
        return []
    frame = pd.DataFrame(rep_rows)
    company = median_ratio(rep_rows)
    out = []
    for owner, g in frame.groupby("owner"):
        quarters = int((g["actual"] > 0).sum())
        ratio = g["commit"].sum() / g["actual"].sum() if g["actual"].sum() else None
        bias = ratio / company if ratio is not None and company else None
        verdict = None
        if bias is not None and quarters >= MIN_ACTUAL_QUARTERS:
            verdict = ("happy ears" if bias > 1 + BIAS_BAND else "sandbagging" if bias < 1 - BIAS_BAND
                       else "on target")
        calls = g["call"].dropna()
        call_ratio = float(calls.sum() / g.loc[calls.index, "actual"].sum()) \
            if len(calls) and g.loc[calls.index, "actual"].sum() else None
        out.append({"owner": owner, "quarters": quarters, "commit": float(g["commit"].sum()),
                    "actual": float(g["actual"].sum()), "ratio": ratio, "bias": bias, "verdict": verdict,
                    "call_ratio": call_ratio})
    return sorted(out, key=lambda r: (r["bias"] is None, -(r["bias"] or 0)))
