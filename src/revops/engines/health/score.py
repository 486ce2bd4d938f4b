"""The health score: every customer account's measures, as of a day, into one 0-100 score,
its band, the trend against ``trend_days`` before, and the reasons.

    score = sum(weight * measure score) / sum(weight)   over the measures with data

A measure without data for an account (or whose input the store does not hold at all) is
named in ``not_measured`` and its weight is spread over the others; if no measure has data
the account has no score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from revops.engines.health.inputs import CUSTOMERS_SQL, read_input
from revops.engines.health.reasons import NO_DATA, not_measured, reason
from revops.model.sections.operations import Health

HEALTH_COLUMNS = ("account_id", "account_name", "score", "band", "trend", "trend_delta", "score_before",
                  "at_risk", "reasons", "not_measured", "measures")
"""The rows of ``revops health``: the contract is account_id, score, band, trend, reasons."""


@dataclass(frozen=True)
class HealthRequest:
    as_of: date
    accounts: tuple[str, ...] = ()
    bands: tuple[str, ...] = ()


@dataclass
class HealthReport:
    as_of: date
    rows: list[dict[str, Any]]
    unmeasured_inputs: dict[str, str] = field(default_factory=dict)
    """Measures no account could be measured on, and why (the store lacks their data)."""


def band_of(health: Health, score: float | None) -> str | None:
    """The band holding ``score`` (rounded to a whole point); in a gap, the band below it."""
    if score is None or not health.bands:
        return None
    points = round(score)
    for b in health.bands:
        if b.min <= points <= b.max:
            return b.key
    below = [b for b in health.bands if b.max < points]
    return max(below, key=lambda b: b.max).key if below else min(health.bands, key=lambda b: b.min).key


def _tables(con) -> dict[str, set[str]]:
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_schema = 'main'").fetchall()
    out: dict[str, set[str]] = {}
    for t, c in rows:
        out.setdefault(t, set()).add(c)
    return out


def measure_frame(con, health: Health, day: date, currency: str = "") -> tuple[pd.DataFrame, dict[str, str]]:
    """Per customer account on ``day``: each measure's 0-100 score (NaN: not measured), the
    weighted score, and the text of each measure's reason or why it was not measured."""
    customers = con.execute(CUSTOMERS_SQL, {"day": day}).df().set_index("account_id")
    tables = _tables(con)
    frame = pd.DataFrame(index=customers.index)
    unmeasured: dict[str, str] = {}
    total = pd.Series(0.0, index=frame.index)
    weights = pd.Series(0.0, index=frame.index)
    for m in health.measures:
        if m.reads is None:
            unmeasured[m.key] = "the measure does not say what it reads (reads:)"
            frame[f"{m.key}:score"] = float("nan")
            frame[f"{m.key}:why"] = unmeasured[m.key]
            continue
        reading = read_input(con, tables, m, day)
        if reading.missing:
            unmeasured[m.key] = reading.missing
        values = reading.values.reindex(frame.index)
        scores = values["value"].map(lambda v: m.score(v) if pd.notna(v) else float("nan"))
        frame[f"{m.key}:score"] = scores
        measured = scores.notna()
        total += scores.fillna(0) * m.weight
        weights += measured * m.weight
        texts = [reason(m, row, currency) if ok else (reading.missing or NO_DATA[m.reads])
                 for ok, row in zip(measured, values.to_dict("records"))]
        frame[f"{m.key}:why"] = texts
    frame["score"] = (total / weights).where(weights > 0)
    frame["arr"] = customers["arr"]
    frame["contract_end"] = customers["contract_end"]
    frame["customer_since"] = customers["customer_since"]
    return frame, unmeasured


def score_accounts(con, health: Health, request: HealthRequest, *, currency: str = "",
                   names: dict[str, str] | None = None) -> HealthReport:
    """Every customer account on ``request.as_of`` (or those asked for), scored."""
    now, unmeasured = measure_frame(con, health, request.as_of, currency)
    before, _ = measure_frame(con, health, request.as_of - timedelta(days=health.trend_days), currency)
    rows = []
    for account_id, r in now.iterrows():
        if request.accounts and account_id not in request.accounts:
            continue
        score = None if pd.isna(r["score"]) else round(float(r["score"]))
        band = band_of(health, score)
        if request.bands and band not in request.bands:
            continue
        prior = before["score"].get(account_id)
        prior = None if prior is None or pd.isna(prior) else round(float(prior))
        rows.append({
            "account_id": account_id,
            "account_name": (names or {}).get(account_id),
            "score": score, "band": band,
            **_trend(health, score, prior),
            "at_risk": at_risk(health, band, [r[f"{m.key}:score"] for m in health.measures]),
            "reasons": _reasons(health, r),
            "not_measured": [not_measured(m, r[f"{m.key}:why"], 0) for m in health.measures
                             if pd.isna(r[f"{m.key}:score"])],
            "measures": {m.key: (None if pd.isna(r[f"{m.key}:score"]) else round(float(r[f"{m.key}:score"])))
                         for m in health.measures},
        })
    rows.sort(key=lambda x: (x["score"] is None, x["score"] if x["score"] is not None else 0, x["account_id"]))
    return HealthReport(request.as_of, rows, unmeasured)


def at_risk(health: Health, band: str | None, measure_scores: list[float]) -> bool:
    """A churn risk: the score is in an at-risk band, or one measure scores under
    ``critical_below``."""
    critical = any(pd.notna(s) and s < health.critical_below for s in measure_scores)
    return band in health.at_risk_bands or critical


def _trend(health: Health, score: int | None, prior: int | None) -> dict[str, Any]:
    if score is None or prior is None:
        return {"trend": "new" if prior is None and score is not None else None, "trend_delta": None,
                "score_before": prior}
    delta = score - prior
    word = "flat" if abs(delta) <= health.flat_within else "up" if delta > 0 else "down"
    return {"trend": word, "trend_delta": delta, "score_before": prior}


def _reasons(health: Health, r: pd.Series) -> list[str]:
    """The measures scoring under ``reason_below``, the most points lost first."""
    low = []
    for m in health.measures:
        s = r[f"{m.key}:score"]
        if pd.notna(s) and s < health.reason_below:
            low.append((m.weight * (100 - s), r[f"{m.key}:why"]))
    return [text for _, text in sorted(low, key=lambda x: -x[0])]
