"""Real exports: no stage history, open deals without amounts or close dates (as the Maven CRM
export). The forecast still runs, values each open deal at its product's median won amount,
and learns when such deals close from the deals decided before the day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from revops.engines.forecast import forecast


@pytest.fixture
def export(gtm):
    rng = np.random.default_rng(4)
    opps = []
    start = datetime(2025, 1, 1)
    for i in range(600):  # a year and a half of deals engaged, decided 10-80 days later
        created = start + timedelta(days=int(rng.integers(0, 520)))
        product = ["basic", "pro"][i % 2]
        closed = created + timedelta(days=int(rng.integers(10, 80)))
        won = rng.random() < 0.6
        price = 1_000.0 if product == "basic" else 5_000.0
        if closed.date() < date(2026, 6, 1):
            opps.append({"opportunity_id": f"d{i}", "owner_id": f"rep{i % 5}", "product": product,
                         "created_at": created, "close_date": closed.date(),
                         "stage": "closed_won" if won else "closed_lost", "amount": price if won else 0.0})
        else:  # still open at the export: no amount, no close date
            opps.append({"opportunity_id": f"d{i}", "owner_id": f"rep{i % 5}", "product": product,
                         "created_at": created, "stage": "qualification"})
    return gtm(opportunities=opps, products=[{"product_id": "basic", "list_price": 900.0},
                                             {"product_id": "pro", "list_price": 4_500.0}])


def test_a_forecast_on_an_export_without_history_or_amounts(export, model):
    fc = forecast(export.ibis, model, as_of="2026-05-20", today=date(2026, 6, 1), runs=2_000)
    n = fc.as_dict()
    assert n["pipeline"] == 0  # no open deal had a close date then
    assert n["closed_won"] < n["p10"] <= n["p50"] <= n["p90"]
    open_deals = fc.deals.set_index("opportunity_id")
    # valued at the product's median won amount (losses are booked at 0 in such exports)
    assert set(open_deals["value"].round()) == {1_000.0, 5_000.0}
    assert open_deals["amount"].isna().all() and open_deals["close_day"].isna().all()


def test_the_backtest_runs_on_such_an_export(export, model):
    from revops.engines.forecast import BacktestRequest, backtest

    rows = backtest(export.ibis, model, BacktestRequest(quarters=2, weeks=(4,), runs=1_000), today=date(2026, 6, 1))
    assert [r["period"] for r in rows] == ["2025-Q4", "2026-Q1"]
    assert all(r["actual"] > 0 and r["p50"] > 0 and r["commit"] is None for r in rows)
