"""The calibration report: does a higher score band really convert more? The seeds ask RevOps
to "review and calibrate quarterly"; this is the table to review.

Leads whose outcome is known are scored as they stood shortly after they arrived (``days``
after ``created_at``, 7 by default: when they were routed and worked), with the rules and,
when one is active, the predictive model — the very score ``revops score`` computes, only as
of that moment. Scoring them as of today would mislead: their intent and engagement points
have decayed since, and sales activity after the hand-off would flatter the leads that
converted.

A lead's outcome is known when ``converted`` is set and it arrived at least ``settle_days``
before the newest lead (by default the days within which 95% of conversions happened, the
rule the predictive model trains by), so recent leads still in play do not count as lost.

Each band of ``scoring.bands`` gets its leads, conversions and conversion rate. A band that
does not convert better than the band below it is flagged: its leads are not better than
the score says, so the rules (or the band's threshold) need another look.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from revops.engines.scoring.combined import SCORES, score_leads
from revops.errors import RevopsError
from revops.store import Store

CALIBRATION_LEADS = "_calibration_leads"
DEFAULT_DAYS = 7.0
GUIDANCE = ("Review and calibrate quarterly: conversion should rise from band to band. Where it does not, "
            "look at the rules that put leads in that band (`revops score explain LEAD_ID`), move the band "
            "limits or scoring.mql_threshold, and compare again next quarter.")


@dataclass
class BandCalibration:
    band: str
    label: str
    min: float
    max: float
    leads: int
    converted: int
    conversion_rate: float | None
    avg_score: float | None
    avg_predicted_conversion: float | None
    increasing: bool | None
    """Converts better than the nearest lower band with leads (None for the lowest such band)."""


@dataclass
class CalibrationReport:
    as_of: datetime
    days_after_created: float
    settle_days: float
    leads: int
    converted: int
    conversion_rate: float | None
    bands: list[BandCalibration]
    mql_threshold: float
    mql_conversion_rate: float | None
    below_mql_conversion_rate: float | None
    flags: list[str] = field(default_factory=list)
    guidance: str = GUIDANCE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rows(self) -> list[dict[str, Any]]:
        return [asdict(b) for b in self.bands]


def calibration_report(store: Store, model: Any, now: datetime, *, days: float = DEFAULT_DAYS,
                       settle_days: float | None = None) -> CalibrationReport:
    """Score band against actual conversion for the stored leads with a known outcome."""
    if not model.scoring.bands:
        raise RevopsError("the revenue model has no scoring.bands to calibrate; add bands (e.g. hot, warm, "
                          "engaged, cold) to scoring in revops.yaml")
    if settle_days is None:
        from revops.engines.scoring.training import settle_days as conversion_settle_days

        settle_days = conversion_settle_days(store)
    con = store.con
    newest = con.execute("SELECT max(created_at) FROM leads").fetchall()[0][0]
    settled_by = (newest or now) - timedelta(days=settle_days)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CALIBRATION_LEADS} AS SELECT *, "
        f"least(created_at + to_microseconds(CAST(? AS BIGINT)), CAST(? AS TIMESTAMP)) AS scored_at__ "
        "FROM leads WHERE converted IS NOT NULL AND created_at IS NOT NULL AND created_at <= ?",
        [int(days * 86_400_000_000), now, settled_by])
    try:
        score_leads(store, model, now, relation=CALIBRATION_LEADS, as_of_column="scored_at__")
        rows = store.query(
            f"SELECT s.band, count(*) AS leads, count(*) FILTER (WHERE c.converted) AS converted, "
            f"avg(s.score) AS avg_score, avg(s.predicted_conversion) AS avg_predicted "
            f"FROM {SCORES} s JOIN {CALIBRATION_LEADS} c ON c.lead_id = s.lead_id GROUP BY s.band")
        threshold = float(model.scoring.mql_threshold)
        mql = store.query(
            f"SELECT s.mql, count(*) AS leads, count(*) FILTER (WHERE c.converted) AS converted "
            f"FROM {SCORES} s JOIN {CALIBRATION_LEADS} c ON c.lead_id = s.lead_id GROUP BY s.mql")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {CALIBRATION_LEADS}")
        con.execute(f"DROP TABLE IF EXISTS {SCORES}")
    by_band = {r["band"]: r for r in rows}
    bands: list[BandCalibration] = []
    flags: list[str] = []
    below: BandCalibration | None = None
    for b in sorted(model.scoring.bands, key=lambda b: b.min):
        r = by_band.get(b.key, {})
        n, won = int(r.get("leads") or 0), int(r.get("converted") or 0)
        rate = won / n if n else None
        increasing = None
        if rate is not None and below is not None:
            increasing = rate > below.conversion_rate
            if not increasing:
                flags.append(f"{b.label or b.key} ({b.min:g}-{b.max:g}) converts {rate:.1%} of {n:,} leads, "
                             f"not above {below.label or below.band} ({below.conversion_rate:.1%} of {below.leads:,})")
        band = BandCalibration(b.key, b.label or b.key, b.min, b.max, n, won, rate, _rounded(r.get("avg_score"), 2),
                               _rounded(r.get("avg_predicted"), 4), increasing)
        bands.append(band)
        if rate is not None:
            below = band
    total = sum(b.leads for b in bands)
    won = sum(b.converted for b in bands)
    by_mql = {bool(r["mql"]): r for r in mql}

    def rate_of(flag: bool) -> float | None:
        r = by_mql.get(flag)
        return r["converted"] / r["leads"] if r and r["leads"] else None

    if not total:
        flags.append(f"no lead has a known outcome yet (converted set and created more than {settle_days:g} days "
                     "before the newest lead); nothing to calibrate")
    return CalibrationReport(now, days, float(settle_days), total, won, won / total if total else None, bands,
                             threshold, rate_of(True), rate_of(False), flags)


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)
