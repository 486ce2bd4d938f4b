"""`revops revenue`: the MRR bridge, trailing retention and cohort tables, from the metrics
layer's recurring-revenue definitions (see docs/revenue.md).

    revops revenue mrr [--period month|quarter|year] [--by DIM] [--from D] [--to D] [--as-of D]
    revops revenue retention [--months 12] [--by DIM] [--from D] [--to D] [--as-of D]
    revops revenue cohorts [--basis logo|revenue|gross] [--months 12] [--by DIM] [--from D] [--to D]
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Optional

import pandas as pd
import typer

from revops.cli.context import app_context
from revops.cli.metrics_cmds import AsOfOption, WhereOption, format_value
from revops.cli.output import FormatOption, OutputFormat, emit

revenue_app = typer.Typer(
    help="Recurring revenue: the MRR bridge, NRR and GRR over trailing months, cohort retention.",
    no_args_is_help=True, add_completion=False)

ByOption = Annotated[Optional[str], typer.Option(
    "--by", help="Dimensions, comma-separated, of the account or its owner: segment, region, team, owner, "
                 "industry, country, account, a custom attribute…")]
FromOption = Annotated[Optional[str], typer.Option("--from", help="First month, YYYY-MM-DD (its month counts).")]
ToOption = Annotated[Optional[str], typer.Option("--to", help="Last month, YYYY-MM-DD (default: today / the as-of date).")]
MonthsOption = Annotated[int, typer.Option("--months", help="Length of the trailing window, in months.", min=1)]


def register(app: typer.Typer) -> None:
    app.add_typer(revenue_app, name="revenue")


@contextmanager
def _session(ctx: typer.Context, as_of: str | None) -> Iterator[Any]:
    """A metrics session on the backend in use (--backend, else the store) as of --as-of.
    Each command reads the account-month fact in one query: materialising it would only add
    a write."""
    from revops.engines.metrics import MetricSession

    app = app_context(ctx)
    model = app.model()
    with app.analytics() as con, MetricSession(con, model, as_of=as_of, cache_facts=False) as session:
        yield session


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _title(what: str, as_of: str | None) -> str:
    return what + (f" as of {as_of}" if as_of else "")


@revenue_app.command("mrr")
def mrr(
    ctx: typer.Context,
    period: Annotated[str, typer.Option("--period", help="month, quarter or year (fiscal quarters and years).")] = "month",
    by: ByOption = None, start: FromOption = None, end: ToOption = None, as_of: AsOfOption = None,
    where: WhereOption = None, fmt: FormatOption = OutputFormat.table,
) -> None:
    """The MRR bridge per period: opening MRR, the five movements, closing MRR.

    opening_mrr + new + expansion + contraction + churn + reactivation = mrr on every row,
    exactly in cents; contraction and churn are negative."""
    from revops.engines.revenue import mrr_bridge

    with _session(ctx, as_of) as session:
        frame = mrr_bridge(session, period=period, by=by, start=start, end=end, where=where)
    rows = _rows(frame)
    if fmt is OutputFormat.table:
        from revops.engines.revenue import BRIDGE_COLUMNS

        for r in rows:
            for k in BRIDGE_COLUMNS:
                r[k] = format_value(r[k], "currency")
    emit(rows, fmt, title=_title("MRR bridge", as_of) if fmt is OutputFormat.table else None)


@revenue_app.command("retention")
def retention(
    ctx: typer.Context, months: MonthsOption = 12, by: ByOption = None, start: FromOption = None,
    end: ToOption = None, as_of: AsOfOption = None, where: WhereOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """NRR, GRR and logo churn over the trailing --months months ending at every month end."""
    from revops.engines.revenue import trailing_retention

    with _session(ctx, as_of) as session:
        frame = trailing_retention(session, months=months, by=by, start=start, end=end, where=where)
    rows = _rows(frame)
    if fmt is OutputFormat.table:
        for r in rows:
            for k in ("nrr", "grr", "logo_churn_rate"):
                r[k] = format_value(r[k], "percent")
            for k in ("opening_mrr", "closing_mrr"):
                r[k] = format_value(r[k], "currency")
    emit(rows, fmt, title=_title(f"Retention over trailing {months} months", as_of)
         if fmt is OutputFormat.table else None)


@revenue_app.command("cohorts")
def cohorts(
    ctx: typer.Context,
    basis: Annotated[str, typer.Option("--basis", help="logo (share of accounts paying), revenue (net revenue retention) or gross (gross revenue retention).")] = "logo",
    months: Annotated[int, typer.Option("--months", help="Months since start to show (month_0 ... month_N).", min=0)] = 12,
    by: ByOption = None,
    start: Annotated[Optional[str], typer.Option("--from", help="First cohort (start month), YYYY-MM-DD.")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last cohort (start month), YYYY-MM-DD.")] = None,
    as_of: AsOfOption = None, where: WhereOption = None, fmt: FormatOption = OutputFormat.table,
) -> None:
    """Cohort retention by start month x months since start.

    Accounts grouped by the month they first paid; each cell the cohort's logo, net or gross
    revenue retention at that month end (null: not reached yet)."""
    from revops.engines.revenue import cohort_table

    with _session(ctx, as_of) as session:
        frame = cohort_table(session, basis=basis, months=months, by=by, start=start, end=end, where=where)
    rows = _rows(frame)
    if fmt is OutputFormat.table:
        ages = [c for c in frame.columns if c.startswith("month_")]
        for r in rows:
            r["mrr"] = format_value(r["mrr"], "currency")
            for k in ages:
                r[k] = format_value(r[k], "percent") if r[k] is not None else ""
    emit(rows, fmt, title=_title(f"Cohorts by start month, {basis} retention", as_of)
         if fmt is OutputFormat.table else None)
