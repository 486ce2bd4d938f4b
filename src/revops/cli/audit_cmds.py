"""`revops audit`: the RevOps audit — data, process and technology — as JSON and as an HTML
page that prints (docs/audit.md).

    revops audit --format json                          # {"data", "process", "technology", "gaps"}
    revops audit --tools tools.csv --out audit.html     # with the tool inventory; the page too
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)


def audit(
    ctx: typer.Context,
    tools: Annotated[Optional[Path], typer.Option("--tools", help="The tool inventory, CSV or YAML: name, category, owner, annual_cost, integrated_with_crm, seats, daily_active_users [, capabilities, maintenance_hours_per_month].")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Also write the audit as one HTML page (FILE.html; FILE.pdf prints it with headless Chromium).")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Audit as of this moment (default: now).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The data audit (sources, quality, definitions, currency), the process audit (what is
    written and how well it is followed) and the technology audit (redundancy, adoption, the
    sunset list, integrations, cost, and the CRM decision: complete, migrate or downshift)."""
    from revops.engines.audit import load_inventory, run_audit
    from revops.engines.audit.html import render
    from revops.moments import parse_moment

    app = app_context(ctx)
    inventory = load_inventory(tools) if tools is not None else None  # a bad file fails before the work
    model = app.model()
    with app.existing_store(read_only=True) as store:
        store.con.execute("SET enable_progress_bar = false")
        result = run_audit(store, model, tools=inventory, as_of=parse_moment(as_of, "--as-of"))
    if out is not None:
        html = render(result, model)
        if out.suffix.lower() == ".pdf":
            from revops.reports.pdf import write_pdf

            write_pdf(html, out)
        else:
            from revops.reports import write_report

            write_report(html, out)
        stderr.print(f"wrote {out}", highlight=False)
    if fmt is OutputFormat.json:
        emit(result, fmt)
        return
    tech = result["technology"]
    rows = [{"audit": "data", "finding": f"quality {result['data']['quality']['score']:.1f}/100; "
                                         f"{result['data']['definitions']['records_off_definition']:,} records off "
                                         "the model's definitions"},
            {"audit": "process", "finding": f"score {result['process']['score']:.1f}/100; "
                                            f"{result['process']['followed']['meeting_stage_requirements']:.0%} of open "
                                            "deals meet their stage's requirements"}]
    if tech.get("inventory"):
        rows.append({"audit": "technology", "finding": f"{tech['tool_count']} tools, {len(tech['sunset'])} to "
                                                       f"sunset; CRM decision: {tech['crm_decision']['decision']}"})
    rows += [{"audit": "to fix", "finding": g} for g in result["gaps"]]
    emit(rows, fmt, columns=["audit", "finding"], title=f"RevOps audit as of {result['as_of']}")
