"""`revops sync hubspot|salesforce`: pull what changed in the CRM into the store (docs/connectors.md).

    revops sync hubspot                          # since the stored cursor (the first sync: everything)
    revops sync salesforce --since 2026-01-01    # since a date, whatever the cursor says
    revops sync hubspot --format json            # per object: pulled, stored, quarantined, cursors

Credentials come from the environment: HUBSPOT_ACCESS_TOKEN; SALESFORCE_INSTANCE_URL and
SALESFORCE_ACCESS_TOKEN (or SALESFORCE_USERNAME, SALESFORCE_PASSWORD, SALESFORCE_SECURITY_TOKEN).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr

COLUMNS = ["object", "table", "pulled", "stored", "quarantined", "cursor_before", "cursor_after"]


class Crm(str, Enum):
    hubspot = "hubspot"
    salesforce = "salesforce"


def register(app: typer.Typer) -> None:
    app.command("sync")(sync)


class SyncBar:
    """A Rich bar per CRM object on stderr while pulling (silent when stderr is no terminal)."""

    def __init__(self) -> None:
        console = Console(stderr=True)
        self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=console, disable=not console.is_terminal)
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> SyncBar:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def _task(self, obj: str) -> Any:
        if obj not in self._tasks:
            self._tasks[obj] = self._progress.add_task(f"{obj}: pulling", total=None)
        return self._tasks[obj]

    def pulled(self, obj: str, count: int, total: int | None) -> None:
        self._progress.update(self._task(obj), completed=count, total=max(total or 0, count))

    def storing(self, obj: str, table: str) -> None:
        self._progress.update(self._task(obj), description=f"{obj}: storing into {table}")

    def note(self, message: str) -> None:
        self._progress.console.print(f"[yellow]retry:[/] {message}", highlight=False, soft_wrap=True)


def sync(
    ctx: typer.Context,
    system: Annotated[Crm, typer.Argument(help="The CRM: hubspot or salesforce.")],
    since: Annotated[Optional[str], typer.Option("--since", help="Pull records modified at or after this moment (YYYY-MM-DD or an ISO time, UTC) instead of since the stored cursor.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Pull the records the CRM changed since the last sync (or --since) into the store: each
    stored or quarantined with its reason; the cursor moves once they are stored."""
    from revops.connectors import crm
    from revops.connectors.retry import RetryPolicy
    from revops.connectors.sync import run_sync
    from revops.moments import parse_moment

    since_at = parse_moment(since, "--since") if since else None
    app = app_context(ctx)
    model = app.model()
    with SyncBar() as bar:
        # the credentials are checked before the store is opened (or made)
        connector = crm(system.value, policy=RetryPolicy(on_retry=bar.note))
        with app.store() as store:
            report = run_sync(store, connector, since=since_at, model=model, progress=bar)
            app.record_model(store, model)
    if fmt is OutputFormat.json:
        emit(report.to_dict(), fmt)
        return
    emit([run.to_dict() for run in report.objects], fmt, columns=COLUMNS,
         title=f"{system.value} sync {report.sync_id}" if fmt is OutputFormat.table else None)
    if fmt is OutputFormat.table:
        for run in report.objects:
            if run.quarantined:
                stderr.print(f"{run.quarantined} {run.object} record(s) quarantined: see "
                             f"`revops quarantine --table {run.table}`", highlight=False)
