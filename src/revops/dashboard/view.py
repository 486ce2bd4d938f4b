"""``View``: what one page render is about — who looks (their scope), the period, the team,
segment and owner filters, and the day the data stands at.

Every metric request of the page goes through ``View.where``: the filters and the viewer's
scope ANDed into one expression of the model's expression language (``team = 'NA Smb' and
owner in ('usr_0006')``); every SQL list through ``View.owners`` (None: everyone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from revops.access import Principal
from revops.engines.metrics.periods import FiscalCalendar

QUARTER = re.compile(r"\d{4}-Q[1-4]")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
FILTERS = ("period", "team", "segment", "owner")


@dataclass(frozen=True)
class Period:
    label: str
    grain: str
    """quarter or month."""
    start: date
    end: date


@dataclass(frozen=True)
class Filters:
    """The filter bar's query parameters, as given (empty: not filtered)."""

    period: str = ""
    team: str = ""
    segment: str = ""
    owner: str = ""

    @classmethod
    def of(cls, params: Any) -> Filters:
        return cls(**{k: (params.get(k) or "").strip()[:80] for k in FILTERS})


def quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class View:
    principal: Principal
    filters: Filters
    day: date
    """The data's own latest day: pages show the numbers as of its end."""
    calendar: FiscalCalendar
    team_owners: frozenset[str] | None = None
    """The users of the team filter (None: no team filter)."""

    # -- who -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """executive, team or own: what the viewer's role lets them see."""
        if self.principal.owners is None:
            return "executive"
        return "team" if self.principal.role == "manager" else "own"

    @property
    def owner(self) -> str:
        """The owner filter in force: a rep's own id whatever the query says."""
        if self.principal.role == "rep" and self.principal.user_id:
            return self.principal.user_id
        owner = self.filters.owner
        return owner if owner and self.principal.sees(owner) else ""

    @property
    def owners(self) -> frozenset[str] | None:
        """The owner ids every list is restricted to (scope, owner and team filters), None: all."""
        sets = [s for s in (self.principal.owners, frozenset([self.owner]) if self.owner else None,
                            self.team_owners) if s is not None]
        if not sets:
            return None
        out = sets[0]
        for s in sets[1:]:
            out = out & s
        return frozenset(out)

    @property
    def where(self) -> str | None:
        parts = []
        scope = self.principal.metric_where()
        if scope:
            parts.append(scope)
        if self.owner:
            parts.append(f"owner = {quoted(self.owner)}")
        if self.filters.team:
            parts.append(f"team = {quoted(self.filters.team)}")
        if self.filters.segment:
            parts.append(f"segment = {quoted(self.filters.segment)}")
        return " and ".join(parts) or None

    @property
    def filtered(self) -> bool:
        return self.where is not None

    # -- when ------------------------------------------------------------------------------
    @property
    def period(self) -> Period:
        """The period asked for (a fiscal quarter 2026-Q3 or a month 2026-08), else the
        fiscal quarter holding the data's day."""
        label = self.filters.period
        cal = self.calendar
        if QUARTER.fullmatch(label):
            start = cal.label_start(label, "quarter")
            return Period(label, "quarter", start, cal.period_end(start, "quarter"))
        if MONTH.fullmatch(label):
            start = date(int(label[:4]), int(label[5:]), 1)
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            return Period(label, "month", start, end)
        return self.quarter_of(self.day)

    def quarter_of(self, day: date) -> Period:
        start = self.calendar.period_start(day, "quarter")
        return Period(self.calendar.label(start, "quarter"), "quarter", start, self.calendar.period_end(start, "quarter"))

    @property
    def quarter(self) -> Period:
        """The fiscal quarter of the period (a month's quarter)."""
        p = self.period
        return p if p.grain == "quarter" else self.quarter_of(p.start)

    def next_quarter(self, of: Period | None = None) -> Period:
        return self.quarter_of((of or self.quarter_of(self.day)).end + timedelta(days=1))

    def period_choices(self) -> list[tuple[str, str]]:
        """(value, label): the quarters around the data's day, then the last months."""
        cal = self.calendar
        current = self.quarter_of(self.day)
        quarters = [current]
        for _ in range(4):
            quarters.insert(0, self.quarter_of(quarters[0].start - timedelta(days=1)))
        quarters.append(self.next_quarter(current))
        out = [("", f"This quarter ({current.label})")]
        out += [(q.label, q.label) for q in quarters if q.label != current.label]
        month = self.day.replace(day=1)
        for _ in range(6):
            out.append((f"{month:%Y-%m}", f"{month:%Y-%m} ({cal.label(month, 'quarter')})"))
            month = (month - timedelta(days=1)).replace(day=1)
        return out

    # -- links and cache ---------------------------------------------------------------------
    def query(self, **changes: str) -> str:
        """The filters as a query string (with ``changes``), '' when none."""
        values = {k: getattr(self.filters, k) for k in FILTERS}
        values.update(changes)
        kept = {k: v for k, v in values.items() if v}
        return ("?" + urlencode(kept)) if kept else ""

    def key(self) -> tuple:
        """What a cached page depends on besides the store's generation (which fixes the day):
        the scope and the filters."""
        owners = None if self.principal.owners is None else tuple(sorted(self.principal.owners))
        return (owners, self.principal.role == "rep", self.filters, self.owner)
