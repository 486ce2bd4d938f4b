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
    arr: Annotated[Optional[float], typer.Option("--arr", min=0, help="The company's ARR, when the store has no subscriptions to measure it (the CRM decision weighs it).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The data audit (sources, quality, definitions, currency), the process audit (what is
    written and how well it is followed) and the technology audit (redundancy, adoption, the
    sunset list, integrations, cost, and the CRM decision: complete, migrate or downshift)."""
    from revops.engines.audit import load_inventory, run_audit
    from revops.engines.audit.html import render
    from revops.moments import parse_moment

    from revops.engines.audit import InventoryError

    if out is not None and out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise InventoryError(f"--out {out}: the audit is written as .html or .pdf")
    app = app_context(ctx)
    inventory = load_inventory(tools) if tools is not None else None  # a bad file fails before the work
    model = app.model()
    with app.existing_store(read_only=True) as store:
        store.con.execute("SET enable_progress_bar = false")
        result = run_audit(store, model, tools=inventory, as_of=parse_moment(as_of, "--as-of"), arr=arr,
                           own_model=app.model_path is not None)
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
    data, process = result["data"], result["process"]
    quality = data["quality"]["score"]
    meeting = process["followed"]["meeting_stage_requirements"]
    current = data["current"]
    rows = [{"audit": "data", "finding": ("quality n/a" if quality is None else f"quality {quality:.1f}/100")
                                         + f"; {data['definitions']['records_off_definition']:,} records off the "
                                         "model's definitions; " + ("current" if current["current"] else
                                                                     "NOT current")},
            {"audit": "process", "finding": ("score n/a" if process["score"] is None else
                                             f"score {process['score']:.1f}/100")
                                            + ("" if meeting is None else
                                               f"; {meeting:.0%} of open deals meet their stage's requirements")}]
    if tech.get("inventory"):
        names = ", ".join(t["name"] for t in tech["sunset"]) or "none"
        rows.append({"audit": "technology", "finding": f"{tech['tool_count']} tools; sunset: {names}; CRM decision: "
                                                       f"{tech['crm_decision']['decision']}"})
        rows += [{"audit": "CRM decision", "finding": r} for r in tech["crm_decision"]["reasons"]
                 + tech["crm_decision"].get("notes", [])]
    else:
        rows.append({"audit": "technology", "finding": tech["note"]})
    rows += [{"audit": "to fix", "finding": g} for g in result["gaps"]]
    emit(rows, fmt, columns=["audit", "finding"], title=f"RevOps audit as of {result['as_of']}")
