"""Deals not created yet that will be created and won inside the period.

At week 4 of a quarter, a short-cycle deal created next week can still close this quarter;
the open pipeline cannot show it. As BoostUp projects in-period pipeline creation, revops
learns it per period from history, per deal type:

- for each of the last ``lookback`` quarters that ended by the as-of day, take the same
  moment in that quarter (as many days after its start as the as-of day is after the
  forecast period's start) and count the deals created after it and won inside that
  quarter, and the deals created in the 91 days before it;
- the expected number for the period is the deals created in the 91 days before the
  as-of day times the ratio of those two counts summed over the quarters (so the
  projection grows with the company's deal creation);
- their amounts are drawn from the amounts those deals were won at.

The Monte Carlo draws the number of such deals from a Poisson law with that mean and
their amounts from that pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from revops.engines.forecast.world import DAY, NEVER, DealState, DealWorld, cutoff, day_number
from revops.engines.metrics.periods import FiscalCalendar

BASE_DAYS = 91
LOOKBACK = 4


@dataclass
class CreationGroup:
    name: str
    expected_count: float
    amounts: np.ndarray
    history: list[dict] = field(default_factory=list)

    @property
    def expected_amount(self) -> float:
        return self.expected_count * (float(self.amounts.mean()) if len(self.amounts) else 0.0)


@dataclass
class CreationModel:
    groups: list[CreationGroup]
    spread: float = 0.0
    """Log standard deviation of the ratio of deals created and won to deals created before,
    from one past quarter to the next: how far the expected number may miss."""

    @property
    def expected_amount(self) -> float:
        return sum(g.expected_amount for g in self.groups)

    @property
    def expected_count(self) -> float:
        return sum(g.expected_count for g in self.groups)


def fit_creation(world: DealWorld, final: DealState, calendar: FiscalCalendar, period_start: date,
                 period_end: date, lookback: int = LOOKBACK) -> CreationModel:
    assert world.as_of is not None, "learn creation only on a world known at a day"
    as_of = world.as_of
    offset = (as_of - period_start).days
    created = world.created
    known_created = created != NEVER
    types = world.deals["type"].astype(object).where(world.deals["type"].notna(), "(none)").to_numpy()
    close = final.close_day
    quarters = []
    start = calendar.period_start(min(as_of, period_start) - timedelta(days=1), "quarter")
    while len(quarters) < lookback:
        end = calendar.period_end(start, "quarter")
        if end <= as_of and start >= _earliest(world):
            quarters.append((start, end))
        elif start < _earliest(world):
            break
        start = calendar.period_start(start - timedelta(days=1), "quarter")
    groups = []
    made_q = np.zeros(len(quarters))
    base_q = np.zeros(len(quarters))
    for name in sorted(set(types)):
        of_type = (types == name) & known_created
        made, base, pool, hist = 0.0, 0.0, [], []
        for qs, qe in quarters:
            moment = cutoff(qs + timedelta(days=offset))
            with np.errstate(invalid="ignore"):
                won_in = final.is_won & (close >= day_number(qs)) & (close <= day_number(qe))
            later = of_type & (created >= moment) & won_in
            before = of_type & (created < moment) & (created >= moment - BASE_DAYS * DAY)
            made += later.sum()
            base += before.sum()
            i = len(hist)
            made_q[i] += later.sum()
            base_q[i] += before.sum()
            amounts = final.amount[later]
            pool.append(amounts[~np.isnan(amounts)])
            hist.append({"period": calendar.label(qs, "quarter"), "created_and_won": int(later.sum()),
                         "created_before": int(before.sum())})
        now = cutoff(as_of)
        recent = (of_type & (created < now) & (created >= now - BASE_DAYS * DAY)).sum()
        if base > 0:
            expected = made / base * recent
        else:
            expected = made / max(len(quarters), 1)
        amounts = np.concatenate(pool) if pool else np.zeros(0)
        if expected > 0 and len(amounts):
            groups.append(CreationGroup(name=str(name), expected_count=float(expected), amounts=amounts,
                                        history=hist))
    return CreationModel(groups, spread=_ratio_spread(made_q, base_q))


def _ratio_spread(made: np.ndarray, base: np.ndarray) -> float:
    """Log standard deviation of each quarter's made/base ratio around the others' pooled
    ratio (leave one out), all deal types together."""
    ok = (made > 0) & (base > 0)
    if ok.sum() < 3:
        return 0.0
    made, base = made[ok], base[ok]
    errors = []
    for i in range(len(made)):
        rest = np.arange(len(made)) != i
        expected = made[rest].sum() / base[rest].sum() * base[i]
        errors.append(np.log(made[i] / expected))
    errors = np.array(errors)
    # the Poisson noise of each quarter's count is drawn by the Monte Carlo already
    excess = float(np.mean(errors ** 2) - np.mean(1.0 / made))
    return float(np.sqrt(max(excess, 0.0)))


def _earliest(world: DealWorld) -> date:
    known = world.created[world.created != NEVER]
    if not len(known):
        return date(1970, 1, 1)
    from revops.engines.forecast.world import day_date

    return day_date(int(known.min() // DAY))
