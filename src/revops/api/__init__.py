"""The REST API of `revops serve` (FastAPI).

    settings.py   everything the server is configured with (ApiSettings)
    app.py        create_app(settings): routers, dependencies, errors, start and stop
    services.py   what the server holds while it runs: store, model, intake, readers
    deps.py       typed dependencies (IntakeDep, ReaderDep, SettingsDep…) and the token check
    errors.py     one JSON shape for every error (422 lists the failing fields)
    schemas/      request and answer models, built from the canonical tables
    routers/      one router per resource: leads, users, health
    intake/       taking leads in real time: a single writer with group commits
    reads.py      what the GET endpoints answer
"""

from revops.api.app import create_app
from revops.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
