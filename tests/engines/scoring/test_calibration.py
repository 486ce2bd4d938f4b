"""The calibration report: conversion by score band for the leads whose outcome is known, each
lead scored as it stood shortly after it arrived, with bands that do not convert better than
the band below flagged for the quarterly review.

Scores come from company size alone (1,000+ employees hot, 200-999 warm, 50-199 engaged,
smaller cold) unless a test adds event rules.
"""

from __future__ import annotations

from datetime import timedelta

from revops.engines.scoring.calibration import GUIDANCE, calibration_report
from tests.engines.scoring.lead_world import BANDS, NOW, days_before, lead_store, model_with, size_points_model, touch

SIZES = {"hot": 5000, "warm": 500, "engaged": 100, "cold": 10}


def cohort(band: str, leads: int, converted: int, *, created_days_ago: float = 200) -> list[dict]:
    return [{"lead_id": f"{band}{i}", "company_size": SIZES[band], "created_at": days_before(created_days_ago),
             "converted": i < converted} for i in range(leads)]


# the newest lead in the store, still open: outcomes settle relative to it
NEWEST = {"lead_id": "newest", "company_size": 10, "created_at": days_before(1)}


def test_conversion_by_band_with_the_bands_that_do_not_rise_flagged(tmp_path):
    model = size_points_model(tmp_path)
    store = lead_store(tmp_path, leads=cohort("hot", 10, 6) + cohort("warm", 10, 3) + cohort("engaged", 10, 5)
                       + cohort("cold", 20, 2) + [NEWEST])
    report = calibration_report(store, model, NOW, settle_days=30)
    rows = {b.band: b for b in report.bands}
    assert [(b.band, b.leads, b.converted) for b in report.bands] == [
        ("cold", 20, 2), ("engaged", 10, 5), ("warm", 10, 3), ("hot", 10, 6)]
    assert rows["cold"].conversion_rate == 0.1 and rows["hot"].conversion_rate == 0.6
    assert [rows[k].increasing for k in ("cold", "engaged", "warm", "hot")] == [None, True, False, True]
    assert report.flags == ["Warm (60-79) converts 30.0% of 10 leads, not above Engaged (50.0% of 10)"]
    assert (report.leads, report.converted, report.conversion_rate) == (50, 16, 0.32)
    # MQL is 60 and up: warm and hot convert 9 of 20; below, 7 of 30
    assert report.mql_conversion_rate == 0.45
    assert report.below_mql_conversion_rate == 7 / 30
    assert report.guidance == GUIDANCE and "quarterly" in report.guidance


def test_only_leads_whose_outcome_is_known_count(tmp_path):
    model = size_points_model(tmp_path)
    leads = cohort("hot", 4, 2) + [
        {"lead_id": "open", "company_size": 5000, "created_at": days_before(200), "converted": None},
        {"lead_id": "too_recent", "company_size": 5000, "created_at": days_before(10), "converted": False},
        {"lead_id": "newest", "company_size": 10, "created_at": days_before(1), "converted": False},
    ]
    store = lead_store(tmp_path, leads=leads)
    report = calibration_report(store, model, NOW, settle_days=30)
    # settled: created 30+ days before the newest lead (1 day old) and converted set
    assert report.leads == 4 and report.settle_days == 30
    assert {b.band: b.leads for b in report.bands} == {"hot": 4, "warm": 0, "engaged": 0, "cold": 0}


def test_leads_are_scored_as_they_stood_days_after_they_arrived(tmp_path):
    model = model_with(tmp_path, {"mql_threshold": 60, "bands": BANDS, "groups": [
        {"key": "fit", "cap": 100, "rules": [{"key": "mid_market", "when": "company_size >= 200", "points": 65}]},
        {"key": "intent", "cap": 30, "rules": [
            {"key": "form_fill", "table": "touches", "when": "touch_type = 'form_fill'", "points": 20}]}]})
    created = days_before(300)
    leads = [{"lead_id": "early", "company_size": 500, "created_at": created, "converted": True},
             {"lead_id": "late", "company_size": 500, "created_at": created, "converted": False}]
    touches = [touch("early", "form_fill", days_ago=0, now=created + timedelta(days=3)),
               touch("late", "form_fill", days_ago=0, now=created + timedelta(days=30))]
    store = lead_store(tmp_path, leads=[*leads, NEWEST], touches=touches)
    report = calibration_report(store, model, NOW, days=7, settle_days=30)
    # early: its form fill 3 days in counts (no decay): 65 + 20 = 85, hot
    # late: its form fill came after the first week -> 65, warm
    assert {b.band: (b.leads, b.converted) for b in report.bands if b.leads} == {"hot": (1, 1), "warm": (1, 0)}
    # as of today both would be 85: the report does not read today's scores
    at_arrival = calibration_report(store, model, NOW, days=0, settle_days=30)
    assert {b.band: b.leads for b in at_arrival.bands if b.leads} == {"warm": 2}


def test_no_known_outcome_says_there_is_nothing_to_calibrate(tmp_path):
    model = size_points_model(tmp_path)
    store = lead_store(tmp_path, leads=[{"lead_id": "l1", "company_size": 10, "created_at": days_before(2)}])
    report = calibration_report(store, model, NOW, settle_days=30)
    assert report.leads == 0 and report.conversion_rate is None
    assert report.flags and "no lead has a known outcome" in report.flags[0]
