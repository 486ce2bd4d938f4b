"""Deals at risk, as the weekly report and the dashboard list them: the open deals flagged by
the headline's rules (``revops.engines.deals.scorecard.headline``), the largest first, with
why each is flagged; and a hygiene report cut down to some owners."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from revops.engines.deals.hygiene import HygieneReport
from revops.engines.deals.scorecard import Headline, headline


def at_risk_deals(report: HygieneReport, model: Any, limit: int | None = None) -> tuple[Headline, list[dict[str, Any]]]:
    """(the headline, the flagged open deals: opportunity_id, owner_id, stage, amount, why)."""
    top = headline(report, model)
    open_deals = {d["opportunity_id"]: d for d in report.deals.filter(report.deals["is_open"])
                  .select(["opportunity_id", "owner_id", "stage", "amount"]).to_pylist()}
    labels = {s.key: s.label or s.key for s in report.rules}
    reasons: dict[str, list[str]] = defaultdict(list)
    for f in report.findings:
        if f["rule"] in top.rules and f["opportunity_id"] in open_deals:
            reasons[f["opportunity_id"]].append(labels[f["rule"]])
    flagged = sorted(reasons, key=lambda d: (-(open_deals[d]["amount"] or 0.0), d))
    if limit is not None:
        flagged = flagged[:limit]
    return top, [{**open_deals[d], "why": ", ".join(dict.fromkeys(reasons[d]))} for d in flagged]


def for_owners(report: HygieneReport, owners: frozenset[str] | None) -> HygieneReport:
    """``report`` with only the deals and findings of ``owners`` (None: unchanged)."""
    if owners is None:
        return report
    keep = pa.array(sorted(owners), type=pa.string())
    deals = report.deals.filter(pc.is_in(report.deals["owner_id"].cast(pa.string()), value_set=keep))
    return dataclasses.replace(report, deals=deals,
                               findings=[f for f in report.findings if f.get("owner_id") in owners])
