"""A Rich progress bar on stderr for long work, silent when stderr is not a terminal."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


class Phases:
    """Named steps of one job; a step that runs one long DuckDB query shows its progress."""

    def __init__(self, title: str, steps: int, enabled: bool | None = None) -> None:
        console = Console(stderr=True)
        self.enabled = console.is_terminal if enabled is None else enabled
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(), console=console, transient=True, disable=not self.enabled,
        )
        self._title = title
        self._steps = steps
        self._task = None

    def __enter__(self) -> Phases:
        self._progress.start()
        self._task = self._progress.add_task(self._title, total=self._steps * 100)
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    @contextmanager
    def step(self, name: str, con=None) -> Iterator[None]:
        """One step; with a DuckDB connection, the bar follows the query running on it."""
        assert self._task is not None
        done = self._progress.tasks[0].completed
        self._progress.update(self._task, description=f"{self._title}: {name}")
        stop = threading.Event()
        watcher = None
        if con is not None and self.enabled:
            def watch() -> None:
                while not stop.wait(0.2):
                    try:
                        pct = con.query_progress()
                    except Exception:
                        return
                    if pct and pct > 0:
                        self._progress.update(self._task, completed=done + min(pct, 100))
            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
        try:
            yield
        finally:
            stop.set()
            if watcher is not None:
                watcher.join()
            self._progress.update(self._task, completed=done + 100)
