"""Pipeline flow (the waterfall): how the pipeline of a close-date window moved between two
days, in amounts that reconcile exactly.

**Pipeline** of a window at an instant: the deals open at that instant (as of the metrics
layer's rules, see ``world``) whose close date falls inside the close-date window, at their
amount (a deal without one at its comparable value, see ``valuation``: the deals won by the
flow's last day, one value per deal so the flow reconciles). The close-date window is
``--period`` when given, else the flow's own dates.

A deal without stage history that closes inside the flow's dates was open before in a
state nobody recorded (no stage, amount or close date): it was in no window's pipeline
then. When it closes in the window it is **pulled_in** and **won** or **lost** at the
amount it closed with (its amount becoming known is not an increase or decrease).

**start** is the pipeline at the start of ``--from`` (as of the end of the day before);
**end** is the pipeline at the end of ``--to``. Every change of a deal in between (each
opportunity_history row, its creation, and for a deal without history its closing on its
close date) moves it from one state to the next, and each move is booked in this order:

1. *close date*: an open deal whose close date moves into the window is **pulled_in** (its
   amount before the move); one whose close date moves out of it is **pushed_out**;
2. *amount*: a deal in the pipeline whose amount changes has **increased** or
   **decreased** by the difference;
3. *stage*: a deal in the pipeline that closes is **won** or **lost** at its amount then;
   a deal that was not open (not created yet, or closed) and is now in the pipeline is
   **new** (created in the flow's dates, or reopened).

So ``start + new + pulled_in + increased - pushed_out - decreased - won - lost = end``,
for every deal and so for any total. By owner or team, a deal that changes hands while in
the pipeline leaves one group (**transferred_out**) and joins the other
(**transferred_in**) at its amount then; every other move is booked to the group the deal
belongs to after it. A team is the owner's ``users.team`` today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from revops.engines.forecast.valuation import comparable_values, valued
from revops.engines.forecast.world import DAY, UNKNOWN_OPEN, DealState, DealWorld, cutoff, day_number
from revops.errors import ForecastError

INFLOWS = ("new", "pulled_in", "increased")
OUTFLOWS = ("pushed_out", "decreased", "won", "lost")
BUCKETS = ("start", *INFLOWS, *OUTFLOWS, "end")
TRANSFERS = ("transferred_in", "transferred_out")
DIMENSIONS = ("owner", "team")
NONE = "(none)"


@dataclass(frozen=True)
class FlowRequest:
    start: date
    end: date
    close_from: date
    close_to: date
    by: str | None = None

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ForecastError(f"--from {self.start} is after --to {self.end}")
        if self.close_from > self.close_to:
            raise ForecastError(f"the close-date window starts {self.close_from}, after it ends {self.close_to}")
        if self.by is not None and self.by not in DIMENSIONS:
            raise ForecastError(f"--by {self.by!r}: pipeline flow is by owner or team")


def pipeline_flow(world: DealWorld, request: FlowRequest, values: np.ndarray | None = None
                  ) -> dict[str, float] | list[dict[str, Any]]:
    """The flow's amounts, or with ``request.by`` one row per owner or team."""
    moves = deal_moves(world, request, values)
    if request.by is None:
        return {b: float(moves[b].sum()) for b in BUCKETS}
    return _by_group(world, moves, request.by)


def deal_moves(world: DealWorld, request: FlowRequest, values: np.ndarray | None = None) -> pd.DataFrame:
    """One row per (deal, group it belonged to) with a non-zero part in the flow: its
    amounts per bucket. Without ``by``, one row per deal."""
    n = len(world)
    if n == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in ("deal", "group", *BUCKETS, *TRANSFERS)})
    begin, finish = day_number(request.start) * DAY, cutoff(request.end)
    if values is None:
        values = comparable_values(world, finish)
    lo, hi = day_number(request.close_from), day_number(request.close_to)

    deal, when, order = _events(world, begin, finish)
    # each deal's sequence: its start state, each event, its end state
    all_deals = np.arange(n, dtype=np.int64)
    seq_deal = np.concatenate([all_deals, deal, all_deals])
    seq_t = np.concatenate([np.full(n, begin, np.int64), when, np.full(n, finish, np.int64)])
    seq_rank = np.concatenate([np.zeros(n, np.int64), order + 1, np.full(n, np.iinfo(np.int64).max)])
    sort = np.lexsort((seq_rank, seq_t, seq_deal))
    seq_deal, seq_t = seq_deal[sort], seq_t[sort]
    state = world.state(seq_deal, seq_t)
    amount = valued(state, values[seq_deal])
    with np.errstate(invalid="ignore"):
        window = ~np.isnan(state.close_day) & (state.close_day >= lo) & (state.close_day <= hi)
    in_pipe = state.is_open & window
    group = _group_codes(world, state, request.by)

    first = np.r_[True, seq_deal[1:] != seq_deal[:-1]]
    last = np.r_[seq_deal[1:] != seq_deal[:-1], True]
    p, q = np.flatnonzero(~last), np.flatnonzero(~first)  # transitions p -> q (same deal)
    # a deal whose state nobody recorded (no history, decided later) shows its amount when it
    # is decided: that is not a change of amount, so it moves at the amount it is decided at
    a_p = np.where(state.stage[p] == UNKNOWN_OPEN, amount[q], amount[p])
    parts = _transitions(state, a_p, amount[q], in_pipe, window, p, q)
    rows = {"deal": np.concatenate([seq_deal[first], seq_deal[q], seq_deal[last]]),
            "group": np.concatenate([group[first], group[q], group[last]])}
    zeros_first, zeros_q, zeros_last = np.zeros(first.sum()), np.zeros(len(q)), np.zeros(last.sum())
    for b in BUCKETS + TRANSFERS:
        if b == "start":
            cols = (np.where(in_pipe[first], amount[first], 0.0), zeros_q, zeros_last)
        elif b == "end":
            cols = (zeros_first, zeros_q, np.where(in_pipe[last], amount[last], 0.0))
        else:
            cols = (zeros_first, parts[b], zeros_last)
        rows[b] = np.concatenate(cols)
    # a deal changing group while in the pipeline: out of the old group, into the new one
    moved = (group[p] != group[q]) & in_pipe[p]
    out_rows = {"deal": seq_deal[p][moved], "group": group[p][moved]}
    for b in BUCKETS + TRANSFERS:
        out_rows[b] = np.zeros(moved.sum())
    out_rows["transferred_out"] = amount[p][moved]
    rows["transferred_in"][len(zeros_first):len(zeros_first) + len(q)] = np.where(moved, amount[p], 0.0)
    frame = pd.concat([pd.DataFrame(rows), pd.DataFrame(out_rows)], ignore_index=True)
    frame = frame.groupby(["deal", "group"], sort=True, as_index=False).sum()
    frame = frame[frame[list(BUCKETS + TRANSFERS)].abs().sum(axis=1) > 0]
    return frame.reset_index(drop=True)


def _transitions(s: DealState, a_p: np.ndarray, a_q: np.ndarray, in_pipe: np.ndarray, window: np.ndarray,
                 p: np.ndarray, q: np.ndarray) -> dict[str, np.ndarray]:
    """Each move p -> q (amounts ``a_p`` before, ``a_q`` after) booked close date first, then
    amount, then stage (module docstring)."""
    in_p = in_pipe[p]
    after_close = s.is_open[p] & window[q]  # open as before, with the close date after the move
    zero = np.zeros(len(p))
    out = {b: zero.copy() for b in INFLOWS + OUTFLOWS + TRANSFERS}
    out["pulled_in"] = np.where(~in_p & after_close, a_p, 0.0)
    out["pushed_out"] = np.where(in_p & ~after_close, a_p, 0.0)
    out["increased"] = np.where(after_close, np.maximum(a_q - a_p, 0.0), 0.0)
    out["decreased"] = np.where(after_close, np.maximum(a_p - a_q, 0.0), 0.0)
    closes = after_close & ~s.is_open[q]
    out["won"] = np.where(closes & s.is_won[q], a_q, 0.0)
    out["lost"] = np.where(closes & ~s.is_won[q], a_q, 0.0)
    out["new"] = np.where(~s.is_open[p] & in_pipe[q], a_q, 0.0)
    return out


def _events(world: DealWorld, begin: int, finish: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(deal, instant just after the change, order) of every change inside [begin, finish)."""
    h = (world.h_t >= begin) & (world.h_t < finish)
    created = world.created
    c = (created >= begin) & (created < finish)
    # a deal without history closes at the end of its close day (metrics' as-of rule)
    close_end = (np.nan_to_num(world.cur_close, nan=-1).astype(np.int64) + 1) * DAY
    closes = world.closed_stage(world.cur_stage) & ~np.isnan(world.cur_close) & (close_end > begin) & (close_end <= finish)
    deal = np.concatenate([world.h_deal[h], np.flatnonzero(c), np.flatnonzero(closes)])
    when = np.concatenate([world.h_t[h] + 1, created[c] + 1, close_end[closes]])
    order = np.concatenate([np.flatnonzero(h), np.zeros(c.sum(), np.int64), np.zeros(closes.sum(), np.int64)])
    return deal.astype(np.int64), when.astype(np.int64), order.astype(np.int64)


def _group_codes(world: DealWorld, state: DealState, by: str | None) -> np.ndarray:
    if by is None:
        return np.zeros(len(state.owner), dtype=object)
    owner = world.owner_names(state.owner)
    if by == "owner":
        return owner
    team = world.users.drop_duplicates("user_id").set_index("user_id")["team"]
    return pd.Series(owner).map(team).fillna(NONE).to_numpy(dtype=object)


def _by_group(world: DealWorld, moves: pd.DataFrame, by: str) -> list[dict[str, Any]]:
    totals = moves.drop(columns=["deal"]).groupby("group", sort=True).sum()
    rows = []
    names = world.users.drop_duplicates("user_id").set_index("user_id")["name"] if by == "owner" else None
    for key, r in totals.iterrows():
        row: dict[str, Any] = {by: key}
        if names is not None:
            row["owner_name"] = names.get(key)
        row.update({b: float(r[b]) for b in BUCKETS + TRANSFERS})
        rows.append(row)
    return rows


def deals_valued(world: DealWorld, request: FlowRequest) -> int:
    """How many deals in the pipeline at the flow's start or end have no amount then (counted
    at their comparable value as of the flow's last day)."""
    n = len(world)
    if n == 0:
        return 0
    everyone = np.arange(n, dtype=np.int64)
    lo, hi = day_number(request.close_from), day_number(request.close_to)
    found = np.zeros(n, dtype=bool)
    for instant in (day_number(request.start) * DAY, cutoff(request.end)):
        s = world.state(everyone, instant)
        with np.errstate(invalid="ignore"):
            window = ~np.isnan(s.close_day) & (s.close_day >= lo) & (s.close_day <= hi)
        found |= s.is_open & window & np.isnan(s.amount)
    return int(found.sum())


def reconciles(amounts: dict[str, float], tolerance: float = 1e-6) -> bool:
    """start + inflows - outflows (+ transfers) == end, to a relative tolerance."""
    total = amounts["start"] + sum(amounts[b] for b in INFLOWS) - sum(amounts[b] for b in OUTFLOWS)
    total += amounts.get("transferred_in", 0.0) - amounts.get("transferred_out", 0.0)
    return abs(total - amounts["end"]) <= tolerance * max(1.0, abs(amounts["end"]), abs(amounts["start"]))


__all__ = ["BUCKETS", "FlowRequest", "deal_moves", "deals_valued", "pipeline_flow", "reconciles"]
