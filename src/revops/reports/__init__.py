"""Reports: the seeds' weekly sales dashboard, monthly GTM review and quarterly board metrics
as self-contained HTML files (inline CSS and SVG, no script, no external asset) that print.

    from revops.reports import ReportRequest, build_report, write_report
    html = build_report("weekly", store, model, ReportRequest(as_of=date(2026, 5, 15)))
    write_report(html, Path("weekly.html"))

Every number comes from the metrics layer (one ``MetricSession`` per report) or an engine;
each carries its definition on hover, and the report ends with a definitions appendix.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from revops.reports.context import ReportContext, ReportError, ReportRequest

__all__ = ["REPORTS", "ReportError", "ReportRequest", "build_report", "write_report"]


def _weekly(ctx: ReportContext) -> str:
    from revops.reports import weekly

    return weekly.build(ctx)


def _monthly(ctx: ReportContext) -> str:
    from revops.reports import monthly

    return monthly.build(ctx)


def _board(ctx: ReportContext) -> str:
    from revops.reports import board

    return board.build(ctx)


REPORTS: dict[str, Callable[[ReportContext], str]] = {"weekly": _weekly, "monthly": _monthly, "board": _board}
"""Report name -> builder."""


def build_report(name: str, store: Any, model: Any, request: ReportRequest) -> str:
    """The HTML of report ``name`` on ``store`` (a ``Store``) as ``request`` asks."""
    if name not in REPORTS:
        raise ReportError(f"unknown report {name!r}; the reports are {', '.join(REPORTS)}")
    ctx = ReportContext(store, model, request)
    try:
        return REPORTS[name](ctx)
    finally:
        ctx.close()


def write_report(html: str, out: Path) -> Path:
    """Write ``html`` to ``out`` atomically: a temporary file beside it, then a rename, so a
    reader (a web server, a mail job) never sees half a report."""
    out = Path(out)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError(f"cannot write {out}: the folder {folder} does not exist; create it or choose --out elsewhere")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ReportError(f"cannot write {out}: {exc.strerror or exc}; choose a folder you can write to") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(html)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # readable as any file the user writes (mkstemp makes it private)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReportError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return out
