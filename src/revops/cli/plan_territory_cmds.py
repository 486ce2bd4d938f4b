"""`revops plan territories`: carve accounts into territories of even potential, moving as few
as possible (docs/planning-territories.md).

    revops plan territories [--territories N] [--keep-within region,segment|none] [--named IDS|@FILE]
                            [--tolerance 0.05] [--weights arr=0.5,open_pipeline=0.5] [--as-of D]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, comma_list, emit, stderr


def register(plan_app: typer.Typer) -> None:
    plan_app.command("territories")(territories)


def territories(
    ctx: typer.Context,
    count: Annotated[Optional[int], typer.Option("--territories", "-n", min=1, help="Territories in all (default: one per active AE, per pool).")] = None,
    keep_within: Annotated[Optional[str], typer.Option("--keep-within", help="region and/or segment, comma-separated, or none: territories never cross them and are owned by AEs of the same region/segment (default: the ones both the AEs and the accounts have).")] = None,
    named: Annotated[Optional[str], typer.Option("--named", help="Named accounts that stay with their owner: ids comma-separated, or @FILE with one id a line.")] = None,
    tolerance: Annotated[float, typer.Option("--tolerance", help="Allowed deviation of a territory's potential from the mean, e.g. 0.05 for ±5 %.")] = 0.05,
    count_tolerance: Annotated[float, typer.Option("--count-tolerance", help="Allowed deviation of a territory's account count from the mean (0: counts not balanced).", min=0)] = 0.5,
    weights: Annotated[Optional[str], typer.Option("--weights", help="Potential weights, e.g. annual_revenue=0.3,employees=0.1,open_pipeline=0.3,arr=0.3 (missing ones 0 when any is given).")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Day ARR and open pipeline are read at, YYYY-MM-DD (default today).")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds the MILP refinement may use in all.")] = 5.0,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Carve accounts into territories balanced on potential, keeping the current owners where possible.

    JSON: {"assignments": [{"account_id", "territory", "owner_id", "previous_owner_id"}],
    "balance_cv_before", "balance_cv_after", "moved", "within_tolerance", "max_deviation", ...};
    moved counts accounts whose owner changes (an account without an owner that gets one included)."""
    from revops.engines.metrics.periods import parse_date
    from revops.engines.planning.territories import carve_territories

    app = app_context(ctx)
    request = build_request(count, keep_within, named, tolerance, weights, parse_date(as_of, "--as-of"), time_limit,
                            count_tolerance or None)
    with app.existing_store(read_only=True) as store:
        carve = carve_territories(store.con, app.model(), request)
    for note in carve.notes:
        stderr.print(f"note: {note}", highlight=False, markup=False)
    if fmt is OutputFormat.table:
        emit(table_rows(carve), fmt, title="Territory carve", caption=caption(carve))
    elif fmt is OutputFormat.csv:
        emit(carve.assignments[["account_id", "territory", "owner_id", "previous_owner_id"]]
             .astype(object).where(carve.assignments.notna(), None).to_dict("records"), fmt)
    else:
        emit(carve.to_dict(), fmt)


def table_rows(carve) -> list[dict]:
    """One row per territory, for people: open seats named, potentials and deviations rounded."""
    import pandas as pd

    return [{"territory": t["territory"], "owner": "open seat" if pd.isna(t["owner_id"]) else t["owner_id"],
             "accounts": int(t["accounts"]), "potential": f"{t['potential']:,.2f}",
             "potential_before": f"{t['potential_before']:,.2f}", "workload": int(t["workload"]),
             "deviation": _percent(t["deviation"])} for t in carve.territories.to_dict("records")]


def caption(carve) -> str:
    before = ("not defined (no AE holds any of these accounts today)" if carve.balance_cv_before is None
              else f"{carve.balance_cv_before:.3f}")
    if carve.within_tolerance:
        band = (f"every territory within ±{carve.tolerance:.0%} of its pool's mean (worst "
                f"{carve.max_deviation:.1%})")
    else:
        band = (f"NOT within tolerance: worst territory {carve.worst_territory} {carve.max_deviation:.1%} off its "
                f"pool's mean, against ±{carve.tolerance:.0%} (why: see the notes)")
    within = f"kept within {', '.join(carve.keep_within)}; " if carve.keep_within else ""
    bound = (f"no carve inside the band moves fewer than {carve.moved_lower_bound}" if carve.within_tolerance
             else f"at least {carve.moved_lower_bound} must: the bound counts pools outside the band only by the "
                  "accounts whose owner heads no territory there")
    return (f"{within}potential CV before {before}, after {carve.balance_cv_after:.3f}; {band}; "
            f"{carve.moved} account{'' if carve.moved == 1 else 's'} change{'s' if carve.moved == 1 else ''} "
            f"owner ({bound})")


def _percent(share: float) -> str:
    text = f"{share:+.1%}"
    return "0.0%" if text in ("+0.0%", "-0.0%") else text


def build_request(count, keep_within, named, tolerance, weights, as_of, time_limit, count_tolerance=0.5):
    """The typed request from the command's options; bad options as RevopsError."""
    from pydantic import ValidationError

    from revops.engines.planning.plan_file import PlanError
    from revops.engines.planning.territories import CarveRequest
    from revops.engines.planning.territory_book import MEASURES, PotentialWeights

    names: set[str] = set()
    if named and named.startswith("@"):
        path = Path(named[1:])
        if not path.exists():
            raise PlanError(f"--named {named}: no such file; give ids comma-separated or @FILE with one id a line")
        names = {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    else:
        names = set(comma_list(named))
    potential = PotentialWeights()
    if weights:
        given: dict[str, float] = {}
        for part in comma_list(weights):
            key, _, value = part.partition("=")
            if key.strip() not in MEASURES:
                raise PlanError(f"--weights: unknown measure {key.strip()!r}; use {', '.join(MEASURES)}")
            try:
                given[key.strip()] = float(value)
            except ValueError:
                raise PlanError(f"--weights: {part!r} needs a number, e.g. arr=0.5") from None
        if not any(v > 0 for v in given.values()):
            raise PlanError("--weights: give at least one measure a weight above 0")
        potential = PotentialWeights(**{m: given.get(m, 0.0) for m in MEASURES})
    try:
        within = None if keep_within is None else (
            () if keep_within.strip().lower() == "none" else tuple(comma_list(keep_within)))
        return CarveRequest(territories=count, keep_within=within, named=frozenset(names),
                            tolerance=tolerance, count_tolerance=count_tolerance, weights=potential, as_of=as_of,
                            time_limit=time_limit)
    except ValidationError as exc:
        raise PlanError("; ".join(f"--{'-'.join(str(p) for p in e['loc']).replace('_', '-')}: "
                                  f"{str(e['msg']).removeprefix('Value error, ')}" for e in exc.errors())) from None
