"""The forecast of one fiscal period as of one day: every number of ``revops forecast``.

| number | definition |
| --- | --- |
| closed_won | amount of deals won with a close date in the period, as of the day |
| commit | closed_won + open deals closing in the period whose category is commit |
| best_case | commit + open deals closing in the period whose category is best_case |
| pipeline | open deals closing in the period, every category (the period's open pipeline) |
| weighted | closed_won + open deals closing in the period x their stage's probability |
| p10, p50, p90 | closed_won + the 10th, 50th and 90th percentile of the Monte Carlo |

A deal's category is the one recorded on it (the rep's call), else its stage's default
(``categories``). An open deal without an amount counts at its comparable value
(``valuation``). The Monte Carlo (``montecarlo``) decides every open deal — whatever its
close date says — with the chance it is won inside the period (``slip`` x ``win_model``),
and adds the deals not created yet that will be created and won inside it (``creation``).

Everything is computed from ``world.known_at(as_of)``: what was known at the end of the
as-of day, nothing later.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from revops.engines.forecast.creation import CreationModel, fit_creation
from revops.engines.forecast.features import OwnerRecord, category_keys, deal_features
from revops.engines.forecast.montecarlo import RUNS, SEED, Simulation, simulate
from revops.engines.forecast.slip import SlipModel, train_slip_model
from revops.engines.forecast.spread import open_deal_spread, spread_for
from revops.engines.forecast.training import TrainingOptions, build_training_set
from revops.engines.forecast.valuation import comparable_values, valued
from revops.engines.forecast.win_model import WinModel, train_win_model
from revops.engines.forecast.world import UNKNOWN_OPEN, DealState, DealWorld, cutoff, day_number
from revops.engines.metrics.periods import FiscalCalendar
from revops.errors import ForecastError

@dataclass
class ForecastModels:
    """What the statistical forecast learned as of a day; reusable for later days of the
    same quarter (no training row's outcome completes in between)."""

    as_of: date
    slip: SlipModel
    win: WinModel
    spread: tuple[float, ...] = (0.0, 0.0, 0.0)
    training_rows: int = 0


@dataclass
class PeriodForecast:
    period: str
    as_of: date
    numbers: dict[str, float]
    deals: pd.DataFrame = field(repr=False)
    creation: CreationModel | None = field(default=None, repr=False)
    simulation: Simulation | None = field(default=None, repr=False)
    models: ForecastModels | None = field(default=None, repr=False)
    won: pd.DataFrame | None = field(default=None, repr=False)
    """Deals won in the period by the as-of day: owner, amount."""
    warnings: list[str] = field(default_factory=list)
    """What the reader must know to trust the numbers (``freshness``: the data ends long before the day)."""

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period, "as_of": self.as_of.isoformat(), **self.numbers}


@dataclass
class Known:
    """The world known at a day, with what every computation of that day shares."""

    world: DealWorld
    calendar: FiscalCalendar
    final: DealState
    values: np.ndarray
    owners: OwnerRecord

    @classmethod
    def at(cls, world: DealWorld, day: date, list_prices: dict[str, float] | None = None) -> Known:
        known = world.known_at(day)
        everyone = np.arange(len(known), dtype=np.int64)
        final = known.state(everyone, cutoff(day))
        values = comparable_values(known, cutoff(day), list_prices, state=final)
        calendar = FiscalCalendar(known.model.company.fiscal_year_start_month)
        return cls(world=known, calendar=calendar, final=final, values=values, owners=OwnerRecord.of(known, final))

    @property
    def as_of(self) -> date:
        assert self.world.as_of is not None
        return self.world.as_of


def period_bounds(calendar: FiscalCalendar, label: str) -> tuple[date, date]:
    try:
        start = calendar.label_start(label, "quarter")
    except (ValueError, IndexError):
        raise ForecastError(f"--period {label!r} is not a fiscal quarter; write YYYY-QN, e.g. 2026-Q3") from None
    if calendar.label(start, "quarter") != label:
        raise ForecastError(f"--period {label!r} is not a fiscal quarter; write YYYY-QN, e.g. 2026-Q3")
    return start, calendar.period_end(start, "quarter")


def train_models(known: Known, options: TrainingOptions = TrainingOptions()) -> ForecastModels:
    data = build_training_set(known.world, known.calendar, known.values, known.owners, known.final, options)
    slip, win = train_slip_model(data, options.seed), train_win_model(data, options.seed)
    return ForecastModels(as_of=known.as_of, slip=slip, win=win, spread=open_deal_spread(data, options.seed),
                          training_rows=len(data))


def forecast_period(known: Known, period: str, models: ForecastModels | None = None, *, runs: int = RUNS,
                    seed: int = SEED, options: TrainingOptions | None = None, by_owner: bool = False
                    ) -> PeriodForecast:
    cal, world, final = known.calendar, known.world, known.final
    start, end = period_bounds(cal, period)
    ps, pe = day_number(start), day_number(end)
    close = final.close_day
    with np.errstate(invalid="ignore"):
        inside = ~np.isnan(close) & (close >= ps) & (close <= pe)
    amount = valued(final, known.values)
    closed_won = float(np.nansum(np.where(final.is_won & inside, final.amount, 0.0)))
    open_ = np.flatnonzero(final.is_open)
    cat_key = category_keys(world, final)
    st = world.stages
    prob = st.lookup(st.probability, final.stage, np.nan)
    prob = np.where(final.stage == UNKNOWN_OPEN, st.first_open_probability, np.nan_to_num(prob))
    open_in = final.is_open & inside
    commit = closed_won + float(amount[open_in & (cat_key == "commit")].sum())
    best_case = commit + float(amount[open_in & (cat_key == "best_case")].sum())
    pipeline = float(amount[open_in].sum())
    weighted = closed_won + float((amount[open_in] * prob[open_in]).sum())

    deals = pd.DataFrame({"deal": open_, "opportunity_id": world.ids[open_]})
    simulation, creation = None, None
    if end <= known.as_of:  # the period is over: nothing is left to win
        p10 = p50 = p90 = closed_won
        deals = deals.assign(p_in_period=0.0, p_win=0.0, p_won=0.0, booked=amount[open_])
    else:
        if models is None:
            future = start > cal.period_end(known.as_of, "quarter")
            models = train_models(known, options or TrainingOptions(next_period=future))
        X = deal_features(world, open_, cutoff(known.as_of), ps, pe, known.values, known.owners,
                          state=final.take(open_))
        p_in = models.slip.in_period(X)
        p_win = models.win.probability(X)
        booked = models.win.booked_amount(X)
        p_won = p_in * p_win
        creation = fit_creation(world, final, cal, start, end)
        spread = spread_for(models.spread, pe - day_number(known.as_of))
        owners = world.owner_names(final.owner[open_]) if by_owner else None
        owner_keys, owner_codes = (np.unique(owners.astype(str), return_inverse=True) if by_owner
                                   else (None, None))
        simulation = simulate(p_won, booked, creation, runs=runs, seed=seed, spread=spread, groups=owner_codes)
        if by_owner:
            simulation = replace(simulation, group_keys=tuple(owner_keys))
        q10, q50, q90 = simulation.quantiles()
        p10, p50, p90 = closed_won + q10, closed_won + q50, closed_won + q90
        deals = deals.assign(p_in_period=p_in, p_win=p_win, p_won=p_won, booked=booked)
        deals = pd.concat([deals, X.reset_index(drop=True)], axis=1)
    deals = deals.assign(stage=_stage_names(world, final.stage[open_]), category=cat_key[open_],
                         amount=final.amount[open_], value=amount[open_], close_day=close[open_],
                         in_period=inside[open_], weight=prob[open_], owner=world.owner_names(final.owner[open_]))
    won_in = np.flatnonzero(final.is_won & inside)
    won = pd.DataFrame({"owner": world.owner_names(final.owner[won_in]), "amount": final.amount[won_in]})
    numbers = {"closed_won": closed_won, "commit": commit, "best_case": best_case, "pipeline": pipeline,
               "weighted": weighted, "p10": p10, "p50": p50, "p90": p90}
    return PeriodForecast(period=period, as_of=known.as_of, numbers=numbers, deals=deals, creation=creation,
                          simulation=simulation, models=models, won=won)


def numbers_by_owner(fc: PeriodForecast) -> pd.DataFrame:
    """Per owner: closed_won, commit, best_case, pipeline, weighted and expected (closed_won +
    the owner's open deals x their chance to be won in the period; deals not created yet are
    the company's, not a rep's)."""
    d = fc.deals
    inside = d[d["in_period"]]
    won = (fc.won.groupby("owner", dropna=False)["amount"].sum() if fc.won is not None and len(fc.won)
           else pd.Series(dtype=float))
    frame = pd.DataFrame({
        "closed_won": won,
        "commit_open": inside[inside["category"] == "commit"].groupby("owner")["value"].sum(),
        "best_case_open": inside[inside["category"] == "best_case"].groupby("owner")["value"].sum(),
        "pipeline": inside.groupby("owner")["value"].sum(),
        "weighted_open": (inside["value"] * inside["weight"]).groupby(inside["owner"]).sum(),
        "expected_open": ((d["p_won"] * d["booked"]).groupby(d["owner"]).sum() if "p_won" in d
                          else pd.Series(dtype=float)),
    }).fillna(0.0)
    out = pd.DataFrame(index=frame.index)
    out["closed_won"] = frame["closed_won"]
    out["commit"] = frame["closed_won"] + frame["commit_open"]
    out["best_case"] = out["commit"] + frame["best_case_open"]
    out["pipeline"] = frame["pipeline"]
    out["weighted"] = frame["closed_won"] + frame["weighted_open"]
    out["expected"] = frame["closed_won"] + frame["expected_open"]
    return out


def current_period(calendar: FiscalCalendar, as_of: date) -> str:
    return calendar.label(as_of, "quarter")


def _stage_names(world: DealWorld, codes: np.ndarray) -> np.ndarray:
    names = np.array(list(world.stages.keys) + ["(unknown)", "(none)"], dtype=object)
    return names[np.where(codes >= 0, codes, np.where(codes == UNKNOWN_OPEN, len(world.stages.keys),
                                                       len(world.stages.keys) + 1))]

