"""``PageContext``: what a page builder gets — the server's services, the ``View``, one
``Figures`` (one ``MetricSession``) on an analytics cursor of its own, and the engines'
answers shared across viewers.

Engine answers (the hygiene report, the SLA breach queue, health scores, the forecast) are
computed once per store generation for the whole company and cut down to the viewer's owners
afterwards (``PageContext.shared``). The forecast's Monte Carlo takes seconds on a big store:
it is kept as the last good answer and refreshed in the background after a write
(``LastGood``), and computed when the server starts (``warm_up``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from revops.dashboard.figures import Figures
from revops.dashboard.view import View

DAY_SQL = """
SELECT max(d) FROM (
  SELECT max(created_at) AS d FROM leads UNION ALL SELECT max(created_at) FROM opportunities
  UNION ALL SELECT max(changed_at) FROM opportunity_history UNION ALL SELECT max(updated_at) FROM opportunities)"""


def data_day(services: Any) -> date:
    """The data's own latest day (never after today, UTC): what pages show the numbers as of,
    so a store loaded last week (or the demo, which ends at its own date) shows its current
    numbers."""

    def compute() -> date:
        today = datetime.now(timezone.utc).date()
        with services.reader() as reader:
            try:
                found = reader.query(DAY_SQL)[0]["max(d)"]
            except Exception:  # an empty store without the tables' rows: today
                found = None
        if found is None:
            return today
        day = found.date() if isinstance(found, datetime) else found
        return min(day, today)

    return services.cached(("dashboard", "day"), compute)


class LastGood:
    """Answers kept across store generations: a stale one is served while a fresh one is
    computed in the background (one at a time), so a write does not make the next page wait
    seconds. The ``size`` most recently asked keys are kept."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._values: OrderedDict[Any, tuple[int, Any]] = OrderedDict()
        self._running: set[Any] = set()
        self._lock = threading.Lock()
        self._one_at_a_time = threading.Semaphore(1)

    def get(self, services: Any, key: Any, compute: Callable[[], Any]) -> tuple[Any, bool]:
        """(answer, fresh): fresh is False when the answer is of an older generation."""
        generation = services.generation
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
        if found is not None and found[0] == generation:
            return found[1], True
        if found is not None:
            self._refresh(services, key, compute)
            return found[1], False
        value = services.cached(("dashboard", "slow", key), compute)
        self._keep(key, generation, value)
        return value, True

    def _keep(self, key: Any, generation: int, value: Any) -> None:
        with self._lock:
            old = self._values.get(key)
            if old is None or old[0] <= generation:
                self._values[key] = (generation, value)
                self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def _refresh(self, services: Any, key: Any, compute: Callable[[], Any]) -> None:
        with self._lock:
            if key in self._running:
                return
            self._running.add(key)

        def run() -> None:
            try:
                with self._one_at_a_time:
                    if BACKGROUND.stopping.is_set():  # the server is stopping: leave the store alone
                        return
                    generation = services.generation
                    self._keep(key, generation, services.cached(("dashboard", "slow", key), compute))
            except Exception:  # the next page asks again
                pass
            finally:
                with self._lock:
                    self._running.discard(key)

        BACKGROUND.start(run, "dashboard-refresh")


class Background:
    """The dashboard's background threads (warm-up, re-renders): the server waits for them
    before it closes the store, so none is left computing on a closed connection."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self, target: Callable[..., Any], name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def stop(self, timeout: float = 120.0) -> None:
        """Ask them to stop at their next step and wait for them (a query running finishes)."""
        self.stopping.set()
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(timeout)

    def reset(self) -> None:
        self.stopping.clear()


BACKGROUND = Background()
"""One per process: tests start and stop many servers in one process, one after another."""


@dataclass
class DashboardState:
    """What the dashboard keeps on ``app.state.dashboard`` while the server runs."""

    slow: LastGood = field(default_factory=LastGood)
    """Engine answers that take seconds (the forecast)."""
    pages: LastGood = field(default_factory=lambda: LastGood(size=256))
    """Rendered page bodies: after a write the last one is served while it is rendered again."""
    warm_seconds: float | None = None
    """How long the start-up warm-up took; None while it runs."""


@dataclass
class PageContext:
    services: Any
    view: View
    con: Any
    """An Ibis DuckDB backend on the page's own cursor."""
    figures: Figures
    state: DashboardState

    @property
    def model(self) -> Any:
        return self.services.model

    @property
    def day(self) -> date:
        return self.view.day

    def sql(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def shared(self, name: str, compute: Callable[[], Any]) -> Any:
        """An engine's answer for the whole company on the view's day, once per generation."""
        return self.services.cached(("dashboard", "engine", name, self.day), compute)

    def user_names(self) -> dict[str, str]:
        return self.shared("user_names", lambda: {r["user_id"]: r["name"] for r in self.sql(
            "SELECT user_id, name FROM users WHERE user_id IS NOT NULL")})

    def owner_label(self, owner_id: Any) -> str:
        if owner_id is None:
            return "–"
        name = self.user_names().get(owner_id)
        return f"{name} ({owner_id})" if name else str(owner_id)

    def in_scope(self, owner_id: Any) -> bool:
        owners = self.view.owners
        return owners is None or owner_id in owners
