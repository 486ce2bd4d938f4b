"""The MRR bridge on the hand-built histories of conftest.py (the table there): every number
below is worked out by hand from it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revops.engines.revenue import MOVEMENTS, mrr_bridge
from revops.errors import MetricError
from tests.engines.revenue.conftest import D, sub

COLUMNS = ["opening_mrr", "new", "expansion", "contraction", "churn", "reactivation", "mrr"]


def bridge(session, **kw):
    frame = mrr_bridge(session, **kw)
    keys = [c for c in frame.columns if c not in COLUMNS]
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: [r[c] for c in COLUMNS]
            for r in frame.to_dict("records")}


def reconciles(rows) -> bool:
    """Each row's opening + movements = mrr, and each opening the previous row's mrr, exactly
    in decimal (as a reader adds the printed numbers)."""
    previous = None
    for opening, *moved, mrr in rows:
        if previous is not None and Decimal(str(opening)) != Decimal(str(previous)):
            return False
        if Decimal(str(opening)) + sum(Decimal(str(m)) for m in moved) != Decimal(str(mrr)):
            return False
        previous = mrr
    return True


def test_monthly_bridge_of_the_hand_built_histories(histories, session_of):
    #                  opening   new  expansion contraction churn reactivation   mrr
    assert bridge(session_of(histories), period="month") == {
        "2025-01": [0.0, 850.0, 0.0, 0.0, 0.0, 0.0, 850.0],
        "2025-02": [850.0, 0.0, 40.0, 0.0, 0.0, 0.0, 890.0],      # umbrella's overlapping add-on
        "2025-03": [890.0, 0.0, 60.0, -70.0, -100.0, 0.0, 780.0],  # acme -20 and initech -50; wayne's credit
        "2025-04": [780.0, 0.0, 0.0, -40.0, -50.0, 100.0, 790.0],  # add-on ends; hooli churns; wayne back
        "2025-05": [790.0, 90.0, 0.0, 0.0, 0.0, 0.0, 880.0],       # stark starts May 20
        "2025-06": [880.0, 0.0, 0.0, 0.0, 0.0, 70.0, 950.0],       # hooli comes back
        "2025-07": [950.0, 0.0, 0.0, 0.0, 0.0, 0.0, 950.0],        # hooli's gap inside July is not seen
        "2025-08": [950.0, 0.0, 0.0, 0.0, -90.0, 0.0, 860.0],      # stark ends August 5
        "2025-09": [860.0, 0.0, 0.0, 0.0, 0.0, 0.0, 860.0],
    }


def test_an_upgrade_and_a_downgrade_in_the_same_month_net_to_the_month_end_change(gtm, session_of):
    store = gtm(subscriptions=[sub("a1", "acme", D(2025, 1, 1), D(2025, 3, 10), 100.0),
                               sub("a2", "acme", D(2025, 3, 10), D(2025, 3, 20), 150.0),
                               sub("a3", "acme", D(2025, 3, 20), None, 80.0)])
    rows = bridge(session_of(store), period="month", end="2025-04-30")
    assert rows["2025-03"] == [100.0, 0.0, 0.0, -20.0, 0.0, 0.0, 80.0]
    assert rows["2025-04"] == [80.0, 0.0, 0.0, 0.0, 0.0, 0.0, 80.0]


def test_quarters_sum_their_months_and_close_on_the_last(histories, session_of):
    assert bridge(session_of(histories), period="quarter") == {
        "2025-Q1": [0.0, 850.0, 100.0, -70.0, -100.0, 0.0, 780.0],
        "2025-Q2": [780.0, 90.0, 0.0, -40.0, -50.0, 170.0, 950.0],
        "2025-Q3": [950.0, 0.0, 0.0, 0.0, -90.0, 0.0, 860.0],
    }


def test_each_segment_bridges_on_its_own(histories, session_of):
    rows = bridge(session_of(histories), period="quarter", by="segment")
    assert rows == {
        ("2025-Q1", "enterprise"): [0.0, 250.0, 40.0, 0.0, -100.0, 0.0, 190.0],
        ("2025-Q1", "smb"): [0.0, 600.0, 60.0, -70.0, 0.0, 0.0, 590.0],
        ("2025-Q2", "enterprise"): [190.0, 90.0, 0.0, -40.0, -50.0, 170.0, 360.0],
        ("2025-Q2", "smb"): [590.0, 0.0, 0.0, 0.0, 0.0, 0.0, 590.0],
        ("2025-Q3", "enterprise"): [360.0, 0.0, 0.0, 0.0, -90.0, 0.0, 270.0],
        ("2025-Q3", "smb"): [590.0, 0.0, 0.0, 0.0, 0.0, 0.0, 590.0],
    }


def test_from_opens_on_the_mrr_of_the_month_before(histories, session_of):
    rows = bridge(session_of(histories), period="month", start="2025-03-01", end="2025-04-30")
    assert rows == {"2025-03": [890.0, 0.0, 60.0, -70.0, -100.0, 0.0, 780.0],
                    "2025-04": [780.0, 0.0, 0.0, -40.0, -50.0, 100.0, 790.0]}
    by_segment = bridge(session_of(histories), period="month", start="2025-04-01", end="2025-04-30", by="segment")
    assert by_segment[("2025-04", "enterprise")][0] == 190.0 and by_segment[("2025-04", "smb")][0] == 590.0


def test_as_of_a_day_the_bridge_uses_only_what_was_known_then(histories, session_of):
    # March 15: acme's 150 (ends March 20, later) is still open and its 80 not started; initech
    # still pays 300; globex's 260 starts that day; March is measured on the 15th
    rows = bridge(session_of(histories, as_of="2025-03-15"), period="month")
    assert list(rows) == ["2025-01", "2025-02", "2025-03"]
    assert rows["2025-03"] == [890.0, 0.0, 110.0, 0.0, -100.0, 0.0, 900.0]


def test_a_credit_beyond_the_charges_is_zero_mrr_not_negative(gtm, session_of):
    store = gtm(subscriptions=[sub("w1", "wayne", D(2025, 1, 1), None, 100.0),
                               sub("w2", "wayne", D(2025, 3, 1), D(2025, 4, 1), -150.0)])
    rows = bridge(session_of(store), period="month", end="2025-04-30")
    assert rows["2025-03"] == [100.0, 0.0, 0.0, 0.0, -100.0, 0.0, 0.0]
    assert rows["2025-04"] == [0.0, 0.0, 0.0, 0.0, 0.0, 100.0, 100.0]
    assert reconciles(rows.values())


def test_amounts_below_a_cent_still_bridge_exactly_in_cents(gtm, session_of):
    # January's 10.004 shows as 10.00; February's 10.006 as 10.01, while its expansion of
    # 0.002 rounds to 0.00: the missing cent goes to the expansion, the one movement there is
    store = gtm(subscriptions=[sub("c1", "cents", D(2025, 1, 1), D(2025, 2, 1), 10.004),
                               sub("c2", "cents", D(2025, 2, 1), None, 10.006),
                               sub("t1", "thirds", D(2025, 3, 1), None, 100 / 3)])
    rows = bridge(session_of(store), period="month", end="2025-03-31")
    assert rows["2025-01"] == [0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 10.0]
    assert rows["2025-02"] == [10.0, 0.0, 0.01, 0.0, 0.0, 0.0, 10.01]
    assert rows["2025-03"] == [10.01, 33.33, 0.0, 0.0, 0.0, 0.0, 43.34]  # 10.006 + 33.333…
    assert reconciles(rows.values())


def test_every_row_reconciles_and_losses_are_negative(histories, session_of):
    for kw in ({"period": "month"}, {"period": "quarter", "by": "segment"}, {"period": "year"}):
        frame = mrr_bridge(session_of(histories), **kw)
        for _, group in frame.groupby(kw.get("by", lambda _: 0)):
            assert reconciles(group[COLUMNS].values.tolist())
        assert (frame.contraction <= 0).all() and (frame.churn <= 0).all()
        assert (frame[["new", "expansion", "reactivation"]] >= 0).all().all()


def test_the_bridge_reads_the_metrics_layer(histories, session_of):
    """One definition: the bridge's numbers are `revops metrics`' numbers."""
    session = session_of(histories)
    frame = mrr_bridge(session, period="quarter")
    metrics = session.compute(["mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
                               "reactivation_mrr"], period="quarter")
    table = {(r["metric"], r["period"]): r["value"] for r in metrics.to_dict("records")}
    for r in frame.to_dict("records"):
        assert r["mrr"] == table["mrr", r["period"]]
        assert r["new"] == table["new_mrr", r["period"]]
        assert r["churn"] == -table["churned_mrr", r["period"]]
        assert r["contraction"] == -table["contraction_mrr", r["period"]]


def test_a_breakdown_by_what_changes_every_month_is_refused(histories, session_of):
    with pytest.raises(MetricError, match="changes from month to month"):
        mrr_bridge(session_of(histories), by="movement")
    with pytest.raises(MetricError, match="changes from month to month"):
        mrr_bridge(session_of(histories), where="movement = 'churn'")
    with pytest.raises(MetricError, match="needs a period"):
        mrr_bridge(session_of(histories), period=None)


def test_no_subscriptions_gives_a_row_of_zeros(gtm, session_of):
    store = gtm(accounts=[{"account_id": "a"}])
    rows = bridge(session_of(store), period="month")
    assert list(rows.values()) == [[0.0] * 7]
    assert MOVEMENTS == ("new", "expansion", "contraction", "churn", "reactivation")
