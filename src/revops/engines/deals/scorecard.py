"""What a hygiene report adds up to: the headline, a data-quality score per rep, and how
complete each required field is in each stage.

- **Headline** ("deals at risk: 7 deals, $400K, stale > 14 days"): open deals flagged by the
  rules marked ``at_risk: true`` (the default: ``no_recent_activity``), their number and amount,
  and the rules' labels. Without such a rule, the open deals with a critical finding.
- **Data-quality score per rep**: the share of the rep's open deals with no critical or
  warning finding (0-100), next to the completeness of the fields their stages require and
  the findings by severity. One number a rep can move by cleaning their own deals.
- **Completeness per field and stage**: of the deals in each stage, the share with each
  field filled (not null, not blank), for every field some stage requires; ``required`` says
  whether this stage requires it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from revops.engines.deals.hygiene import HygieneReport

CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$"}
FLAGGING = ("critical", "warning")


def money(amount: float, currency: str = "USD") -> str:
    """$400K, $1.2M, €950: amounts as a headline shows them."""
    sign = CURRENCY_SIGNS.get(currency.upper())
    value = abs(amount)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= limit:
            text = f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
            break
    else:
        text = f"{value:.0f}"
    text = f"{sign}{text}" if sign else f"{currency.upper()} {text}"
    return f"-{text}" if amount < 0 else text


@dataclass(frozen=True)
class Headline:
    deals: int
    amount: float
    rules: tuple[str, ...]
    checked: bool
    text: str

    def row(self) -> dict[str, Any]:
        return {"deals": self.deals, "amount": self.amount, "rules": list(self.rules), "checked": self.checked,
                "text": self.text}


def headline(report: HygieneReport, model: Any) -> Headline:
    """Deals at risk: open deals flagged by the at-risk rules (see the module's notes)."""
    status = {s.key: s for s in report.rules}
    keys = [k for k in report.at_risk_rules if k in status]
    currency = model.company.currency
    if keys:
        labels = " or ".join((status[k].label or k).lower() for k in keys)
        if not any(status[k].checked for k in keys):
            why = "; ".join((status[k].note or "").removeprefix("not checked: ") for k in keys)
            return Headline(0, 0.0, tuple(keys), False, f"deals at risk: {labels} not checked ({why})")
        chosen = set(keys)
        why_words = labels
    else:
        chosen = {s.key for s in report.rules if s.severity == "critical"}
        why_words = "critical findings"
    open_deals = _open_amounts(report)
    flagged = {f["opportunity_id"] for f in report.findings if f["rule"] in chosen and f["opportunity_id"] in open_deals}
    amount = float(sum(open_deals[d] or 0.0 for d in flagged))
    return Headline(len(flagged), amount, tuple(sorted(chosen)), True,
                    f"deals at risk: {len(flagged):,} deal{'s' * (len(flagged) != 1)}, {money(amount, currency)}, "
                    f"{why_words}")


def rep_scores(report: HygieneReport, model: Any, names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per owner of open deals, the lowest data-quality score first."""
    names = names or {}
    deals = report.deals.filter(report.deals["is_open"]).to_pylist()
    by_owner: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for d in deals:
        by_owner[d["owner_id"]].append(d)
    open_ids = {d["opportunity_id"] for d in deals}
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: {"critical": 0, "warning": 0, "info": 0})
    flagged: dict[Any, set[str]] = defaultdict(set)
    for f in report.findings:
        if f["opportunity_id"] in open_ids:
            counts[f["owner_id"]][f["severity"]] += 1
            if f["severity"] in FLAGGING:
                flagged[f["owner_id"]].add(f["opportunity_id"])
    required = {s.key: tuple(s.required_fields) for s in model.pipeline.stages}
    rows = []
    for owner, own in by_owner.items():
        need = sum(len(required.get(d["stage"], ())) for d in own)
        have = sum(1 for d in own for f in required.get(d["stage"], ()) if d[f"filled:{f}"])
        clean = len(own) - len(flagged[owner])
        rows.append({"owner_id": owner, "name": names.get(owner) if owner is not None else None,
                     "open_deals": len(own), "open_amount": float(sum(d["amount"] or 0.0 for d in own)),
                     **counts[owner], "clean_deals": clean,
                     "data_quality_score": round(100.0 * clean / len(own), 1),
                     "completeness": round(100.0 * have / need, 1) if need else None})
    rows.sort(key=lambda r: (r["data_quality_score"], r["owner_id"] is None, str(r["owner_id"])))
    return rows


def completeness(report: HygieneReport, model: Any) -> list[dict[str, Any]]:
    """One row per stage and field some stage requires: deals in the stage, how many have it."""
    fields = report.required_fields
    if not fields:
        return []
    table = report.deals.group_by("stage").aggregate(
        [("opportunity_id", "count"), *[(f"filled:{f}", "sum") for f in fields]])
    by_stage = {r["stage"]: r for r in table.to_pylist()}
    rows = []
    for s in model.pipeline.stages:
        found = by_stage.get(s.key)
        deals = int(found["opportunity_id_count"]) if found else 0
        for f in fields:
            filled = int(found[f"filled:{f}_sum"] or 0) if found else 0
            rows.append({"stage": s.key, "field": f, "required": f in s.required_fields, "deals": deals,
                         "filled": filled, "completeness": round(100.0 * filled / deals, 1) if deals else None})
    return rows


def _open_amounts(report: HygieneReport) -> dict[str, float | None]:
    open_deals = report.deals.filter(report.deals["is_open"]).select(["opportunity_id", "amount"]).to_pydict()
    return dict(zip(open_deals["opportunity_id"], open_deals["amount"]))
