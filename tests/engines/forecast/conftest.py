"""Deals written by hand for forecast tests: a deal is its creation and each change of its
state, exactly as the opportunity_history rows a CRM keeps.

    deal("o1", T(2026, 1, 5), [(T(2026, 1, 5), "discovery", 10_000, D(2026, 3, 31)),
                               (T(2026, 3, 2), "closed_won", 12_000, D(2026, 3, 2))], owner="u1")
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from revops.model import load_model

T = datetime
D = date


def deal(oid: str, created: datetime | None, changes: list[tuple], owner: str | None = "u1",
         **attrs: Any) -> tuple[dict, list[dict]]:
    """(opportunity row, history rows): each change is (changed_at, stage, amount, close_date[,
    forecast_category[, owner]]); the deal's current row is its last change."""
    rows = []
    for i, change in enumerate(changes):
        at, stage, amount, close = change[:4]
        category = change[4] if len(change) > 4 else None
        who = change[5] if len(change) > 5 else owner
        rows.append({"history_id": f"{oid}-h{i}", "opportunity_id": oid, "changed_at": at, "stage": stage,
                     "amount": None if amount is None else float(amount), "close_date": close,
                     "forecast_category": category, "owner_id": who})
    last = rows[-1] if rows else {}
    opp = {"opportunity_id": oid, "created_at": created, "stage": last.get("stage"), "amount": last.get("amount"),
           "close_date": last.get("close_date"), "forecast_category": last.get("forecast_category"),
           "owner_id": last.get("owner_id", owner), **attrs}
    return opp, rows


def deals(*built: tuple[dict, list[dict]]) -> dict[str, list[dict]]:
    """Tables for ``gtm(**deals(...))``."""
    return {"opportunities": [b[0] for b in built], "opportunity_history": [r for b in built for r in b[1]]}


@pytest.fixture(scope="session")
def model():
    return load_model(None)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory):
    """The small demo company (seed 42, today 2026-05-15), built once; tests copy it before
    changing it."""
    from revops.demo.builder import build_demo
    from revops.store import Store

    path = tmp_path_factory.mktemp("forecast-demo") / "demo.duckdb"
    with Store(path) as store:
        build_demo(store, "small", 42, D(2026, 5, 15))
    return path
