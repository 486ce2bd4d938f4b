"""As of a past date: deals and leads as they stood then, nothing decided later is used,
and the numbers agree with the pipeline snapshot stored that day."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.engines.metrics.conftest import metric_values, value

T = datetime


def hist(hid, oid, at, stage, amount, close):
    return {"history_id": hid, "opportunity_id": oid, "changed_at": at, "stage": stage, "amount": amount,
            "close_date": close}


@pytest.fixture
def pipeline(gtm):
    return gtm(
        opportunities=[
            # moved discovery -> proposal on Mar 1 (amount 10k -> 12k), won Apr 15
            {"opportunity_id": "o1", "stage": "closed_won", "amount": 12_000.0, "created_at": T(2026, 1, 5),
             "close_date": date(2026, 4, 15)},
            # created after the as-of date
            {"opportunity_id": "o2", "stage": "discovery", "amount": 7_000.0, "created_at": T(2026, 3, 20),
             "close_date": date(2026, 6, 30)},
            # no history: created in January, lost in April -> open on Mar 15, stage unknown
            {"opportunity_id": "o3", "stage": "closed_lost", "amount": 5_000.0, "created_at": T(2026, 1, 20),
             "close_date": date(2026, 4, 2)},
            # no history: won in February -> closed (won) on Mar 15 already
            {"opportunity_id": "o4", "stage": "closed_won", "amount": 3_000.0, "created_at": T(2026, 1, 2),
             "close_date": date(2026, 2, 10)},
        ],
        opportunity_history=[
            hist("h1", "o1", T(2026, 1, 5), "discovery", 10_000.0, date(2026, 3, 31)),
            hist("h2", "o1", T(2026, 3, 1), "proposal", 12_000.0, date(2026, 4, 30)),
            hist("h3", "o1", T(2026, 4, 15), "closed_won", 12_000.0, date(2026, 4, 15)),
            hist("h4", "o2", T(2026, 3, 20), "discovery", 7_000.0, date(2026, 6, 30)),
        ],
    )


def test_open_pipeline_as_of_a_past_day_uses_the_history_then(pipeline):
    # on Mar 15: o1 open in proposal at 12k; o3 open (stage unknown) and its amount unknown too
    # (the 5k it holds is what it was lost with), so it is valued at the median of the deals won
    # by then (o4, 3k); o2 not created; o4 won
    assert value(pipeline, "open_pipeline", as_of="2026-03-15") == 15_000
    assert value(pipeline, "won_count", as_of="2026-03-15") == 1
    # o1 proposal 0.6; o3's stage is unknown: the first open stage's probability (0.1)
    assert value(pipeline, "weighted_pipeline", as_of="2026-03-15") == pytest.approx(12_000 * 0.6 + 3_000 * 0.1)
    # before the stage move, o1 was in discovery at 10k
    assert value(pipeline, "open_pipeline", as_of="2026-02-15") == 13_000


def test_a_deal_decided_later_is_valued_with_what_was_won_by_then(pipeline):
    # on Jan 31 nothing was won yet and there is no price book: o3 counts 0
    assert value(pipeline, "open_pipeline", as_of="2026-01-31") == 10_000


def test_now_every_deal_counts_with_its_current_state(pipeline):
    assert value(pipeline, "open_pipeline") == 7_000
    assert value(pipeline, "won_count") == 2


def test_close_dates_bucket_by_what_was_expected_then(pipeline):
    rows = metric_values(pipeline, "open_pipeline", as_of="2026-02-15", period="month")
    # o1 expected Mar 31 then; o3's close date then is unknown (Apr 2 is when it was lost):
    # it is in no month's pipeline
    assert [(r["period"], r["value"]) for r in rows] == [("2026-03", 10_000.0)]


def test_time_in_stage_as_of_only_counts_stages_left_by_then(pipeline):
    assert value(pipeline, "time_in_stage_days", as_of="2026-03-15") == pytest.approx(55.0)
    assert value(pipeline, "time_in_stage_days") == pytest.approx((55.0 + 45.0) / 2)


def test_leads_as_of_forget_what_happened_later(gtm):
    store = gtm(leads=[
        {"lead_id": "l1", "created_at": T(2026, 1, 1), "mql_at": T(2026, 1, 5), "sql_at": T(2026, 2, 10)},
        {"lead_id": "l2", "created_at": T(2026, 1, 2), "mql_at": T(2026, 2, 20)},
        {"lead_id": "l3", "created_at": T(2026, 3, 1)},
    ])
    from revops.engines.metrics.asof import leads
    from revops.engines.metrics.context import MetricContext
    from revops.model import load_model

    ctx = MetricContext(store.ibis, load_model(None), as_of=date(2026, 2, 1))
    frame = store.ibis.execute(leads(ctx).order_by("lead_id"))
    assert list(frame.lead_id) == ["l1", "l2"]
    assert frame.sql_at.isna().all() and frame.mql_at.notna().tolist() == [True, False]


def test_snapshot_and_as_of_agree_after_the_data_moves_on(tmp_path):
    """Take a snapshot, let the deals move on (ingest), then ask as of the snapshot day."""
    from revops.demo.builder import build_demo
    from revops.engines.metrics.snapshot import take_snapshot
    from revops.model import load_model
    from revops.store import Store

    model = load_model(None)
    with Store(tmp_path / "s.duckdb") as store:
        build_demo(store, "small", seed=11, today=date(2026, 5, 31))
        day = date(2026, 5, 31)
        snap = take_snapshot(store, model, day)
        assert snap["deals"] > 0
        # the world moves on: every open deal is won the next day
        store.con.execute("""
            INSERT INTO opportunity_history (history_id, opportunity_id, changed_at, stage, amount, close_date)
            SELECT 'later-' || opportunity_id, opportunity_id, TIMESTAMP '2026-06-01 10:00', 'closed_won',
                   amount, DATE '2026-06-01' FROM opportunities WHERE stage NOT IN ('closed_won', 'closed_lost')""")
        store.con.execute("UPDATE opportunities SET stage = 'closed_won', close_date = DATE '2026-06-01' "
                          "WHERE stage NOT IN ('closed_won', 'closed_lost')")
        assert value(store, "open_pipeline") == 0
        as_of = value(store, "open_pipeline", as_of=day)
        weighted = value(store, "weighted_pipeline", as_of=day)
        stored = store.query("SELECT sum(amount) AS a, sum(amount * probability) AS w, count(*) AS n "
                             "FROM _pipeline_snapshots WHERE snapshot_date = ?", [day])[0]
    assert as_of == pytest.approx(stored["a"]) == pytest.approx(snap["open_pipeline"])
    assert weighted == pytest.approx(stored["w"])


def test_a_snapshot_taken_twice_replaces_the_day(tmp_path):
    from revops.demo.builder import build_demo
    from revops.engines.metrics.snapshot import take_snapshot
    from revops.model import load_model
    from revops.store import Store

    with Store(tmp_path / "s.duckdb") as store:
        build_demo(store, "small", seed=5, today=date(2026, 5, 31))
        first = take_snapshot(store, load_model(None), "2026-05-31")
        again = take_snapshot(store, load_model(None), "2026-05-31")
        earlier = take_snapshot(store, load_model(None), "2026-03-31")
        rows = store.query("SELECT snapshot_date, count(*) AS n FROM _pipeline_snapshots GROUP BY 1 ORDER BY 1")
    assert first == again
    assert [(r["snapshot_date"], r["n"]) for r in rows] == [(date(2026, 3, 31), earlier["deals"]),
                                                          (date(2026, 5, 31), first["deals"])]
