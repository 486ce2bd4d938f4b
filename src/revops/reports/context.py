"""What every report shares: the store, the revenue model, the day, the filters, and one
``MetricSession`` so facts are built once per report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from revops.engines.metrics import MetricSession
from revops.engines.metrics.periods import FiscalCalendar
from revops.errors import RevopsError


class ReportError(RevopsError):
    """A report cannot be written as asked: unknown report, period or filter, or a path that
    cannot be written."""


@dataclass(frozen=True)
class ReportRequest:
    as_of: date
    period: str | None = None
    """A month (2026-04) for monthly, a fiscal quarter (2026-Q1) for board; weekly: ignored."""
    team: str | None = None
    segment: str | None = None

    @property
    def where(self) -> str | None:
        parts = []
        if self.team:
            parts.append(f"team = {_quoted(self.team)}")
        if self.segment:
            parts.append(f"segment = {_quoted(self.segment)}")
        return " and ".join(parts) or None

    def filters_text(self) -> str:
        parts = [f"team {self.team}" if self.team else "", f"segment {self.segment}" if self.segment else ""]
        return ", ".join(p for p in parts if p) or "whole company"


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "\\'") + "'"


@dataclass
class ReportContext:
    store: Any
    model: Any
    request: ReportRequest
    session: MetricSession = field(init=False)

    def __post_init__(self) -> None:
        self.session = MetricSession(self.store.ibis, self.model, as_of=self.request.as_of)
        self.calendar = FiscalCalendar(self.model.company.fiscal_year_start_month)

    def close(self) -> None:
        self.session.close()

    @property
    def con(self) -> Any:
        return self.store.ibis

    @property
    def as_of(self) -> date:
        return self.request.as_of

    def compute(self, names: list[str], **kw: Any) -> pd.DataFrame:
        """The metrics layer, with the report's team/segment filter."""
        return self.session.compute(names, where=self.request.where, **kw)

    def values(self, names: list[str], **kw: Any) -> dict[str, Any]:
        """One value per metric (no dimension; with a period, the last period's)."""
        frame = self.compute(names, **kw)
        out: dict[str, Any] = {}
        for _, row in frame.iterrows():
            out[row["metric"]] = _plain(row["value"])
        return out

    def series(self, name: str, period: str, start: date, end: date) -> list[tuple[str, float | None]]:
        frame = self.compute([name], period=period, start=start, end=end)
        return [(str(r["period"]), _plain(r["value"])) for _, r in frame.iterrows()]

    def quarter_of(self, day: date) -> tuple[str, date, date]:
        start = self.calendar.period_start(day, "quarter")
        return self.calendar.label(start, "quarter"), start, self.calendar.period_end(day, "quarter")

    def user_names(self) -> dict[str, str]:
        rows = self.store.con.execute("SELECT user_id, name FROM users WHERE name IS NOT NULL").fetchall()
        return dict(rows)

    def team_owners(self) -> tuple[str, ...]:
        """Users of --team (empty without it)."""
        if not self.request.team:
            return ()
        rows = self.store.con.execute("SELECT user_id FROM users WHERE team = ?", [self.request.team]).fetchall()
        if not rows:
            teams = [t for (t,) in self.store.con.execute(
                "SELECT DISTINCT team FROM users WHERE team IS NOT NULL ORDER BY 1").fetchall()]
            raise ReportError(f"--team {self.request.team!r}: no user is in that team; the teams are {', '.join(teams)}")
        return tuple(r for (r,) in rows)


def _plain(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return float(value)


def number(value: Any) -> float | None:
    """A value as a float for a chart or a tile; None when it is missing or not a number."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def end_of_day(day: date) -> datetime:
    """The moment a day ends (naive UTC), as the hygiene engine reads --as-of DAY."""
    return datetime(day.year, day.month, day.day) + timedelta(days=1)
