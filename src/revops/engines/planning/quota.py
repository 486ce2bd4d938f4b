"""Quota: the company target set top-down (to teams, then reps, with over-assignment) and
bottom-up (each rep's history and the potential of what they own), reconciled; and last
year's attainment distribution (`revops plan quota`).

- **Top-down**: target x (1 + over-assignment), to teams by their reps' ramped capacity for
  the year (a rep's ramp factors over its 12 months, from their start_date and the ramp
  curve), then to each rep by their share of the team's.
- **Bottom-up**: the same total shared by what each rep brought and holds: half their share
  of last year's bookings, half their share of the potential they own now (open pipeline plus
  a year of their customer accounts' recurring revenue); a rep too new for history gets the
  average share of a ramped rep, scaled by their ramp.
- **Reconciled**: the mean of the two, so a rep's number moves toward what their book
  supports without leaving the capacity plan.
- **Attainment distribution**: last fiscal year's quota attainment of each rep (the metrics
  layer's ``quota_attainment`` by owner), in bands, and the share at or above 100%.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from revops.engines.planning.months import Month

BANDS = ((0.0, 0.5, "under 50%"), (0.5, 0.8, "50-80%"), (0.8, 1.0, "80-100%"), (1.0, 1.2, "100-120%"),
         (1.2, float("inf"), "120% and more"))


@dataclass(frozen=True)
class RepQuota:
    user_id: str
    name: str | None
    team: str | None
    ramped_rep_months: float
    """Ramped rep-months in the year (12 for a rep ramped all year)."""
    last_year_bookings: float
    potential: float
    top_down: float
    bottom_up: float
    reconciled: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_quota(con: Any, model: Any, *, target: float, year: int, over_assignment: float = 0.1,
               ramp: list[float] | None = None, roles: list[str] | None = None) -> dict[str, Any]:
    from revops.engines.metrics.periods import FiscalCalendar

    from revops.engines.planning.plan_file import PlanError

    if not 2000 <= year <= 2100:
        raise PlanError(f"--year {year}: give the fiscal year in four digits, e.g. 2027")
    ramp = ramp or [0.0, 0.25, 0.5, 0.75, 1.0]
    calendar = FiscalCalendar(model.company.fiscal_year_start_month)
    first_day = calendar.label_start(str(year), "year")
    first = Month.of(first_day)
    reps = _reps(con, roles or ["ae"], first)
    if not reps:
        from revops.engines.planning.plan_file import PlanError

        raise PlanError("no active quota-carrying reps (role ae) in the store to share the target among")
    history_start = first.plus(-12)
    history = _bookings(con, model, history_start.first_day, first_day)
    notes = []
    latest = con.execute("SELECT max(close_date) FROM opportunities").fetchall()[0][0]
    if latest is not None and latest < first_day - __import__("datetime").timedelta(days=1):
        last_day = min(latest, first_day)
        if (first_day - last_day).days > 7:
            notes.append(f"last year's bookings ({history_start} to {first.plus(-1)}) are known only to {last_day}: "
                         "the bottom-up history is that year to date")
    potential = _potential(con, model)
    total = target * (1 + over_assignment)

    weights = {}
    for r in reps:
        start = r["start"]
        weights[r["user_id"]] = sum((ramp[k] if k < len(ramp) else 1.0) if (k := first.plus(i).minus(start)) >= 0
                                    else 0.0 for i in range(12))
    teams: dict[str | None, float] = {}
    for r in reps:
        teams[r["team"]] = teams.get(r["team"], 0.0) + weights[r["user_id"]]
    all_weight = sum(weights.values()) or 1.0
    top = {r["user_id"]: total * (teams[r["team"]] / all_weight) * (weights[r["user_id"]] / (teams[r["team"]] or 1.0))
           for r in reps}

    booked = {r["user_id"]: history.get(r["user_id"], 0.0) for r in reps}
    owned = {r["user_id"]: potential.get(r["user_id"], 0.0) for r in reps}
    # a rep's own history counts when they were past the ramp through all of last year
    seasoned = {r["user_id"] for r in reps if history_start.minus(r["start"]) >= len(ramp) - 1}
    mean_booked = sum(booked[u] for u in seasoned) / len(seasoned) if seasoned else 0.0
    raw = {}
    for r in reps:
        u = r["user_id"]
        known = booked[u] if u in seasoned else mean_booked * weights[u] / 12
        raw[u] = (known, owned[u])
    sum_hist = sum(v[0] for v in raw.values()) or 1.0
    sum_pot = sum(v[1] for v in raw.values())
    if sum(v[0] for v in raw.values()) == 0 and sum_pot == 0:
        bottom = {u: top[u] for u in raw}  # nothing booked, nothing owned: bottom-up has nothing to say
        notes.append("no bookings last year and no potential owned: bottom-up equals top-down")
    else:
        bottom = {u: total * (0.5 * h / sum_hist + (0.5 * p / sum_pot if sum_pot else 0.5 * h / sum_hist))
                  for u, (h, p) in raw.items()}
    weight_total = sum(weights.values())
    if weight_total == 0:
        raise PlanError(f"no rep is on the books in fiscal {year} (start and end dates): nobody to carry quota")
    rows = [RepQuota(r["user_id"], r["name"], r["team"], round(weights[r["user_id"]], 2),
                     round(booked[r["user_id"]], 2), round(owned[r["user_id"]], 2), round(top[r["user_id"]], 2),
                     round(bottom[r["user_id"]], 2), round((top[r["user_id"]] + bottom[r["user_id"]]) / 2, 2))
            for r in reps]
    return {"year": str(year), "target": target, "over_assignment": over_assignment, "quota_total": round(total, 2),
            "reps": [r.to_dict() for r in rows], "teams": _teams(rows), "notes": notes,
            "attainment": attainment_distribution(con, model, str(year - 1))}


def attainment_distribution(con: Any, model: Any, year: str) -> dict[str, Any]:
    """Last year's attainment per rep (the metrics layer's quota_attainment), in BANDS."""
    import ibis

    from revops.engines import metrics

    backend = ibis.duckdb.from_connection(con)
    try:
        frame = metrics.compute(backend, model, ["quota_attainment"], by=["owner"], period="year")
    except Exception:  # noqa: BLE001 - no quota data: no distribution, said so
        return {"year": year, "reps": 0, "bands": [], "at_or_above_100": None}
    frame = frame[frame["period"] == year] if "period" in frame else frame
    values = [float(v) for v in frame["value"] if v == v]
    bands = [{"band": label, "reps": sum(1 for v in values if lo <= v < hi)} for lo, hi, label in BANDS]
    return {"year": year, "reps": len(values), "bands": bands,
            "at_or_above_100": round(sum(1 for v in values if v >= 1.0) / len(values), 4) if values else None,
            "median": round(sorted(values)[len(values) // 2], 4) if values else None}


def _teams(rows: list[RepQuota]) -> list[dict[str, Any]]:
    out: dict[str | None, dict[str, Any]] = {}
    for r in rows:
        t = out.setdefault(r.team, {"team": r.team, "reps": 0, "top_down": 0.0, "bottom_up": 0.0, "reconciled": 0.0})
        t["reps"] += 1
        for k in ("top_down", "bottom_up", "reconciled"):
            t[k] = round(t[k] + getattr(r, k), 2)
    return sorted(out.values(), key=lambda t: str(t["team"]))


def _reps(con: Any, roles: list[str], first: Month) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT user_id, name, team, start_date FROM users WHERE lower(role) IN (SELECT unnest(?::VARCHAR[])) "
        "AND coalesce(active, TRUE) AND (end_date IS NULL OR end_date > ?) ORDER BY user_id",
        [[r.lower() for r in roles], first.first_day]).fetchall()
    return [{"user_id": u, "name": n, "team": t, "start": Month.of(s) if s else Month(1970, 1)} for u, n, t, s in rows]


def _bookings(con: Any, model: Any, start: date, end: date) -> dict[str, float]:
    won = model.stage_spellings(won=True)
    rows = con.execute("SELECT owner_id, sum(coalesce(amount, 0)) FROM opportunities WHERE lower(trim(stage)) IN "
                       "(SELECT unnest(?::VARCHAR[])) AND close_date >= ? AND close_date < ? GROUP BY 1",
                       [won, start, end]).fetchall()
    return {u: float(v) for u, v in rows if u is not None}


def _potential(con: Any, model: Any) -> dict[str, float]:
    """Open pipeline owned plus a year of the recurring revenue of the customer accounts owned."""
    closed = model.stage_spellings(closed=True)
    out: dict[str, float] = {}
    for u, v in con.execute("SELECT owner_id, sum(coalesce(amount, 0)) FROM opportunities WHERE lower(trim(stage)) "
                            "NOT IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1", [closed]).fetchall():
        if u is not None:
            out[u] = out.get(u, 0.0) + float(v)
    for u, v in con.execute("""
            SELECT a.owner_id, 12 * sum(coalesce(s.mrr, 0)) FROM subscriptions s JOIN accounts a USING (account_id)
            WHERE (s.end_date IS NULL OR s.end_date >= current_date) GROUP BY 1""").fetchall():
        if u is not None:
            out[u] = out.get(u, 0.0) + float(v or 0)
    return out
