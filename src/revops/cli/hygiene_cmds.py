"""`revops hygiene`: the model's hygiene rules over every deal — findings by deal, owner and
severity, the deals-at-risk headline, a data-quality score per rep and completeness per field
and stage.

    revops hygiene                        # the report, for people
    revops hygiene --format json          # every finding: opportunity_id, owner_id, rule, severity, detail
    revops hygiene reps | completeness | rules    # the parts of the report, as rows
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, comma_list, emit

hygiene_app = typer.Typer(help="Pipeline hygiene: findings by deal, owner and severity; data quality per rep.",
                          invoke_without_command=True, add_completion=False)

AsOfOption = Annotated[Optional[str], typer.Option(
    "--as-of", help="Check as of this moment, YYYY-MM-DD[THH:MM] (UTC; a day alone means its end, as in metrics "
                    "and the forecast): today() and every age count from it, "
                    "history and activities after it are not seen, and each deal's stage, amount, close date, "
                    "forecast category and owner are taken from its history then. Default: now, deals as they are.")]
OwnerOption = Annotated[Optional[str], typer.Option("--owner", help="Only deals of these owners (user ids, comma-separated).")]
RuleOption = Annotated[Optional[str], typer.Option("--rule", help="Only these rules (keys, comma-separated).")]
SeverityOption = Annotated[Optional[str], typer.Option("--severity", help="Only rules of these severities: critical, warning, info (comma-separated).")]

REP_COLUMNS = ["owner_id", "name", "open_deals", "open_amount", "critical", "warning", "info", "clean_deals",
               "data_quality_score", "completeness"]
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
SHOWN_DEALS = 25
SHOWN_REPS = 15


def register(app: typer.Typer) -> None:
    app.add_typer(hygiene_app, name="hygiene")


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text.strip())
        return True
    except ValueError:
        return False


def _report(ctx: typer.Context, as_of: str | None, owner: str | None, rule: str | None,
            severity: str | None) -> tuple[Any, Any, dict[str, str]]:
    """The hygiene report the options ask for, the model, and user names by id."""
    from revops.engines.deals.hygiene import HygieneRequest, check_hygiene
    from revops.errors import DealError
    from revops.moments import parse_moment

    app = app_context(ctx)
    model = app.model()
    moment = parse_moment(as_of, "--as-of", DealError) if as_of else None
    if moment is not None and as_of is not None and _is_day(as_of):
        moment += timedelta(days=1)  # a day means its end, as in metrics, pipeline flow and the forecast
    request = HygieneRequest(as_of=moment, rules=comma_list(rule), owners=comma_list(owner),
                             severities=comma_list(severity))
    with app.existing_store(read_only=True) as store:
        store.con.execute("SET enable_progress_bar = false")  # stdout holds the rows; a few seconds at most
        report = check_hygiene(store.ibis, model, request)
        users = store.con.execute("SELECT user_id, name FROM users WHERE name IS NOT NULL").fetchall()
    return report, model, dict(users)


@hygiene_app.callback()
def hygiene(
    ctx: typer.Context,
    as_of: AsOfOption = None, owner: OwnerOption = None, rule: RuleOption = None, severity: SeverityOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Run the hygiene rules of revops.yaml over every deal. With --format json or csv: one row per
    finding (opportunity_id, owner_id, rule, severity, detail, stage, amount), most severe first.
    As a table: the deals-at-risk headline, each rule's count, the data-quality score per rep,
    completeness per field and stage, and the deals to fix first."""
    if ctx.invoked_subcommand is not None:
        return
    from revops.engines.deals.hygiene import FINDING_COLUMNS
    from revops.engines.deals.scorecard import completeness, headline, rep_scores

    report, model, names = _report(ctx, as_of, owner, rule, severity)
    if fmt is not OutputFormat.table:
        emit(report.findings, fmt, columns=list(FINDING_COLUMNS))
        return
    _print_report(report, headline(report, model), rep_scores(report, model, names),
                  completeness(report, model), model, names)


@hygiene_app.command("reps")
def reps(ctx: typer.Context, as_of: AsOfOption = None, owner: OwnerOption = None, rule: RuleOption = None,
         severity: SeverityOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Data quality per rep: open deals, findings by severity, the share of open deals with no
    critical or warning finding (data_quality_score, 0-100) and the completeness of the fields
    their stages require; the lowest score first."""
    from revops.engines.deals.scorecard import rep_scores

    report, model, names = _report(ctx, as_of, owner, rule, severity)
    emit(rep_scores(report, model, names), fmt, columns=REP_COLUMNS,
         title=f"Data quality by rep at {report.as_of:%Y-%m-%d %H:%M} UTC")


@hygiene_app.command("completeness")
def completeness_cmd(ctx: typer.Context, as_of: AsOfOption = None, owner: OwnerOption = None,
                     fmt: FormatOption = OutputFormat.table) -> None:
    """Completeness per field and stage: of the deals in each stage, how many have each field some
    stage requires filled; `required` says whether that stage requires it."""
    from revops.engines.deals.scorecard import completeness

    report, model, _ = _report(ctx, as_of, owner, None, None)
    emit(completeness(report, model), fmt, columns=["stage", "field", "required", "deals", "filled", "completeness"],
         title=f"Completeness by field and stage at {report.as_of:%Y-%m-%d %H:%M} UTC")


@hygiene_app.command("rules")
def rules_cmd(ctx: typer.Context, as_of: AsOfOption = None, owner: OwnerOption = None, rule: RuleOption = None,
              severity: SeverityOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """The headline and each rule: checked or why not, records flagged, open deals it could not judge.
    JSON: {"as_of", "headline": {"deals", "amount", "rules", "checked", "text"}, "rules": [...]}."""
    from revops.engines.deals.scorecard import headline

    report, model, _ = _report(ctx, as_of, owner, rule, severity)
    top = headline(report, model)
    if fmt is OutputFormat.json:
        emit({"as_of": report.as_of, "headline": top.row(), "rules": [s.row() for s in report.rules]}, fmt)
        return
    if fmt is OutputFormat.table:
        Console(highlight=False).print(f"[bold]{top.text}[/]")
    emit([s.row() for s in report.rules], fmt,
         columns=["rule", "label", "severity", "table", "checked", "flagged", "unknown", "note"])


# -- the report for people ------------------------------------------------------------------
def _print_report(report: Any, top: Any, reps_rows: list[dict[str, Any]], complete: list[dict[str, Any]],
                  model: Any, names: dict[str, str]) -> None:
    from revops.engines.deals.hygiene import SEVERITIES
    from revops.engines.deals.scorecard import money

    console = Console(highlight=False)
    currency = model.company.currency
    deals = report.deals
    open_count = sum(1 for v in deals["is_open"].to_pylist() if v)
    console.print(f"Pipeline hygiene at {report.as_of:%Y-%m-%d %H:%M} UTC: {deals.num_rows:,} deals "
                  f"({open_count:,} open), {len(report.findings):,} findings")
    console.print(f"[bold]{top.text}[/]\n")

    rules = Table(title="Rules", title_justify="left")
    for c in ("rule", "severity", "flagged", "note"):
        rules.add_column(c, justify="right" if c == "flagged" else "left", overflow="fold")
    for s in report.rules:
        rules.add_row(s.key, _severity(s.severity), f"{s.flagged:,}" if s.checked else "-", s.note or "")
    console.print(rules)

    shown = reps_rows[:SHOWN_REPS]
    if shown:
        table = Table(title=f"Data quality by rep, lowest score first ({len(shown)} of {len(reps_rows)}; "
                            "`revops hygiene reps` lists all)", title_justify="left")
        table.add_column("rep", no_wrap=True)
        for c in ("open", "amount", "crit.", "warn.", "info", "score", "complete"):
            table.add_column(c, justify="right", no_wrap=True, min_width=7 if c == "amount" else None)
        for r in shown:
            owner = r["owner_id"]
            table.add_row(_who(owner, names), f"{r['open_deals']:,}", money(r["open_amount"], currency),
                          str(r["critical"]), str(r["warning"]), str(r["info"]),
                          f"{r['data_quality_score']:.0f}", _pct(r["completeness"]))
        console.print(table)

    if complete:
        stages = model.pipeline.stages
        table = Table(title="Completeness by field and stage: % of deals with the field (* required in the stage)",
                      title_justify="left")
        table.add_column("field", no_wrap=True)
        for s in stages:
            table.add_column(s.label, justify="right", overflow="fold")
        cells = {(r["stage"], r["field"]): r for r in complete}
        for f in report.required_fields:
            row = [f]
            for s in stages:
                c = cells[(s.key, f)]
                text = _pct(c["completeness"]) + ("*" if c["required"] else " ")
                low = c["required"] and c["completeness"] is not None and c["completeness"] < 90
                row.append(f"[red]{text}[/]" if low else text if c["required"] else f"[dim]{text}[/]")
            table.add_row(*row)
        console.print(table)

    by_deal: dict[Any, list[dict[str, Any]]] = {}
    for f in report.findings:
        by_deal.setdefault(f["opportunity_id"], []).append(f)
    if by_deal:
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        ordered = sorted(by_deal.values(), key=lambda fs: (min(rank[f["severity"]] for f in fs), -len(fs),
                                                          -(fs[0]["amount"] or 0)))
        table = Table(title=f"Deals to fix first ({min(SHOWN_DEALS, len(ordered))} of {len(ordered):,} deals with "
                            "findings; --format json lists every finding)", title_justify="left", show_lines=True)
        table.add_column("deal", no_wrap=True)
        table.add_column("findings", overflow="fold")
        for fs in ordered[:SHOWN_DEALS]:
            first = fs[0]
            amount = money(first["amount"], currency) if first["amount"] is not None else "no amount"
            deal = (f"{first['opportunity_id']}\n{_who(first['owner_id'], names)}\n"
                    f"{first['stage'] or '(no stage)'} · {amount}")
            table.add_row(deal, "\n".join(f"{_severity(f['severity'])} {f['rule']}: {_phrases(f['detail'])}"
                                           for f in fs))
        console.print(table)


def _who(owner: Any, names: dict[str, str]) -> str:
    if owner is None:
        return "(no owner)"
    return names.get(owner) or str(owner)


def _phrases(detail: str) -> str:
    """A finding's detail without its rule's label (the table shows the rule's key)."""
    return detail.split(": ", 1)[1] if ": " in detail else detail


def _severity(severity: str) -> str:
    return f"[{SEVERITY_STYLE.get(severity, '')}]{severity}[/]"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"
