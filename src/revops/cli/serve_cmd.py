"""`revops serve`: the REST API — real-time lead intake (`POST /v1/leads`) and reads.

    revops [--db PATH] [--model PATH] serve [--host 127.0.0.1] [--port 8000]

The server owns the store while it runs (DuckDB lets one process write a file): other
`revops` commands on the same file wait until it stops. REVOPS_API_TOKEN set: every /v1
request needs `Authorization: Bearer <token>`. Ctrl-C (or SIGTERM) stops taking requests,
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
) -> None:
    """Serve the REST API: POST /v1/leads scores, routes and stores a lead in one call."""
    import uvicorn

    from revops.api import ApiSettings, create_app
    from revops.api.services import ApiServices

    app = app_context(ctx)
    settings = ApiSettings.from_env(db=app.db, model_path=app.model_path, host=host, port=port)
    services = ApiServices.open(settings)  # a locked store or a bad model is reported here, before listening
    if not services.intake.desk.router.state.reps:
        stderr.print(f"[yellow]warning:[/] no users in {settings.db}: every lead will go to a queue or to nurture; "
                     "load them with `revops ingest users FILE` (with the server stopped)", highlight=False,
                     soft_wrap=True)
    token = "token required (REVOPS_API_TOKEN)" if settings.token else "no token (set REVOPS_API_TOKEN to require one)"
    stderr.print(f"revops serving {settings.db} on {settings.base_url} ({token}); "
                 f"model {settings.model_path or 'built-in default'}; Ctrl-C stops", highlight=False, soft_wrap=True)
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
