"""`revops plan territories`: carve accounts into territories of even potential, moving as few
as possible (docs/planning-territories.md).

    revops plan territories [--territories N] [--keep-within region,segment] [--named IDS|@FILE]
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
    keep_within: Annotated[Optional[str], typer.Option("--keep-within", help="region and/or segment, comma-separated: territories never cross them and are owned by AEs of the same region/segment.")] = None,
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
    "balance_cv_before", "balance_cv_after", "moved", ...}; moved counts accounts whose owner
    changes (an account without an owner that gets one included)."""
    from revops.engines.metrics.periods import parse_date
    from revops.engines.planning.territories import carve_territories

    app = app_context(ctx)
    request = build_request(count, keep_within, named, tolerance, weights, parse_date(as_of, "--as-of"), time_limit,
                            count_tolerance or None)
    with app.existing_store(read_only=True) as store:
        carve = carve_territories(store.con, app.model(), request)
    for note in carve.notes:
        stderr.print(f"note: {note}", highlight=False)
    if fmt is OutputFormat.table:
        emit(carve.territories.to_dict("records"), fmt, title="Territory carve",
             caption=(f"potential CV {carve.balance_cv_before:.3f} -> {carve.balance_cv_after:.3f}; worst territory "
                      f"{carve.max_deviation:.1%} off its pool's mean (tolerance {carve.tolerance:.0%}); "
                      f"{carve.moved} accounts change owner (at least {carve.moved_lower_bound} must)"))
    elif fmt is OutputFormat.csv:
        emit(carve.assignments[["account_id", "territory", "owner_id", "previous_owner_id"]]
             .astype(object).where(carve.assignments.notna(), None).to_dict("records"), fmt)
    else:
        emit(carve.to_dict(), fmt)


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
        return CarveRequest(territories=count, keep_within=comma_list(keep_within), named=frozenset(names),
                            tolerance=tolerance, count_tolerance=count_tolerance, weights=potential, as_of=as_of,
                            time_limit=time_limit)
    except ValidationError as exc:
        raise PlanError("; ".join(f"--{'-'.join(str(p) for p in e['loc']).replace('_', '-')}: "
                                  f"{str(e['msg']).removeprefix('Value error, ')}" for e in exc.errors())) from None
