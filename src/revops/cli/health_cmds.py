"""`revops health`: every customer account's health score as of a day, with its band, trend
and the reasons behind it; `revops health renewals`: the renewals coming up and the ARR at risk.

    revops health                          # the accounts, weakest first
    revops health --format json            # rows: account_id, score, band, trend, reasons, ...
    revops health --band red --as-of 2026-03-31
    revops health renewals --within 90
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, comma_list, emit, stderr

health_app = typer.Typer(help="Customer health: scores, bands, trends and reasons; the renewal forecast.",
                         invoke_without_command=True, add_completion=False)

AsOfOption = Annotated[Optional[str], typer.Option(
    "--as-of", help="Score as of this day, YYYY-MM-DD: only data from before it is read. Default: today.")]
BandOption = Annotated[Optional[str], typer.Option("--band", help="Only accounts in these bands (comma-separated).")]
AccountOption = Annotated[Optional[str], typer.Option("--account", help="Only these accounts (ids, comma-separated).")]
TABLE_COLUMNS = ["account_id", "account_name", "score", "band", "trend", "trend_delta", "at_risk", "reasons"]


def register(app: typer.Typer) -> None:
    app.add_typer(health_app, name="health")


def _request(ctx: typer.Context, as_of: str | None, band: str | None, account: str | None) -> tuple[Any, Any, Any]:
    """The app context, the model and the health request the options ask for (bands checked)."""
    from revops.engines.health.score import HealthRequest
    from revops.errors import RevopsError
    from revops.moments import parse_moment

    app = app_context(ctx)
    model = app.model()
    day = parse_moment(as_of, "--as-of", RevopsError).date()
    bands = comma_list(band)
    known = [b.key for b in model.health.bands]
    unknown = [b for b in bands if b not in known]
    if unknown:
        raise RevopsError(f"--band {', '.join(unknown)}: not a health band; the bands are {', '.join(known)}")
    return app, model, HealthRequest(day, comma_list(account), bands)


def _score(store: Any, model: Any, request: Any) -> Any:
    from revops.engines.health.score import score_accounts

    store.con.execute("SET enable_progress_bar = false")
    names = dict(store.con.execute("SELECT account_id, name FROM accounts WHERE name IS NOT NULL").fetchall())
    return score_accounts(store.con, model.health, request, currency=model.company.currency, names=names)


@health_app.callback()
def health(ctx: typer.Context, as_of: AsOfOption = None, band: BandOption = None, account: AccountOption = None,
           fmt: FormatOption = OutputFormat.table) -> None:
    """Score every customer account (a live subscription on the day) with the measures of
    revops.yaml's health section. Rows, weakest first: account_id, account_name, score (0-100),
    band, trend (up, down, flat or new) with trend_delta and score_before, at_risk, reasons (the
    measures pulling the score down), not_measured (measures without data; their weight is
    spread over the others) and measures (each measure's 0-100 score)."""
    if ctx.invoked_subcommand is not None:
        return
    from revops.engines.health.score import HEALTH_COLUMNS

    app, model, request = _request(ctx, as_of, band, account)
    with app.existing_store(read_only=True) as store:
        report = _score(store, model, request)
    for key, why in report.unmeasured_inputs.items():
        stderr.print(f"[yellow]health measure {key} not measured for any account:[/] {why}", highlight=False)
    if fmt is OutputFormat.table:
        rows = [{**r, "reasons": "; ".join(r["reasons"])} for r in report.rows]
        emit(rows, fmt, columns=TABLE_COLUMNS, title=f"Customer health on {report.as_of:%Y-%m-%d} "
             f"({len(rows)} accounts, weakest first)")
        return
    emit(report.rows, fmt, columns=list(HEALTH_COLUMNS))


@health_app.command("renewals")
def renewals(ctx: typer.Context, as_of: AsOfOption = None, within: Annotated[int, typer.Option(
        "--within", help="Renewals due in this many days after the day.")] = 180,
        band: BandOption = None, account: AccountOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """The renewal forecast: each customer's next renewal in the window, its ARR, health score,
    band, at_risk (the churn-risk flag of `revops health`) and risk (high when at_risk: the ARR
    is at risk; medium in the band above an at-risk band; else low), soonest first."""
    from revops.engines.health.renewals import RENEWAL_COLUMNS, renewal_forecast

    app, model, request = _request(ctx, as_of, band, account)
    with app.existing_store(read_only=True) as store:
        report = _score(store, model, request)
        rows = renewal_forecast(store.con, model.health, report, within)
    if fmt is OutputFormat.table:
        at_risk = sum(r["arr_at_risk"] for r in rows)
        stderr.print(f"{len(rows)} renewals in {within} days, {sum(r['arr'] for r in rows):,.0f} ARR, "
                     f"{at_risk:,.0f} at risk", highlight=False)
        rows = [{**r, "reasons": "; ".join(r["reasons"])} for r in rows]
    emit(rows, fmt, columns=list(RENEWAL_COLUMNS))
