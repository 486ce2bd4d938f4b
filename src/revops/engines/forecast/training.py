"""What the statistical forecast learns from: the open deals of past weeks and what became of
them in their period.

From a world known at the as-of day A (``DealWorld.known_at``) the training set takes a
snapshot every ``step_days`` going back ``lookback_quarters`` fiscal quarters: the deals
open at the end of each snapshot day, described by ``features.deal_features`` for the
quarter the day falls in (and, with ``next_period``, for the quarter after it). A row is
kept only when its period ended by A, so its outcome is complete:

- ``decided``: the deal was won or lost with a close date inside the period;
- ``won``: it was won with a close date inside the period;
- ``won_amount``: the amount it was won at.

Outcomes are read from the world's state at the end of A, so a forecast as of A learns
only from what was known at A.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from revops.engines.forecast.features import OwnerRecord, deal_features
from revops.engines.forecast.world import NEVER, DAY, DealState, DealWorld, cutoff, day_number
from revops.engines.metrics.periods import FiscalCalendar


@dataclass(frozen=True)
class TrainingOptions:
    lookback_quarters: int = 8
    step_days: int = 7
    next_period: bool = True
    max_rows: int = 100_000
    seed: int = 7


@dataclass
class TrainingSet:
    X: pd.DataFrame
    decided: np.ndarray
    won: np.ndarray
    won_amount: np.ndarray
    period: np.ndarray  # period label of each row
    snapshot_day: np.ndarray
    stage_rank: np.ndarray

    def __len__(self) -> int:
        return len(self.decided)

    def subset(self, mask: np.ndarray) -> TrainingSet:
        return TrainingSet(X=self.X[mask].reset_index(drop=True), decided=self.decided[mask], won=self.won[mask],
                           won_amount=self.won_amount[mask], period=self.period[mask],
                           snapshot_day=self.snapshot_day[mask], stage_rank=self.stage_rank[mask])


def snapshot_days(calendar: FiscalCalendar, as_of: date, options: TrainingOptions) -> list[tuple[date, str, date, date]]:
    """(snapshot day, period label, period start, period end) rows whose period ended by ``as_of``."""
    current_start = calendar.period_start(as_of, "quarter")
    earliest = current_start
    for _ in range(options.lookback_quarters):
        earliest = calendar.period_start(earliest - timedelta(days=1), "quarter")
    out = []
    day = current_start - timedelta(days=1)
    while day >= earliest:
        targets = [calendar.period_start(day, "quarter")]
        if options.next_period:
            targets.append(calendar.period_end(day, "quarter") + timedelta(days=1))
        for start in targets:
            end = calendar.period_end(start, "quarter")
            if end <= as_of:
                out.append((day, calendar.label(start, "quarter"), start, end))
        day -= timedelta(days=options.step_days)
    return out


def build_training_set(world: DealWorld, calendar: FiscalCalendar, values: np.ndarray, owners: OwnerRecord,
                       final: DealState, options: TrainingOptions = TrainingOptions()) -> TrainingSet:
    assert world.as_of is not None, "train only on a world known at a day (DealWorld.known_at)"
    alive = _alive_until(world, final)
    parts, labels = [], []
    by_day: dict[date, list[tuple[str, date, date]]] = {}
    for day, label, start, end in snapshot_days(calendar, world.as_of, options):
        by_day.setdefault(day, []).append((label, start, end))
    for day, periods in by_day.items():
        inst = cutoff(day)
        candidates = np.flatnonzero(((world.created < inst) | (world.created == NEVER)) & (alive >= inst))
        state = world.state(candidates, inst)
        keep = np.flatnonzero(state.is_open)
        if not len(keep):
            continue
        open_, sub = candidates[keep], state.take(keep)
        for label, start, end in periods:
            ps, pe = day_number(start), day_number(end)
            X = deal_features(world, open_, inst, ps, pe, values, owners, state=sub)
            close = final.close_day[open_]
            with np.errstate(invalid="ignore"):
                inside = ~np.isnan(close) & (close >= ps) & (close <= pe)
            won = final.is_won[open_] & inside
            decided = (final.is_won[open_] | final.is_lost[open_]) & inside
            parts.append(X)
            labels.append((decided, won, np.where(won, final.amount[open_], np.nan),
                           np.full(len(open_), label, dtype=object), np.full(len(open_), day_number(day))))
    if not parts:
        empty = pd.DataFrame(columns=deal_features(world, np.zeros(0, np.int64), 0, 0, 0, values, owners).columns)
        z = np.zeros(0)
        return TrainingSet(empty, z.astype(bool), z.astype(bool), z, z.astype(object), z, z)
    X = pd.concat(parts, ignore_index=True)
    decided, won, amount, period, snap = (np.concatenate([lab[i] for lab in labels]) for i in range(5))
    if len(X) > options.max_rows:
        keep = np.sort(np.random.default_rng(options.seed).choice(len(X), options.max_rows, replace=False))
        X = X.iloc[keep].reset_index(drop=True)
        decided, won, amount, period, snap = decided[keep], won[keep], amount[keep], period[keep], snap[keep]
    return TrainingSet(X=X, decided=decided, won=won, won_amount=amount, period=period, snapshot_day=snap,
                       stage_rank=X["stage_rank"].to_numpy())


def _alive_until(world: DealWorld, final: DealState) -> np.ndarray:
    """Per deal, an instant after which it is certainly not open: for a deal closed at the
    end, the later of its last history row and the end of its close day; else never."""
    out = np.full(len(world), np.iinfo(np.int64).max, dtype=np.int64)
    closed = final.is_won | final.is_lost
    last_change = np.full(len(world), np.iinfo(np.int64).min, dtype=np.int64)
    if len(world.h_deal):
        np.maximum.at(last_change, world.h_deal, world.h_t)
    close_end = (np.nan_to_num(final.close_day, nan=np.inf).clip(max=1e12) + 1) * DAY
    ends = np.maximum(last_change + 1, close_end.astype(np.int64))
    known_close = closed & ~np.isnan(final.close_day)
    out[known_close] = ends[known_close]
    return out
