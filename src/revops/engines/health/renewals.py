"""The renewal forecast: each customer's next renewal, its ARR, and the risk its health
score puts on it.

Next renewal: the earliest ``end_date`` after the day among the account's live subscriptions
when the contract has one; otherwise the next anniversary of the account's first live
subscription's start (subscriptions renew yearly). ARR: 12 x the live subscriptions' MRR.
Risk follows ``revops health``'s churn-risk flag (``at_risk``: an at-risk band, or one measure
under ``critical_below``): high when the account is flagged (its ARR is at risk), medium when
it is not but its band is the one just above an at-risk band, low otherwise; unknown without a
score.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from revops.engines.health.inputs import CUSTOMERS_SQL
from revops.engines.health.score import HealthReport
from revops.model.sections.operations import Health

RENEWAL_COLUMNS = ("account_id", "account_name", "renewal_date", "days_to_renewal", "arr", "score", "band",
                   "at_risk", "risk", "arr_at_risk", "reasons")


def next_anniversary(start: date, day: date) -> date:
    """The first anniversary of ``start`` on or after ``day`` (29 February renews on the 28th)."""
    years = max(day.year - start.year, 1)
    while True:
        try:
            d = start.replace(year=start.year + years)
        except ValueError:
            d = date(start.year + years, 2, 28)
        if d >= day:
            return d
        years += 1


def risk_of(health: Health, band: str | None, at_risk: bool) -> str:
    """The renewal's risk: ``high`` when the account carries the churn-risk flag, ``medium``
    when its band is the one above an at-risk band, ``low`` otherwise, ``unknown`` without a
    score (no band)."""
    if band is None:
        return "unknown"
    if at_risk:
        return "high"
    keys = [b.key for b in sorted(health.bands, key=lambda b: b.min)]
    if band not in keys or band in health.at_risk_bands:
        return "low"
    below = keys.index(band) - 1
    return "medium" if below >= 0 and keys[below] in health.at_risk_bands else "low"


def renewal_forecast(con, health: Health, report: HealthReport, within_days: int = 180) -> list[dict[str, Any]]:
    """Renewals due in the ``within_days`` after ``report.as_of``, soonest first."""
    frame = con.execute(CUSTOMERS_SQL, {"day": report.as_of}).df().set_index("account_id")
    by_id = {r["account_id"]: r for r in report.rows}
    day = report.as_of
    out = []
    for account_id, f in frame.iterrows():
        r = by_id.get(account_id)
        if r is None:
            continue
        end = f["contract_end"]
        if pd.notna(end):
            renewal = pd.Timestamp(end).date()
        else:
            renewal = next_anniversary(pd.Timestamp(f["customer_since"]).date(), day)
        days = (renewal - day).days
        if days > within_days:
            continue
        risk = risk_of(health, r["band"], bool(r["at_risk"]))
        arr = float(f["arr"] or 0.0)
        out.append({"account_id": account_id, "account_name": r["account_name"], "renewal_date": renewal,
                    "days_to_renewal": days, "arr": round(arr, 2), "score": r["score"], "band": r["band"],
                    "at_risk": bool(r["at_risk"]), "risk": risk, "arr_at_risk": round(arr, 2) if risk == "high" else 0.0,
                    "reasons": r["reasons"]})
    out.sort(key=lambda x: (x["renewal_date"], x["account_id"]))
    return out

