"""``ApiServices``: what the server holds while it runs — the store, the revenue model, the
lead intake (the store's single writer) and read access for GET requests.

    services = ApiServices.open(settings)       # StoreError / ModelError when it cannot start
    ...
    services.close()                            # drains the intake, then closes the store

Reads never touch the writer's DuckDB connection: each request gets its own cursor
(``reader()``), which sees what has been committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from revops.access import KeyRing
from revops.api.cache import ResultCache
from revops.api.daily import DailySchedule, parse_daily_at
from revops.api.shared_metrics import SharedMetrics
from revops.api.intake import LeadIntake
from revops.api.settings import ApiSettings
from revops.store import Store
from revops.store.store import utcnow


class StoreReader:
    """A read-only view of the store for one request, on its own DuckDB cursor."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def has_table(self, name: str) -> bool:
        return bool(self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                                     "AND table_schema = 'main'", [name]).fetchall()[0][0])


class ApiServices:
    def __init__(self, settings: ApiSettings, store: Store, model: Any, intake: LeadIntake,
                 workflows: Any = None) -> None:
        self.settings = settings
        self.workflows = workflows
        """The workflow engine (revops.orchestration.Orchestrator) working in its own thread."""
        self.store = store
        self.model = model
        self.intake = intake
        self.started_at: datetime = utcnow()
        self._reads = store.con.cursor()  # the root of every request's cursor, apart from the writer's
        self._reads_lock = threading.Lock()
        self.keys = KeyRing.load(self._reads.cursor(), settings.token)
        self.cache = ResultCache()
        self.metrics = SharedMetrics(self._cursor, model)
        self.daily = DailySchedule(self, parse_daily_at(settings.daily_at) if settings.daily_at else None,
                                   clock=utcnow)

    @classmethod
    def open(cls, settings: ApiSettings, *, model: Any = None,
             clock: Callable[[], datetime] = utcnow) -> ApiServices:
        """Open the store (migrating it), load the model (or use ``model``), record the model
        version in the store's definition history, and start the intake. ``clock`` gives the
        time leads are taken at (tests fix it)."""
        from revops.model import load_model
        from revops.model.history import record_model_version

        model = model if model is not None else load_model(settings.model_path)
        store = Store(settings.db)
        try:
            store.con.execute(f"SET threads = {int(settings.db_threads)}")
            record_model_version(store, model, f"{settings.model_path or 'built-in default'} via revops serve")
            intake = LeadIntake.start(store, model, clock=clock, max_batch=settings.max_batch,
                                      max_pending=settings.max_pending,
                                      commit_interval_ms=settings.commit_interval_ms,
                                      idle_checkpoint_ms=settings.idle_checkpoint_ms,
                                      log_backstop=settings.log_backstop)
            workflows = None
            if settings.workflows and any(w.enabled for w in model.workflows):
                from revops.orchestration.engine import Orchestrator

                workflows = Orchestrator(store, model, clock=clock, router=intake.desk.router).start()
                intake.after_commit = workflows.notify
        except BaseException:
            store.close()
            raise
        return cls(settings, store, model, intake, workflows)

    @contextmanager
    def reader(self) -> Iterator[StoreReader]:
        with self._reads_lock:
            con = self._reads.cursor()
        try:
            yield StoreReader(con)
        finally:
            con.close()

    def _cursor(self) -> Any:
        with self._reads_lock:
            return self._reads.cursor()

    def metric_session(self, day: Any) -> Any:
        """The server's shared MetricSession for ``day`` at the store's current generation
        (``shared_metrics``): facts built once per generation, computes serialised."""
        return self.metrics.session(self.generation, day)

    @contextmanager
    def analytics(self) -> Iterator[Any]:
        """An Ibis backend on a cursor of its own, for the metrics layer and the engines (they
        see what the intake has committed)."""
        import ibis

        with self._reads_lock:
            con = self._reads.cursor()
        try:
            yield ibis.duckdb.from_connection(con)
        finally:
            con.close()

    @property
    def generation(self) -> int:
        """Changes whenever the intake commits: cached answers of an older generation are stale."""
        return self.intake.stats.batches + self.daily.runs + (self.workflows.writes if self.workflows else 0)

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``'s answer for ``key`` at the store's current generation, computed once."""
        return self.cache.get((self.generation, key), compute)

    def close(self) -> None:
        self.daily.close()
        self.metrics.close()
        if self.workflows is not None:
            self.workflows.close()
        self.intake.close()
        self._reads.close()
        self.store.close()
