"""Weekly forecast snapshots: what the forecast said each week is kept, for the company and
each owner, with the calls in force, and set next to what the period booked."""

from __future__ import annotations

import shutil
from datetime import date

from revops.engines.forecast.backtest import actual_bookings
from revops.engines.forecast.snapshots import snapshot_accuracy, take_snapshots, weekly_days
from revops.engines.forecast.world import load_world
from revops.store import Store


def test_weekly_snapshots_are_stored_replaced_and_compared(small_demo, tmp_path, model):
    path = tmp_path / "demo.duckdb"
    shutil.copy(small_demo, path)
    days = weekly_days(date(2026, 1, 7), date(2026, 1, 28))
    assert days == [date(2026, 1, 7), date(2026, 1, 14), date(2026, 1, 21), date(2026, 1, 28)]
    with Store(path) as store:
        world = load_world(store.ibis, model, today=date(2026, 5, 15))
        said = take_snapshots(store, world, model, days[:2], runs=1_000)
        take_snapshots(store, world, model, days[1:2], runs=1_000)  # again: replaced, not added
        rows = store.query("SELECT snapshot_date, level, count(*) AS n FROM _forecast_snapshots GROUP BY ALL "
                           "ORDER BY 1, 2")
        assert [(r["snapshot_date"], r["level"]) for r in rows] == [
            (days[0], "company"), (days[0], "owner"), (days[1], "company"), (days[1], "owner")]
        assert rows[0]["n"] == 1 and rows[1]["n"] > 3
        owners = store.query("SELECT sum(closed_won) AS won FROM _forecast_snapshots WHERE level = 'owner' "
                             "AND snapshot_date = ?", [days[0]])[0]["won"]
        assert owners == said[0]["closed_won"]
        compared = snapshot_accuracy(store, actual_bookings(store.ibis, model, ["2026-Q1"]))
    assert [r["snapshot_date"] for r in compared] == days[:2]
    assert all(r["actual"] > 0 and r["error_p50"] is not None for r in compared)
