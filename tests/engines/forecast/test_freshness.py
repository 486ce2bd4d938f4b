"""A forecast speaks for a day the data covers: a future day is refused, and a day long after
the data's last change (an old export forecast as of today) is answered with a warning that
names the day to ask about instead."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from revops.engines.forecast.freshness import (STALE_AFTER_DAYS, flow_warnings, refuse_future_day,
                                               stale_data_warning)
from revops.engines.forecast.world import build_world
from revops.errors import ForecastError


@pytest.fixture
def export(model):
    """An export whose last deal closed on 2017-12-31, read on 2026-11-24."""
    opps = pd.DataFrame([
        {"opportunity_id": "won", "stage": "closed_won", "amount": 5_000.0, "created_at": pd.Timestamp("2017-10-02"),
         "close_date": date(2017, 12, 31)},
        {"opportunity_id": "open", "stage": "discovery", "amount": 3_000.0, "created_at": pd.Timestamp("2017-11-20"),
         "close_date": None},
    ])
    return build_world(model, opportunities=opps, today=date(2026, 11, 24))


def test_a_day_long_after_the_data_ends_is_warned_about_with_the_day_to_use(export):
    assert stale_data_warning(export, date(2026, 11, 24)) == (
        "the data's last change is on 2017-12-31; a forecast as of 2026-11-24 sees no open deal that can still "
        "close; use --as-of 2017-12-31 (or a day before it)")
    assert stale_data_warning(export, date(2017, 12, 31)) is None
    assert stale_data_warning(export, date(2018, 1, 1 + STALE_AFTER_DAYS - 1)) is None


def test_a_future_day_is_refused(export):
    with pytest.raises(ForecastError, match="after today \\(2026-11-24\\).*a future day knows nothing more"):
        refuse_future_day(export, date(2026, 11, 25))
    refuse_future_day(export, date(2026, 11, 24))


def test_the_forecast_refuses_a_future_day_and_warns_on_an_old_export(export, model, gtm):
    from revops.engines.forecast import forecast

    store = gtm(opportunities=export.deals[["opportunity_id", "stage", "amount", "created_at",
                                            "close_date"]].to_dict("records"))
    with pytest.raises(ForecastError, match="after today"):
        forecast(store.ibis, model, as_of="2026-12-01", today=date(2026, 11, 24), runs=100)
    fc = forecast(store.ibis, model, today=date(2026, 11, 24), runs=100)
    assert fc.warnings and fc.warnings[0].startswith("the data's last change is on 2017-12-31")
    assert forecast(store.ibis, model, as_of="2017-12-31", today=date(2026, 11, 24), runs=100).warnings == []


def test_a_pipeline_flow_is_only_warned_about(export):
    assert flow_warnings(export, date(2017, 12, 31)) == []
    assert flow_warnings(export, date(2026, 11, 24)) == [
        "the data's last change is on 2017-12-31; a flow to 2026-11-24 shows nothing moving after it; "
        "use --to 2017-12-31 (or a day before it)"]
    future = flow_warnings(export, date(2026, 12, 31))
    assert len(future) == 2 and future[0].startswith("--to 2026-12-31 is after today (2026-11-24)")
