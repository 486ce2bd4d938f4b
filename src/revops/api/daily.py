"""The daily run inside `revops serve --daily HH:MM`: at that time (UTC) every day, the run of
`revops run daily` on the server's own store.

The run holds the store's writer lock, so the lead intake queues what arrives meanwhile and
stores it right after (nothing is refused unless the queue fills); reads go on. A run can also
be started at once with ``POST /v1/runs/daily`` (admin, ops).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from revops.engines.routing.audit import store_lock

log = logging.getLogger("revops.api.daily")


def parse_daily_at(text: str) -> time:
    """``HH:MM`` (24-hour, UTC)."""
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise ValueError(f"--daily takes a time of day HH:MM in UTC (e.g. 06:30), not {text!r}") from None


def next_run(after: datetime, at: time) -> datetime:
    """The first moment at ``at`` strictly after ``after``."""
    today = datetime.combine(after.date(), at)
    return today if today > after else today + timedelta(days=1)


class DailySchedule:
    """Runs ``revops.alerts.daily.run_daily`` on the server's store at ``at`` every day."""

    def __init__(self, services: Any, at: time | None, *, clock: Callable[[], datetime]) -> None:
        self.services = services
        self.at = at
        self.clock = clock
        self.last: dict[str, Any] | None = None
        self.runs = 0
        self._stop = threading.Event()
        self._run_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        if at is not None:
            self._thread = threading.Thread(target=self._loop, name="revops-daily", daemon=True)
            self._thread.start()

    @property
    def next_at(self) -> datetime | None:
        return next_run(self.clock(), self.at) if self.at is not None else None

    def run_now(self, *, forecast: bool = True, score: bool = True, dry_run: bool = False) -> dict[str, Any]:
        """One daily run now (one at a time); its steps as `revops run daily --format json` prints them."""
        from revops.alerts.daily import run_daily

        services = self.services
        with self._run_lock, store_lock(services.store):
            run = run_daily(services.store, services.model, self.clock(), forecast=forecast, score=score,
                            dry_run=dry_run)
            self.runs += 1  # cached reads are stale from here (part of the store's generation)
        self.last = run.to_dict()
        for step in run.steps:
            (log.info if step["ok"] else log.error)("daily run: %s: %s", step["step"], step["result"])
        return self.last

    def _loop(self) -> None:
        while not self._stop.is_set():
            due = self.next_at
            assert due is not None
            if self._stop.wait(max((due - self.clock()).total_seconds(), 0.0)):
                return
            try:
                self.run_now()
            except Exception:  # noqa: BLE001 - tomorrow's run must still happen
                log.exception("daily run failed")
            self._stop.wait(1.0)  # never twice in the same minute

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
