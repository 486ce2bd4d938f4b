"""`revops serve`: the dashboard at / and the REST API under /v1 — real-time lead intake
(`POST /v1/leads`), stage moves, reads scoped by API key.

    revops [--db PATH] [--model PATH] serve [--host 127.0.0.1] [--port 8000] [--daily 06:00]

The server owns the store while it runs (DuckDB lets one process write a file): other
`revops` commands on the same file wait until it stops. Every /v1 request needs
`Authorization: Bearer <key>` (a key of `revops keys create`, or REVOPS_API_TOKEN as admin). Ctrl-C (or SIGTERM) stops taking requests,
stores what is queued and closes the store. See docs/api.md.
"""

from __future__ import annotations

import gc
from typing import Annotated, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import stderr
from revops.errors import RevopsError


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: Annotated[Optional[str], typer.Option("--host", help="Interface to listen on (default 127.0.0.1, or $REVOPS_API_HOST; 0.0.0.0 for every interface).")] = None,
    port: Annotated[Optional[int], typer.Option("--port", min=0, max=65535, help="Port (default 8000, or $REVOPS_API_PORT).")] = None,
    daily: Annotated[Optional[str], typer.Option("--daily", help="HH:MM (UTC): run `revops run daily` inside the server at that time every day (or $REVOPS_API_DAILY_AT).")] = None,
) -> None:
    """Serve the dashboard (/) and the REST API (/v1, API keys from `revops keys create`)."""
    import uvicorn

    from revops.api import ApiSettings, create_app
    from revops.api.services import ApiServices

    app = app_context(ctx)
    try:
        settings = ApiSettings.from_env(db=app.db, model_path=app.model_path, host=host, port=port, daily_at=daily)
    except ValueError as exc:
        raise RevopsError(_first_error(exc)) from None
    services = ApiServices.open(settings)  # a locked store or a bad model is reported here, before listening
    if not services.intake.desk.router.state.reps:
        stderr.print(f"[yellow]warning:[/] no users in {settings.db}: every lead will go to a queue or to nurture; "
                     "load them with `revops ingest users FILE` (with the server stopped)", highlight=False,
                     soft_wrap=True)
    if services.keys.empty:
        stderr.print("[yellow]warning:[/] no API keys: the API and the dashboard refuse everyone until you make one "
                     "with `revops keys create --role admin` (server stopped) or set REVOPS_API_TOKEN",
                     highlight=False, soft_wrap=True)
    daily_note = f"; daily run at {settings.daily_at.strip()} UTC" if settings.daily_at else ""
    stderr.print(f"revops serving {settings.db} on {settings.base_url}: dashboard at {settings.base_url}/, API at "
                 f"{settings.base_url}/v1 (keys: `revops keys`); model {settings.model_path or 'built-in default'}"
                 f"{daily_note}; Ctrl-C stops", highlight=False, soft_wrap=True)
    config = uvicorn.Config(create_app(settings, services=services), host=settings.host, port=settings.port,
                            log_level="warning", access_log=settings.access_log, lifespan="on",
                            timeout_graceful_shutdown=10)
    server = uvicorn.Server(config)
    # What is loaded now (modules, the model, the router's reps, the ids the intake remembers)
    # lives as long as the server: out of the collector's sight, a full collection stays short.
    gc.collect()
    gc.freeze()
    try:
        server.run()
    except SystemExit:
        if server.started:
            raise
        raise RevopsError(f"cannot listen on {settings.host}:{settings.port} (in use, or not an address of this "
                          "machine); pick another with --port or --host") from None
    finally:
        if not server.started:  # the port was taken: the server never served, close here
            services.close()
        gc.unfreeze()


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
    return str(exc)
