"""Reasons in an account manager's words: what each measure saw that pulled the score down,
and why a measure could not be measured."""

from __future__ import annotations

import math
from typing import Any

from revops.model.sections.operations import HealthMeasure


def _n(value: Any) -> float:
    return 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _is_day(value: Any) -> bool:
    import pandas as pd

    return hasattr(value, "strftime") and not pd.isna(value)


def _plural(n: float, word: str) -> str:
    k = int(round(n))
    return f"{k} {word}" + ("" if k == 1 else "s")


def reason(m: HealthMeasure, row: dict[str, Any], currency: str = "") -> str:
    """The sentence for ``m`` of one account, from the values its input read."""
    v = _n(row.get("value"))
    if m.reads == "usage_trend":
        change = (v - 1) * 100
        word = "down" if change < 0 else "up"
        return (f"usage down {abs(change):.0f}% vs its {m.baseline_days}-day baseline" if change < 0 else
                f"usage {word} {change:.0f}% vs its {m.baseline_days}-day baseline") + f" ({m.metric})"
    if m.reads == "seat_utilisation":
        return (f"{_n(row.get('active')):.0f} of {_n(row.get('seats')):.0f} seats in use ({v * 100:.0f}%)")
    if m.reads == "engagement":
        return f"{_plural(v, 'activity')} with the account in {m.window_days} days".replace("activitys", "activities")
    if m.reads == "support_tickets":
        parts = [_plural(_n(row.get("open_tickets")), "open ticket")]
        esc = _n(row.get("escalated"))
        if esc:
            parts.append(f"{_plural(esc, 'escalation')} in {m.window_days} days")
        return ", ".join(parts)
    if m.reads == "nps":
        kind = "detractor" if v <= 6 else "passive" if v <= 8 else "promoter"
        when = row.get("answered_at")
        on = f" on {when:%Y-%m-%d}" if _is_day(when) else ""
        return f"latest NPS {v:.0f} ({kind}){on}"
    if m.reads == "payment_status":
        amount = _n(row.get("overdue_amount"))
        money = f" ({amount:,.0f}{' ' + currency if currency else ''})" if amount else ""
        text = f"{_plural(_n(row.get('overdue_invoices')), 'invoice')} overdue{money}"
        days = _n(row.get("days_overdue"))
        return text + (f", the oldest {days:.0f} days past due" if days and m.overdue_by != "invoices" else "")
    if m.reads == "champion_change":
        who = row.get("champion")
        who = who.strip() if isinstance(who, str) and who.strip() else "the champion"
        left = row.get("left_at")
        on = f" on {left:%Y-%m-%d}" if _is_day(left) else f" {_n(row.get('days_since')):.0f} days ago"
        return f"champion {who} left{on}, no new champion named"
    return f"{m.label or m.key}: {v:g}"


def not_measured(m: HealthMeasure, why: str, weight_share: float) -> str:
    return f"{m.label or m.key} not measured: {why} (its {m.weight:.0%} weight spread over the measured ones)"


NO_DATA = {
    "usage_trend": "no usage in the window or the baseline before it",
    "seat_utilisation": "no active_users usage in the window, or no seats on the subscriptions",
    "engagement": "not a customer on the day",
    "support_tickets": "not a customer on the day",
    "nps": "no NPS answer in the window",
    "payment_status": "no invoices for the account",
    "champion_change": "no contact with role champion",
}
"""Why a measure whose input the store has is not measured for one account."""
