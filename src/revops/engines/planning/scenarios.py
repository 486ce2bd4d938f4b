"""Scenarios: conservative, base and aggressive bookings for a fiscal year, each from its
assumptions — win rate, sales cycle, pipeline created per month, ramp and attrition — shown
next to the values measured over the last 12 months, so a plan that needs a miracle says so
(`revops plan scenarios`).

With a capacity plan (``--plan``), a month's bookings are also capped by the scenario's
capacity: the plan's reps and hires under the scenario's ramp (delayed a month when
conservative, a month faster when aggressive) and attrition.

Bookings of a month are the pipeline created ``cycle`` months earlier times the win rate: the
pipeline already created (the store's, by month) is used as it is, months still to come get
the scenario's monthly creation, scaled by the sales headcount the scenario keeps (attrition
thins it month by month, new hires add per the ramp). An assumption better than history is a
*miracle*: the seeds' board deck whose "conservative scenario assumed seven miracles".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from revops.engines.planning.months import Month

SCENARIOS: dict[str, dict[str, float]] = {
    "conservative": {"win_rate": 0.85, "cycle_days": 1.2, "pipeline_per_month": 0.85, "monthly_attrition": 1.5,
                     "ramp_shift": 1},
    "base": {"win_rate": 1.0, "cycle_days": 1.0, "pipeline_per_month": 1.0, "monthly_attrition": 1.0, "ramp_shift": 0},
    "aggressive": {"win_rate": 1.1, "cycle_days": 0.9, "pipeline_per_month": 1.15, "monthly_attrition": 0.75,
                   "ramp_shift": -1},
}
"""Each assumption as a multiple of its measured value; ``ramp_shift``: months the capacity
plan's ramp curve is delayed (+) or sped up (-)."""
BETTER_WHEN_HIGHER = {"win_rate": True, "cycle_days": False, "pipeline_per_month": True, "monthly_attrition": False}
GTM_ROLES = ("ae", "sdr", "csm", "manager", "marketing", "executive", "se", "am")
REVOPS_PER_GTM = (20, 30)
"""The seeds' rule of thumb: one RevOps person per 20-30 GTM staff."""


@dataclass(frozen=True)
class Measured:
    win_rate: float
    cycle_days: float
    pipeline_per_month: float
    monthly_attrition: float
    created_by_month: dict[Month, float]
    bookings: float = 0.0
    """Won amount over the same 12 months: what the base scenario is held against."""


def measure(con: Any, model: Any, as_of: date, where: str | None = None) -> Measured:
    """The last 12 full months before ``as_of``'s month, from the metrics layer (``where``:
    a filter such as ``type = 'new_business'``) and the users."""
    import ibis

    from revops.engines import metrics
    from revops.engines.planning.plan_file import PlanError

    end = Month.of(as_of)
    start = end.plus(-12)
    backend = ibis.duckdb.from_connection(con)
    frame = metrics.compute(backend, model, ["win_rate", "sales_cycle_days", "pipeline_created", "won_amount"],
                            start=start.first_day, end=end.first_day - _one_day(), where=where)
    values = {r["metric"]: float(r["value"]) for _, r in frame.iterrows() if r["value"] == r["value"]}
    if not values.get("pipeline_created") or not values.get("win_rate"):
        raise PlanError(f"no deals created or decided from {start} to {end.plus(-1)} to measure the assumptions from; "
                        "give --as-of a day the data covers")
    created = metrics.compute(backend, model, ["pipeline_created"], period="month",
                              start=start.plus(-24).first_day, end=end.first_day - _one_day(), where=where)
    by_month = {}
    for _, r in created.iterrows():
        year, month = str(r["period"]).split("-")
        by_month[Month(int(year), int(month))] = float(r["value"]) if r["value"] == r["value"] else 0.0
    left, heads = con.execute(
        "SELECT count(*) FILTER (WHERE end_date >= ? AND end_date < ?), count(*) FROM users "
        "WHERE lower(role) = 'ae' AND (start_date IS NULL OR start_date < ?)",
        [start.first_day, end.first_day, end.first_day]).fetchall()[0]
    attrition = 1 - (1 - left / heads) ** (1 / 12) if heads else 0.0
    return Measured(values.get("win_rate", 0.0), values.get("sales_cycle_days", 0.0),
                    values.get("pipeline_created", 0.0) / 12, round(attrition, 4), by_month,
                    values.get("won_amount", 0.0))


def _one_day() -> Any:
    from datetime import timedelta

    return timedelta(days=1)


def run_scenarios(measured: Measured, *, year_months: list[Month], as_of: date,
                  multipliers: dict[str, dict[str, float]] | None = None,
                  capacity: Any = None) -> dict[str, Any]:
    """``capacity``: a function (ramp_shift, attrition multiple) -> {Month: bookings capacity}
    (the capacity plan's, its own attrition times the scenario's multiple); given, each month's
    bookings are capped by the scenario's capacity."""
    multipliers = multipliers or SCENARIOS
    now = Month.of(as_of)
    out = []
    for name, mult in multipliers.items():
        a = {k: getattr(measured, k) * mult.get(k, 1.0) for k in BETTER_WHEN_HIGHER}
        lag = max(round(a["cycle_days"] / 30.44), 0)
        shift = int(mult.get("ramp_shift", 0))
        cap = capacity(shift, mult.get("monthly_attrition", 1.0)) if capacity is not None else None
        total = 0.0
        capped_months = 0
        for m in year_months:
            source = m.plus(-lag)
            if source < now:
                created = measured.created_by_month.get(source, 0.0)
            else:
                months_ahead = source.minus(now)
                created = a["pipeline_per_month"] * (1 - a["monthly_attrition"]) ** months_ahead
            booked = created * a["win_rate"]
            if cap is not None and m in cap and booked > cap[m]:
                booked = cap[m]
                capped_months += 1
            total += booked
        miracles = [f"{k.replace('_', ' ')} {_fmt(k, a[k])} (measured {_fmt(k, getattr(measured, k))})"
                    for k, higher in BETTER_WHEN_HIGHER.items()
                    if (a[k] > getattr(measured, k) * 1.0001 if higher else a[k] < getattr(measured, k) * 0.9999)]
        if cap is not None and shift < 0:
            miracles.append(f"ramp {-shift} month(s) faster than the plan's curve")
        out.append({"scenario": name, **{k: round(v, 4) for k, v in a.items()}, "cycle_months": lag,
                    "ramp_shift_months": shift, "bookings": round(total, 2), "miracles": miracles,
                    "months_capped_by_capacity": capped_months if cap is not None else None,
                    "capacity": round(sum(cap.get(m, 0.0) for m in year_months), 2) if cap is not None else None})
    return {"scenarios": out,
            "measured": {**{k: round(getattr(measured, k), 4) for k in BETTER_WHEN_HIGHER},
                         "bookings_last_12_months": round(measured.bookings, 2)}}


def capacity_curve(plan: Any, starters: list[Any], productivity: float, fiscal_start_month: int) -> Any:
    """For run_scenarios: the capacity plan's monthly capacity under a ramp shift and attrition."""
    from revops.engines.planning.capacity import plan_capacity

    def curve(shift: int, multiple: float) -> dict[Month, float]:
        ramp = list(plan.ramp)
        ramp = [0.0] * shift + ramp if shift > 0 else ramp[-shift:] or [1.0]
        attrition = min(plan.monthly_attrition * multiple, 0.99)
        varied = plan.model_copy(update={"ramp": ramp, "monthly_attrition": attrition, "targets": {}})
        return {Month.parse(r.period): r.capacity for r in plan_capacity(varied, starters=starters,
                                                                          productivity=productivity,
                                                                          fiscal_start_month=fiscal_start_month)
                if r.grain == "month"}

    return curve


def _fmt(key: str, value: float) -> str:
    if key in ("win_rate", "monthly_attrition"):
        return f"{value:.1%}"
    if key == "cycle_days":
        return f"{value:.0f}d"
    return f"{value:,.0f}/mo"


def revops_headcount(con: Any) -> dict[str, Any]:
    """GTM staff and RevOps staff in the store, against one RevOps per 20-30 GTM staff."""
    gtm, revops = con.execute(
        "SELECT count(*) FILTER (WHERE lower(role) IN (SELECT unnest(?::VARCHAR[]))), "
        "count(*) FILTER (WHERE lower(role) IN ('revops', 'ops', 'sales_ops')) FROM users "
        "WHERE coalesce(active, TRUE) AND end_date IS NULL", [list(GTM_ROLES)]).fetchall()[0]
    low, high = REVOPS_PER_GTM
    return {"gtm_staff": gtm, "revops_staff": revops, "recommended_min": -(-gtm // high) if gtm else 0,
            "recommended_max": -(-gtm // low) if gtm else 0,
            "rule": "one RevOps person per 20-30 GTM staff"}
