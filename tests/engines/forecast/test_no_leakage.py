"""A forecast as of a day uses only what was known at the end of that day: rewriting
everything that happened later — outcomes, amounts, close dates, history, activities, deals
created later — leaves every number unchanged, with stage history and without it."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from revops.engines.forecast import forecast
from revops.store import Store

AS_OF = date(2026, 2, 11)
LATER = "2026-02-12"  # the first instant after the as-of day
TODAY = date(2026, 5, 15)


def numbers(path, model):
    with Store(path, read_only=True) as store:
        return forecast(store.ibis, model, as_of=AS_OF, runs=2_000, today=TODAY).as_dict()


@pytest.fixture
def copy(small_demo, tmp_path):
    path = tmp_path / "demo.duckdb"
    shutil.copy(small_demo, path)
    return path


def rewrite_the_future(con):
    flip = ("CASE WHEN stage = 'closed_won' THEN 'closed_lost' WHEN stage = 'closed_lost' THEN 'closed_won' "
            "ELSE 'negotiation' END")
    later = f"(SELECT opportunity_id FROM opportunity_history WHERE changed_at >= TIMESTAMP '{LATER}')"
    con.execute(f"UPDATE opportunities SET stage = {flip}, amount = coalesce(amount, 1000) * 3, "
                f"close_date = greatest(close_date, DATE '{LATER}') + 9, forecast_category = 'commit', "
                f"last_activity_at = TIMESTAMP '{LATER}' WHERE opportunity_id IN {later} "
                f"OR close_date >= DATE '{LATER}'")
    con.execute(f"UPDATE opportunity_history SET stage = {flip}, amount = coalesce(amount, 1000) * 3, "
                f"close_date = greatest(close_date, DATE '{LATER}') + 9 WHERE changed_at >= TIMESTAMP '{LATER}'")
    # more changes after the day, and deals created after it
    con.execute(f"INSERT INTO opportunity_history (history_id, opportunity_id, changed_at, stage, amount, close_date) "
                f"SELECT history_id || '-x', opportunity_id, TIMESTAMP '{LATER}' + INTERVAL 3 DAY, 'closed_won', "
                f"50000, DATE '{LATER}' + 3 FROM opportunity_history WHERE changed_at < TIMESTAMP '{LATER}'")
    con.execute(f"INSERT INTO opportunities (opportunity_id, owner_id, stage, amount, created_at, close_date, type) "
                f"SELECT opportunity_id || '-new', owner_id, 'negotiation', 77000, TIMESTAMP '{LATER}' + INTERVAL 1 DAY, "
                f"DATE '2026-03-30', type FROM opportunities LIMIT 200")
    con.execute(f"DELETE FROM activities WHERE occurred_at >= TIMESTAMP '{LATER}'")


def test_rewriting_what_happened_after_the_day_changes_nothing(copy, model):
    before = numbers(copy, model)
    with Store(copy) as store:
        rewrite_the_future(store.con)
    assert numbers(copy, model) == before
    assert before["p10"] <= before["p50"] <= before["p90"] and before["p50"] > before["closed_won"]


def test_without_stage_history_the_outcomes_of_later_decisions_stay_hidden(copy, model):
    """An export without history (as the Maven CRM's): a deal closed after the day shows its
    outcome, amount and close date in its current row; none of them may reach the forecast."""
    with Store(copy) as store:
        store.con.execute("DELETE FROM opportunity_history")
    before = numbers(copy, model)
    with Store(copy) as store:
        rewrite_the_future(store.con)
        store.con.execute("DELETE FROM opportunity_history")
    assert numbers(copy, model) == before
