"""The forecast's view of deals follows the metrics layer's as-of rules: the same deals are
open, won and lost as of any day, at the same amounts, close dates and stages."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from revops.engines.forecast.world import UNKNOWN_OPEN, cutoff, load_world
from revops.engines.metrics.asof import opportunities
from revops.engines.metrics.context import MetricContext
from revops.store import Store


@pytest.mark.parametrize("day", [date(2025, 6, 30), date(2026, 2, 11), date(2026, 5, 14)])
def test_deal_states_agree_with_the_metrics_as_of(small_demo, model, day):
    with Store(small_demo, read_only=True) as store:
        theirs = opportunities(MetricContext(store.ibis, model, as_of=day)).to_pyarrow().to_pandas()
        world = load_world(store.ibis, model, today=date(2026, 5, 15))
    s = world.state(np.arange(len(world)), cutoff(day))
    stage = np.array(list(world.stages.keys) + [None, None], dtype=object)
    ours = pd.DataFrame({"opportunity_id": world.ids, "exists": s.exists,
                         "stage": stage[np.where(s.stage >= 0, s.stage, len(world.stages.keys))],
                         "amount": s.amount, "close_day": s.close_day}).query("exists")
    theirs = theirs.assign(close_day=pd.to_datetime(theirs["close_date"]).values.astype("datetime64[D]").astype(
        "int64").astype(float)).set_index("opportunity_id")
    ours = ours.set_index("opportunity_id").loc[theirs.index]
    assert len(ours) == len(theirs)
    assert (ours["stage"].fillna("?") == theirs["stage"].fillna("?")).all()
    assert np.allclose(ours["amount"].fillna(-1), theirs["amount"].fillna(-1))
    assert np.allclose(ours["close_day"].fillna(-1), theirs["close_day"].fillna(-1))


def test_a_world_known_at_a_day_holds_nothing_later(small_demo, model):
    with Store(small_demo, read_only=True) as store:
        world = load_world(store.ibis, model, today=date(2026, 5, 15))
    known = world.known_at(date(2026, 2, 11))
    end = cutoff(date(2026, 2, 11))
    assert known.h_t.max() < end and known.a_t.max() < end
    assert ((known.created < end) | (known.created == np.iinfo(np.int64).min)).all()
    assert "stage" not in known.deals.columns and "amount" not in known.deals.columns


def test_an_export_without_history_hides_later_decisions_and_todays_open_state(model):
    from revops.engines.forecast.world import build_world

    opps = pd.DataFrame([
        {"opportunity_id": "won_later", "stage": "closed_won", "amount": 9_000.0, "created_at": pd.Timestamp("2026-01-05"),
         "close_date": date(2026, 3, 20)},
        {"opportunity_id": "won_before", "stage": "closed_won", "amount": 4_000.0,
         "created_at": pd.Timestamp("2026-01-05"), "close_date": date(2026, 2, 1)},
        {"opportunity_id": "open_today", "stage": "negotiation", "amount": 7_000.0,
         "created_at": pd.Timestamp("2026-01-05"), "close_date": date(2026, 6, 30)},
    ])
    world = build_world(model, opportunities=opps, today=date(2026, 5, 15))
    known = world.known_at(date(2026, 2, 11))
    s = known.state(np.arange(3), cutoff(date(2026, 2, 11)))
    # decided later, or only known as of today: open then, stage, amount and close date unknown
    assert s.stage.tolist() == [UNKNOWN_OPEN, world.stages.keys.index("closed_won"), UNKNOWN_OPEN]
    assert np.isnan(s.amount[[0, 2]]).all() and np.isnan(s.close_day[[0, 2]]).all() and s.amount[1] == 4_000
    # today, the export's open deal is what it says
    now = world.known_at(date(2026, 5, 15)).state(np.arange(3), cutoff(date(2026, 5, 15)))
    assert now.stage[2] == world.stages.keys.index("negotiation") and now.amount[2] == 7_000
