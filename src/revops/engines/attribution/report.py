"""Attribution as rows a RevOps team reads: credit per channel or campaign, with cost and ROI.

Every row has ``channel``, ``conversions`` and ``value`` (the contract of ``revops
attribution``). From the store the rows also carry what the company spent:

- ``cost``: ``campaigns.cost``, of the campaign (``--by campaign``) or summed over the
  campaigns of the channel (``--by channel``); empty when no campaign records a cost.
- ``cost_per_conversion``: cost / conversions credited.
- ``roi``: (value - cost) / cost, when the value is money (``--conversion pipeline`` or
  ``revenue``): 2.0 means every dollar spent came back as three dollars of pipeline or
  revenue. Empty for ``--conversion opportunity`` (the value is a count, not money).

Campaigns (and their channels) with a cost but no touch get a row with 0 conversions: spend
nothing came of is what a budget review looks for first. Rows are sorted by conversions,
then value, most first.
"""

from __future__ import annotations

from typing import Any

from revops.engines.attribution.credit import ChannelCredit
from revops.engines.attribution.touches import NO_CAMPAIGN, StoredJourneys

MONEY = ("pipeline", "revenue")


def rows(credit: ChannelCredit, stored: StoredJourneys | None = None) -> list[dict[str, Any]]:
    """One row per channel (or campaign) of ``credit``; with ``stored``, cost and ROI too."""
    out = []
    for i, name in enumerate(credit.channels):
        row: dict[str, Any] = {"channel": name, "conversions": float(credit.conversions[i]),
                               "value": float(credit.value[i])}
        if credit.removal_effect is not None:
            row["removal_effect"] = float(credit.removal_effect[i])
        out.append(row)
    if stored is not None:
        out = _with_cost(out, credit, stored)
    return sorted(out, key=lambda r: (-r["conversions"], -r["value"], str(r.get("campaign_id") or r["channel"])))


def _with_cost(out: list[dict[str, Any]], credit: ChannelCredit, stored: StoredJourneys) -> list[dict[str, Any]]:
    campaigns = stored.campaigns
    money = stored.request.conversion in MONEY
    extra = {"removal_effect": 0.0} if credit.removal_effect is not None else {}
    if stored.request.by == "campaign":
        seen = {r["channel"] for r in out}
        out += [{"channel": cid, "conversions": 0.0, "value": 0.0, **extra}
                for cid, c in campaigns.items() if cid not in seen and c["cost"]]
        for r in out:
            cid = r.pop("channel")
            campaign = campaigns.get(cid, {})
            known = cid != NO_CAMPAIGN
            r.update(campaign_id=cid if known else None,
                     campaign=campaign.get("name") if known else NO_CAMPAIGN,
                     channel=campaign.get("channel"), cost=campaign.get("cost"))
        out = [{k: r[k] for k in ("campaign_id", "campaign", "channel")} | r for r in out]
    else:
        cost: dict[str, float] = {}
        for c in campaigns.values():
            if c["channel"] is not None and c["cost"] is not None:
                cost[c["channel"]] = cost.get(c["channel"], 0.0) + float(c["cost"])
        seen = {r["channel"] for r in out}
        out += [{"channel": ch, "conversions": 0.0, "value": 0.0, **extra}
                for ch, total in cost.items() if ch not in seen and total]
        for r in out:
            r["cost"] = cost.get(r["channel"])
    for r in out:
        spent = r["cost"]
        r["cost_per_conversion"] = spent / r["conversions"] if spent is not None and r["conversions"] > 0 else None
        r["roi"] = (r["value"] - spent) / spent if money and spent else None
    return out
