"""``SharedMetrics``: one long-lived ``MetricSession`` per store generation and day, shared by
every page and request of the server, with every fact materialised the first time it is needed.

On the medium demo a metric asked of a fresh session costs 0.2-0.5 s (its facts: the deals'
states as of the day, the lead funnel, the SLA clocks); asked again of the same session, with
any filter, 15-35 ms. A write makes a new generation: a request after it builds a new session
(and the old one is dropped once nobody computes on it) — unless the current session is less
than ``max_age`` seconds old: under a steady stream of leads every request would otherwise
rebuild the facts, so numbers may lag a write by up to ``max_age`` (10 s by default).

A MetricSession is not thread-safe: computes on one are serialised by its lock (each takes
milliseconds once the facts exist).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from typing import Any

import pandas as pd


RETIRE_AFTER = 120.0
"""Seconds a replaced session is kept before its temp tables are dropped."""


class SessionHandle:
    """A shared session as pages use it: ``compute`` (serialised) and a no-op ``close``."""

    def __init__(self, session: Any, con: Any, generation: int) -> None:
        self.session = session
        self.con = con
        self.generation = generation
        self.created = time.monotonic()
        self.lock = threading.Lock()
        self.closed = False

    def compute(self, names: Any, **kw: Any) -> pd.DataFrame:
        with self.lock:
            return self.session.compute(names, **kw)

    def close(self) -> None:
        """Pages close what they open; a shared session outlives them."""

    @contextmanager
    def exclusive(self) -> Iterator[Any]:
        """The MetricSession itself, held alone: for engines that read ``session.ctx``
        (the MRR bridge, retention)."""
        with self.lock:
            yield self.session

    def drop(self) -> None:
        with self.lock:
            if not self.closed:
                self.closed = True
                self.session.close()
                self.con.close()


class SharedMetrics:
    def __init__(self, open_cursor: Callable[[], Any], model: Any, *, max_age: float = 10.0) -> None:
        self._open_cursor = open_cursor
        self.model = model
        self.max_age = max_age
        self._lock = threading.Lock()
        self._current: dict[date | None, SessionHandle] = {}
        self._retired: list[tuple[float, SessionHandle]] = []

    def session(self, generation: int, day: date | None) -> SessionHandle:
        import ibis

        from revops.engines.metrics import MetricSession

        with self._lock:
            found = self._current.get(day)
            if found is not None and (found.generation == generation
                                      or time.monotonic() - found.created < self.max_age):
                return found
            con = self._open_cursor()
            handle = SessionHandle(MetricSession(ibis.duckdb.from_connection(con), self.model, as_of=day,
                                                 cache_facts="all"), con, generation)
            self._current[day] = handle
            now = time.monotonic()
            if found is not None:
                self._retired.append((now, found))
            self._retired += [(now, self._current.pop(d)) for d in list(self._current)
                              if self._current[d].generation != generation and d != day]
            # a page that took a retired session a moment ago may still compute on it: drop it later
            old = [h for at, h in self._retired if now - at > RETIRE_AFTER]
            self._retired = [(at, h) for at, h in self._retired if now - at <= RETIRE_AFTER]
        for h in old:
            h.drop()
        return handle

    def close(self) -> None:
        with self._lock:
            handles = list(self._current.values()) + [h for _, h in self._retired]
            self._current.clear()
            self._retired.clear()
        for h in handles:
            h.drop()


def exclusive(session: Any) -> Any:
    """``session`` held alone if it is shared (a SessionHandle), else as it is."""
    return session.exclusive() if isinstance(session, SessionHandle) else nullcontext(session)
