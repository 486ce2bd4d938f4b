"""`revops report`: the weekly sales dashboard, the monthly GTM review and the quarterly board
metrics as self-contained HTML files that print (docs/reports.md).

    revops report weekly  --out weekly.html [--as-of DAY] [--team T] [--segment S]
    revops report monthly --out gtm.html [--period 2026-04] [--as-of DAY] [--team T] [--segment S]
    revops report board   --out board.html [--period 2026-Q1] [--as-of DAY] [--segment S]
    revops report board   --out board.pdf                # printed by headless Chromium
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import stderr


def register(app: typer.Typer) -> None:
    app.command("report", help=REPORT_HELP)(report)


REPORT_HELP = (
    "Write a report as one self-contained HTML file (inline CSS and SVG charts, no script, no external asset) "
    "that prints on A4 or Letter: weekly (pipeline created, coverage, forecast, the week's flow, deals at risk, "
    "win rate and cycle by team), monthly (funnel, speed to lead and SLAs, pipeline by source, bookings vs quota, "
    "MRR bridge, NRR/GRR, CAC and payback, churn and health), board (ARR and its bridge, retention, unit "
    "economics, bookings vs plan, next quarter's coverage, forecast accuracy, 8-quarter trends). Every number "
    "shows its definition on hover; the file ends with the definitions. See docs/reports.md."
)


def report(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="weekly, monthly or board.", metavar="REPORT")],
    out: Annotated[Path, typer.Option("--out", help="The file to write (replaced atomically): FILE.html, or FILE.pdf printed by headless Chromium.")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="As the data stood at the end of this day, YYYY-MM-DD (default: today).")] = None,
    period: Annotated[Optional[str], typer.Option("--period", help="monthly: a month, 2026-04 (default: the last month ended by the as-of day); board: a fiscal quarter, 2026-Q1 (default: the last quarter ended by it). weekly: the week ending on the as-of day.")] = None,
    team: Annotated[Optional[str], typer.Option("--team", help="Only this team's numbers (users.team) where the metric or engine can tell.")] = None,
    segment: Annotated[Optional[str], typer.Option("--segment", help="Only this segment's numbers where the metric can tell.")] = None,
) -> None:
    from revops.moments import parse_moment
    from revops.reports import REPORTS, ReportError, ReportRequest, build_report, write_report

    if name not in REPORTS:
        raise ReportError(f"unknown report {name!r}; the reports are {', '.join(REPORTS)}")
    day: date = parse_moment(as_of, "--as-of", ReportError).date()  # none given: today (UTC)
    app = app_context(ctx)
    model = app.model()
    request = ReportRequest(as_of=day, period=period, team=team, segment=segment)
    with app.existing_store(read_only=True) as store:
        store.con.execute("SET enable_progress_bar = false")
        html = build_report(name, store, model, request)
    if out.suffix.lower() == ".pdf":
        from revops.reports.pdf import write_pdf

        write_pdf(html, out)
    else:
        write_report(html, out)
    stderr.print(f"wrote {out} ({name} report as of {day.isoformat()})", highlight=False)
