"""``MetricContext``: what every metric computation shares — the Ibis backend holding the
GTM tables, the revenue model, the fiscal calendar and the moment the numbers describe."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import ibis
import ibis.expr.types as ir

from revops.engines.metrics.periods import FiscalCalendar
from revops.errors import MetricError


@dataclass
class MetricContext:
    con: Any
    """An Ibis backend whose tables carry the canonical names (DuckDB, PySpark, Postgres…)."""
    model: Any
    """The revenue model (RevenueModel)."""
    as_of: date | None = None
    """Compute as the world looked at the end of this day; None: as the data is now."""
    today: date | None = None
    """'Now' for metrics that need one (open pipeline, current quarter); default: as_of or UTC today."""
    cache_facts: bool | str = False
    """Materialise each fact once (a temp table / cached frame) when several metrics share it;
    ``"all"``: every fact, even those cheap to rebuild (a long-lived session asked many times,
    such as the dashboard's)."""
    _tables: dict[str, ir.Table] = field(default_factory=dict, repr=False)
    _facts: dict[Any, ir.Table] = field(default_factory=dict, repr=False)
    results: dict[Any, Any] = field(default_factory=dict, repr=False)
    """Metric results already computed in this request, by (metric name, query)."""

    def __post_init__(self) -> None:
        if self.today is None:
            self.today = self.as_of or datetime.now(timezone.utc).date()
        self.calendar = FiscalCalendar(self.model.company.fiscal_year_start_month)

    @property
    def backend_name(self) -> str:
        return getattr(self.con, "name", "unknown")

    @property
    def cutoff(self) -> datetime:
        """The first instant after the as-of day (or after today)."""
        return datetime.combine((self.as_of or self.today) + timedelta(days=1), time())

    def cutoff_literal(self) -> ir.TimestampValue:
        return ibis.literal(self.cutoff.isoformat(sep=" ")).cast("timestamp")

    def table(self, name: str) -> ir.Table:
        if name not in self._tables:
            try:
                self._tables[name] = self.con.table(name)
            except Exception as exc:  # backends raise their own kinds of "no such table"
                raise MetricError(f"the store has no table {name!r}: {exc}") from None
        return self._tables[name]

    def fact(self, fact: Any) -> ir.Table:
        """The fact's rows for this context, built once (and cached on the backend if asked)."""
        key = (fact.name, fact.key)
        if key not in self._facts:
            built = fact.build(self)
            keep = self.cache_facts == "all" or (self.cache_facts and fact.cache)
            self._facts[key] = built.cache() if keep else built
        return self._facts[key]

    def release(self) -> None:
        """Drop cached facts from the backend."""
        for t in self._facts.values():
            if self.cache_facts:
                try:  # a fact that was never cached has nothing to release
                    t.release()
                except Exception:  # a backend that already dropped it
                    pass
        self._facts.clear()

    def columns(self, name: str) -> list[str]:
        return list(self.table(name).columns)
