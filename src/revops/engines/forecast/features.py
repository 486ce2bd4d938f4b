"""What the statistical forecast knows about an open deal at an instant, for a period.

Every feature is computed from a ``known_at`` world (see ``world``) at the instant asked, so
the same function describes the deals of today's forecast and the deals of every past
snapshot the models learn from:

| feature | meaning |
| --- | --- |
| stage_rank | position of the stage among the open stages (unknown: missing) |
| stage_probability | the stage's probability in the model |
| category | forecast category: the rep's (recorded on the deal) else the stage's default |
| age_days | days since the deal was created |
| days_in_stage | days since the deal entered its stage (missing without history) |
| days_since_activity, activities_30d | recency and count of activities logged on the deal |
| pushes | times the close date was moved later |
| days_to_close | close date minus the as-of day (negative: a close date in the past) |
| close_to_period_end | period end minus the close date |
| days_left, days_to_start | period end / start minus the as-of day |
| amount, amount_known | the amount (comparable value when missing), and whether it was entered |
| segment, type, product, source | the deal's attributes (categorical) |
| owner_win_rate, owner_closed | the owner's won / closed deals before the instant (smoothed) |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops.engines.forecast.valuation import valued
from revops.engines.forecast.world import DAY, NEVER, UNKNOWN_OPEN, DealState, DealWorld

CATEGORICAL = ("category", "segment", "type", "product", "source")
NUMERIC = ("stage_rank", "stage_probability", "age_days", "days_in_stage", "days_since_activity",
           "activities_30d", "pushes", "days_to_close", "close_to_period_end", "days_left", "days_to_start",
           "amount", "amount_known", "owner_win_rate", "owner_closed")
FEATURES = NUMERIC + CATEGORICAL
PRIOR_WEIGHT = 10.0


@dataclass
class OwnerRecord:
    """Each owner's closed deals by close day, to count wins before any day."""

    key: np.ndarray  # owner * 2^32 + close day, sorted
    won_cum: np.ndarray  # wins before each entry (and a last one: all of them)
    all_key: np.ndarray  # close days of every closed deal, sorted (the company's base rate)
    all_won_cum: np.ndarray

    @classmethod
    def of(cls, world: DealWorld, final: DealState) -> OwnerRecord:
        closed = (final.is_won | final.is_lost) & ~np.isnan(final.close_day)
        owner = final.owner[closed].astype(np.int64) + 1
        day = final.close_day[closed].astype(np.int64)
        won = final.is_won[closed]
        key = owner * (1 << 32) + day
        order = np.argsort(key, kind="stable")
        day_order = np.argsort(day, kind="stable")
        return cls(key=key[order], won_cum=np.r_[0, np.cumsum(won[order])], all_key=day[day_order],
                   all_won_cum=np.r_[0, np.cumsum(won[day_order])])

    def rates(self, owner: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(smoothed win rate, deals closed) of each owner before each day."""
        n_all = np.searchsorted(self.all_key, day, side="left")
        base = np.where(n_all > 0, self.all_won_cum[n_all] / np.maximum(n_all, 1), 0.3)
        o = owner.astype(np.int64) + 1
        lo = np.searchsorted(self.key, o * (1 << 32), side="left")
        hi = np.searchsorted(self.key, o * (1 << 32) + day, side="left")
        closed = hi - lo
        won = self.won_cum[hi] - self.won_cum[lo]
        return (won + PRIOR_WEIGHT * base) / (closed + PRIOR_WEIGHT), closed.astype(float)


def category_codes(world: DealWorld, state: DealState) -> np.ndarray:
    """The forecast category in force: the one recorded on the deal, else its stage's default."""
    st = world.stages
    defaults = np.array([world.categories.index(c) if c in world.categories else -1
                         for c in st.default_category] or [-1])
    default = st.lookup(defaults, state.stage, -1) if len(st.keys) else np.full(len(state.stage), -1)
    if UNKNOWN_OPEN in state.stage:  # an unknown open stage: the first open stage's default
        first_open = next((i for i, o in enumerate(st.is_open) if o), None)
        if first_open is not None:
            default = np.where(state.stage == UNKNOWN_OPEN, defaults[first_open], default)
    return np.where(state.category >= 0, state.category, default)


def category_keys(world: DealWorld, state: DealState) -> np.ndarray:
    """The key of the forecast category in force (``category_codes``), "(none)" without one."""
    keys = np.array(list(world.categories) + ["(none)"], dtype=object)
    code = category_codes(world, state)
    return keys[np.where(code >= 0, code, len(world.categories))]


def deal_features(world: DealWorld, deal: np.ndarray, instant: np.ndarray | int, period_start: np.ndarray | int,
                  period_end: np.ndarray | int, values: np.ndarray, owners: OwnerRecord,
                  state: DealState | None = None) -> pd.DataFrame:
    """Feature rows for (deal, instant, period) triples; days are the as-of day's."""
    n = len(deal)
    inst = np.broadcast_to(np.asarray(instant, dtype=np.int64), (n,))
    ps = np.broadcast_to(np.asarray(period_start, dtype=float), (n,))
    pe = np.broadcast_to(np.asarray(period_end, dtype=float), (n,))
    s = state if state is not None else world.state(deal, inst)
    st = world.stages
    day = inst // DAY - 1  # the as-of day
    rank = st.lookup(st.open_rank.astype(float), s.stage, np.nan)
    rank[rank < 0] = np.nan
    prob = st.lookup(st.probability, s.stage, np.nan)
    created = world.created[deal]
    age = np.where(created != NEVER, (inst - created) / DAY, np.nan)
    in_stage = np.full(n, np.nan)
    pushes = np.zeros(n)
    if len(world.h_deal):
        r = np.maximum(s.row, 0)
        in_stage = np.where(s.has_history, (inst - world.stage_since()[r]) / DAY, np.nan)
        pushes = np.where(s.has_history, world.pushes()[r], 0).astype(float)
    last, count = world.activity_before(deal, inst, 30)
    since = np.where(last >= 0, (inst - last) / DAY, np.nan)
    amount = valued(s, values[deal])
    win_rate, closed = owners.rates(s.owner, day)
    frame = pd.DataFrame({
        "stage_rank": rank, "stage_probability": prob, "age_days": age, "days_in_stage": in_stage,
        "days_since_activity": since, "activities_30d": count.astype(float), "pushes": pushes,
        "days_to_close": s.close_day - day, "close_to_period_end": pe - s.close_day,
        "days_left": pe - day, "days_to_start": ps - day, "amount": amount,
        "amount_known": (~np.isnan(s.amount)).astype(float), "owner_win_rate": win_rate, "owner_closed": closed,
    })
    frame["category"] = category_codes(world, s)
    for col in CATEGORICAL[1:]:
        frame[col] = _codes(world, col)[deal]
    return frame[list(FEATURES)]


def _codes(world: DealWorld, column: str) -> np.ndarray:
    key = f"codes:{column}"
    if key not in world._derived:
        values = world.deals[column] if column in world.deals.columns else pd.Series([None] * len(world))
        codes, _ = pd.factorize(values.astype(object).where(values.notna(), None), sort=True)
        world._derived[key] = codes.astype(np.int64)
    return world._derived[key]
