"""`revops handoffs`: the seams between Sales and Customer Success, both ways.

    revops handoffs expansion [--as-of DAY] [--dry-run]   # signals -> expansion deals / tasks, routed, SLA
    revops handoffs sales-to-cs [--since DAY]              # closed-won deals -> handoff records, kickoff SLA
    revops handoffs list [--kind expansion|sales_to_cs] [--at MOMENT] --format json
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr

handoffs_app = typer.Typer(help="Handoffs both ways: expansion signals to Sales, closed-won deals to CS.",
                           no_args_is_help=True, add_completion=False)

SIGNAL_COLUMNS = ["signal_id", "account_id", "rule", "action", "opportunity_id", "routed_to", "routed_kind",
                  "routing_reason", "reason", "sla", "sla_due_at"]
OPENED_COLUMNS = ["handoff_id", "opportunity_id", "account_id", "won_at", "sales_owner", "cs_owner",
                  "cs_owner_kind", "status", "missing_fields", "kickoff_due_at"]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Show what would be written; write nothing.")]


def register(app: typer.Typer) -> None:
    app.add_typer(handoffs_app, name="handoffs")


@handoffs_app.command("expansion")
def expansion(ctx: typer.Context,
              as_of: Annotated[Optional[str], typer.Option(
                  "--as-of", help="Evaluate as of this day (YYYY-MM-DD): usage before it is read, deals open "
                                  "then. Default: now.")] = None,
              dry_run: DryRunOption = False, fmt: FormatOption = OutputFormat.table) -> None:
    """Evaluate the expansion signals of revops.yaml (handoffs.expansion) on every customer account:
    each firing opens an expansion deal at the first open stage (or a task) for the account's owner
    (their manager or the queue when the owner is inactive), starts its SLA and is recorded with its
    reason. A rule fires once per account while its deal or task is open and within the cool-down."""
    from revops.engines.handoffs import run_expansion
    from revops.errors import RevopsError
    from revops.moments import parse_moment

    app = app_context(ctx)
    model = app.model()
    at = parse_moment(as_of, "--as-of", RevopsError)
    with app.existing_store() as store:
        run = run_expansion(store, model, at, dry_run=dry_run)
    verb = "would fire" if dry_run else "fired"
    stderr.print(f"{len(run.fired)} signals {verb} on {run.customers} customer accounts as of {run.as_of}; "
                 f"{run.held_back} held back (open or cooling down)", highlight=False)
    emit([{c: r.get(c) for c in SIGNAL_COLUMNS} for r in run.fired], fmt, columns=SIGNAL_COLUMNS)


@handoffs_app.command("sales-to-cs")
def sales_to_cs(ctx: typer.Context,
                since: Annotated[Optional[str], typer.Option(
                    "--since", help="Only deals won on or after this day (YYYY-MM-DD).")] = None,
                dry_run: DryRunOption = False, fmt: FormatOption = OutputFormat.table) -> None:
    """Open a Sales-to-CS handoff for every closed-won deal handoffs.sales_to_cs.deals names that has
    none (deals moved to closed_won with `revops deal move` have one already): the required fields
    from the deal (missing ones listed, status incomplete/complete), the CS owner (the account's CSM,
    else the CS queue) and the kickoff SLA's due time. Incomplete handoffs read their deal again."""
    from revops.engines.handoffs import run_sales_to_cs
    from revops.errors import RevopsError
    from revops.moments import parse_moment

    app = app_context(ctx)
    model = app.model()
    day = parse_moment(since, "--since", RevopsError).date() if since else None
    with app.existing_store() as store:
        run = run_sales_to_cs(store, model, day, dry_run=dry_run)
    verb = "would open" if dry_run else "opened"
    stderr.print(f"{verb} {len(run.opened)} handoffs; {len(run.refreshed)} incomplete ones changed",
                 highlight=False)
    emit([{c: r.get(c) for c in OPENED_COLUMNS} for r in run.opened], fmt, columns=OPENED_COLUMNS)


@handoffs_app.command("list")
def list_handoffs(ctx: typer.Context,
                  kind: Annotated[Optional[str], typer.Option(
                      "--kind", help="expansion or sales_to_cs (default: both).")] = None,
                  at: Annotated[Optional[str], typer.Option(
                      "--at", help="Read the SLA clocks at this moment (default: now).")] = None,
                  fmt: FormatOption = OutputFormat.table) -> None:
    """Every handoff: kind, account_id, opportunity_id, owner, status, missing_fields, reason and its
    SLA clock (sla, sla_due_at, sla_stopped_at, sla_state due/met/breached), oldest first."""
    from revops.engines.handoffs import HANDOFF_COLUMNS, handoff_rows
    from revops.errors import RevopsError
    from revops.moments import parse_moment

    if kind not in (None, "expansion", "sales_to_cs"):
        raise typer.BadParameter(f"{kind!r}: use expansion or sales_to_cs", param_hint="--kind")
    app = app_context(ctx)
    model = app.model()
    moment = parse_moment(at, "--at", RevopsError)
    with app.existing_store(read_only=True) as store:
        rows = handoff_rows(store, model, moment, kind)
    emit(rows, fmt, columns=list(HANDOFF_COLUMNS))
