"""Hand-built CRM rows and SLAs for the SLA engine's tests.

    def test_x(crm):
        store = crm(leads=[{"lead_id": "l1", "mql_at": T(2026, 1, 9, 15), ...}])
        rows = clock_rows(store, model_with(sla(...)), at=T(2026, 1, 12, 12))
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from revops.engines.sla import clock_request, status
from revops.model import load_model
from revops.model.sections.slas import SlaPolicy
from revops.store import Store

T = datetime


@pytest.fixture
def crm(gtm) -> Callable[..., Store]:
    """crm(table=[rows], ...) -> a store holding exactly those rows."""
    return gtm


def sla(key: str = "first_touch", start: str = "lead.mql_at", stop: str = "lead.first_contacted_at",
        duration: float = 4, unit: str = "business_hours", **kw: Any) -> SlaPolicy:
    return SlaPolicy(key=key, label=key, start=start, stop=stop, duration=duration, unit=unit,
                     owner_team=kw.pop("owner_team", "sales_ops"), **kw)


def model_with(*slas: SlaPolicy, timezone: str = "UTC", holidays: tuple[date, ...] = ()) -> Any:
    """The default model with only these SLAs, on a company clock in ``timezone``."""
    model = load_model(None)
    model.slas = list(slas)
    model.company.timezone = timezone
    model.company.holidays = list(holidays)
    return model


def clock_rows(store: Store, model: Any, at: datetime, **kw: Any) -> list[dict[str, Any]]:
    """The status rows at ``at`` (as dicts), in the engine's order."""
    states = kw.pop("states", ())
    open_only = kw.pop("open_only", False)
    return status(store.ibis, model, clock_request(at=at, **kw), states=states, open_only=open_only).to_pylist()


def by_record(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["record_id"]: r for r in rows}
