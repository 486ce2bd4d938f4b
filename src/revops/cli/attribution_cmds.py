"""`revops attribution`: which channels and campaigns the company's conversions came from.

    revops attribution --model markov                                      # stored touches -> new opportunities, by channel
    revops attribution --model w_shaped --conversion revenue --by campaign  # won revenue by campaign, cost and ROI
    revops attribution --model shapley --paths paths.csv --format json     # journeys in ChannelAttribution's layout

Rows: ``channel``, ``conversions``, ``value`` (and for stored touches ``cost``,
``cost_per_conversion``, ``roi``; by campaign ``campaign_id`` and ``campaign``; for Markov
``removal_effect``). A summary goes to stderr. See docs/attribution.md.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, comma_list, emit, stderr


class ModelName(str, Enum):
    first_touch = "first_touch"
    last_touch = "last_touch"
    linear = "linear"
    u_shaped = "u_shaped"
    w_shaped = "w_shaped"
    time_decay = "time_decay"
    markov = "markov"
    shapley = "shapley"


class Conversion(str, Enum):
    opportunity = "opportunity"
    pipeline = "pipeline"
    revenue = "revenue"


class Grouping(str, Enum):
    channel = "channel"
    campaign = "campaign"


HELP = (
    "Share the company's conversions among the channels (or campaigns) that led to them, by one "
    "attribution model.\n\n"
    "Without --paths: the store's touches, each in the journey of the first conversion after it "
    "(linked through the opportunity, its lead, contact or account). --conversion opportunity counts new "
    "opportunities (worth 1 each), pipeline their amount, revenue the amount of won deals (journeys run to "
    "the close). With cost from campaigns.cost and ROI.\n\n"
    "With --paths FILE: aggregated journeys, 'path;total_conversions;total_conversion_value;total_null' "
    "with paths written 'a > b > c' (ChannelAttribution's layout), so results compare with that package.\n\n"
    "Models: first_touch, last_touch, linear, u_shaped (40/20/40), w_shaped (30/30/30 + 10), time_decay "
    "(--half-life), markov (removal effect, solved exactly), shapley (coalitions of channels). Every model "
    "shares out the same total. See docs/attribution.md."
)


def register(app: typer.Typer) -> None:
    app.command("attribution", help=HELP)(attribution)


def attribution(
    ctx: typer.Context,
    model: Annotated[ModelName, typer.Option("--model", help="The attribution model.", case_sensitive=False)],
    paths: Annotated[Optional[Path], typer.Option("--paths", help="Read journeys from this file (path;total_conversions;total_conversion_value;total_null) instead of the store.")] = None,
    conversion: Annotated[Optional[Conversion], typer.Option("--conversion", help="What a journey converts to: opportunity (default; worth 1), pipeline (the opportunity's amount) or revenue (the won amount). Store only.")] = None,
    by: Annotated[Optional[Grouping], typer.Option("--by", help="channel (default) or campaign. Store only.")] = None,
    types: Annotated[Optional[str], typer.Option("--type", help="Opportunity types that count, comma-separated (default: every type but renewal). Store only.")] = None,
    half_life: Annotated[float, typer.Option("--half-life", help="time_decay: days after which a touch's weight halves.")] = 7.0,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    from revops.engines import attribution as engine
    from revops.engines.attribution.report import MONEY

    if not half_life > 0:
        raise typer.BadParameter(f"{half_life} is not a positive number of days", param_hint="--half-life")
    if paths is not None:
        store_only = [name for name, given in (("--conversion", conversion), ("--by", by), ("--type", types)) if given]
        if store_only:
            raise typer.BadParameter(f"{', '.join(store_only)} read(s) the store; a paths file already says what "
                                     "converted and names its own channels", param_hint="--paths")
        journeys = engine.read_paths(paths)
        credit = engine.attribute(journeys, model.value, half_life_days=half_life)
        rows = engine.rows(credit)
        _summary(credit, journeys, f"{paths}", model.value, None)
        _print(rows, fmt, f"{model.value} attribution of {paths}", money_value=False)
        return
    request = engine.JourneyRequest(conversion=(conversion or Conversion.opportunity).value,
                                    by=(by or Grouping.channel).value,
                                    opportunity_types=comma_list(types))
    app = app_context(ctx)
    revenue_model = app.model()
    with app.analytics() as con:
        stored = engine.load_journeys(con, revenue_model, request)
    credit = engine.attribute(stored.journeys, model.value, half_life_days=half_life)
    rows = engine.rows(credit, stored)
    _summary(credit, stored.journeys, "the store", model.value, stored)
    _print(rows, fmt, f"{model.value} attribution of {request.conversion} by {request.by}",
           money_value=request.conversion in MONEY)


def _summary(credit: Any, journeys: Any, source: str, model: str, stored: Any) -> None:
    """What was attributed, on stderr (stdout holds only the rows)."""
    worth = _worth(stored)
    line = (f"{model}: {journeys.total_conversions:,.0f} conversions worth {worth(journeys.total_value)} from "
            f"{journeys.total_journeys:,.0f} journeys ({journeys.count:,} rows) in {source}")
    if credit.conversion_probability is not None:
        line += f"; P(conversion) {credit.conversion_probability:.4f}"
    stderr.print(line, highlight=False, soft_wrap=True)
    if stored is not None and stored.conversions_without_touches:
        stderr.print(f"{stored.conversions_without_touches:,.0f} conversion(s) worth "
                     f"{worth(stored.value_without_touches)} had no touch of their own before them and are not "
                     "attributed", highlight=False, soft_wrap=True)
    if stored is None and model == "time_decay":
        stderr.print("a paths file has no timestamps: each step back from the conversion counts as one day",
                     highlight=False, soft_wrap=True)
    if stored is None and model == "w_shaped":
        stderr.print("a paths file has no lead or opportunity creation markers: the first touch is read as the "
                     "lead's creation, the last as the opportunity's", highlight=False, soft_wrap=True)


def _worth(stored: Any):
    """How a conversion value reads: money (whole units, as every amount in the tables) for the
    store's pipeline and revenue, a number with two decimals otherwise."""
    from revops.engines.attribution.report import MONEY

    money = stored is not None and stored.request.conversion in MONEY
    return (lambda v: f"{v:,.0f}") if money else (lambda v: f"{v:,.2f}")


MONEY_COLUMNS = ("cost", "cost_per_conversion")
"""Columns in the company currency: whole units, like every amount the tables show."""


def _print(rows: list[dict[str, Any]], fmt: OutputFormat, title: str, *, money_value: bool) -> None:
    """The rows; in a table, money in whole units (``value`` too when it is an amount: pipeline
    or revenue), conversions to two decimals (a model gives a channel a share of one)."""
    if fmt is not OutputFormat.table:
        emit(rows, fmt)
        return
    shown = [{k: _cell(k, v, money_value) for k, v in r.items()} for r in rows]
    emit(shown, fmt, title=title)


def _cell(column: str, value: Any, money_value: bool) -> Any:
    if value is None or not isinstance(value, (float, int)) or isinstance(value, bool):
        return value
    if column == "removal_effect":
        return f"{value:.1%}"
    if column == "roi":
        return f"{value:+.2f}"
    if column in MONEY_COLUMNS or (column == "value" and money_value):
        return f"{value:,.0f}"
    return f"{value:,.2f}"
