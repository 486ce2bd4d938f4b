"""The process audit: is the motion written down (stages with exit criteria and requirements,
lifecycle definitions, SLAs, handoffs, routing), and is it followed — measured from the data:
open deals meeting their stage's requirements, stages skipped, SLA attainment, leads nobody
owns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

GATE_FIELDS = ("missing_required_fields", "failed_gates")
SKIP_FIELDS = ("skipped_stages",)


SALES_READY = ("mql", "sql", "sal")
"""Lead statuses someone must follow up: an unowned one has fallen through the cracks (new and
recycled leads are marketing's nurture, owned or not)."""


def process_audit(store: Any, model: Any, as_of: datetime, *, own_model: bool = True) -> dict[str, Any]:
    written = {**_written(model), "own_model": own_model}
    followed = _followed(store, model, as_of)
    return {"written": written, "followed": followed, "score": _score(written, followed)}


def _written(model: Any) -> dict[str, Any]:
    stages = [{"stage": s.key, "exit_criteria": bool(s.exit_criteria.strip()),
               "required_fields": len(s.required_fields), "gate": len(s.gate)}
              for s in model.pipeline.stages if not s.is_closed]
    lifecycle = [{"stage": s.key, "entry_criteria": bool(s.entry_criteria.strip())} for s in model.lifecycle.stages]
    slas = [{"sla": s.key, "label": s.label, "owner_team": s.owner_team, "start": s.start, "stop": s.stop,
             "duration": f"{s.duration:g} {s.unit}"} for s in model.slas]
    handoffs = model.handoffs
    written_share = sum(s["exit_criteria"] for s in stages) / len(stages) if stages else 0.0
    return {
        "stages": stages,
        "stages_with_exit_criteria": round(written_share, 4),
        "stages_with_requirements": sum(1 for s in stages if s["required_fields"] or s["gate"]),
        "lifecycle": lifecycle,
        "lifecycle_defined": bool(lifecycle),
        "slas": slas,
        "handoffs": {"sales_to_cs_fields": list(handoffs.sales_to_cs.required_fields),
                     "sales_to_cs_kickoff_sla": handoffs.sales_to_cs.kickoff_sla,
                     "expansion_sla": handoffs.expansion.sla},
        "routing_nodes": len(model.routing.nodes),
        "forecast_categories_defined": sum(1 for c in model.forecast_categories if c.definition.strip()),
    }


def _followed(store: Any, model: Any, as_of: datetime) -> dict[str, Any]:
    from revops.engines import metrics
    from revops.engines.deals.hygiene import HygieneRequest, check_hygiene

    report = check_hygiene(store.ibis, model, HygieneRequest())
    open_ids = ({i for i, o in zip(report.deals.column("opportunity_id").to_pylist(),
                                   report.deals.column("is_open").to_pylist()) if o}
                if report.deals.num_rows else set())
    open_deals = len(open_ids)
    by_rule = {r.key: r for r in report.rules}
    gate_rules = [r.key for r in model.hygiene.rules if any(f in r.when for f in GATE_FIELDS)]
    skip_rules = [r.key for r in model.hygiene.rules if any(f in r.when for f in SKIP_FIELDS)]
    gate_deals = {f["opportunity_id"] for f in report.findings if f["rule"] in gate_rules} & open_ids
    skip_deals = {f["opportunity_id"] for f in report.findings if f["rule"] in skip_rules} & open_ids
    skips_checked = any(by_rule[k].checked for k in skip_rules if k in by_rule)
    frame = metrics.compute(store.ibis, model, ["sla_attainment_rate"], by=["sla"])
    slas = [{"sla": r["sla"], "attainment": _plain(r["value"])} for _, r in frame.iterrows()]
    owned = store.con.execute(
        "SELECT count(*) FILTER (WHERE owner_id IS NULL), count(*) FROM leads "
        "WHERE NOT coalesce(converted, FALSE) AND disqualified_at IS NULL "
        "AND lower(status) IN (SELECT unnest(?::VARCHAR[]))", [list(SALES_READY)]).fetchall()[0]
    return {
        "open_deals": open_deals,
        "meeting_stage_requirements": _share(open_deals - len(gate_deals), open_deals),
        "deals_not_meeting_requirements": len(gate_deals),
        "skipped_a_stage": _share(len(skip_deals), open_deals) if skips_checked else None,
        "requirement_rules": [by_rule[k].row() for k in gate_rules + skip_rules if k in by_rule],
        "sla_attainment": slas,
        "sales_ready_leads": owned[1],
        "sales_ready_leads_without_owner": _share(owned[0], owned[1]),
    }


def _score(written: dict[str, Any], followed: dict[str, Any]) -> float | None:
    """0-100: half how much is written (stages with exit criteria, SLAs, lifecycle; nothing
    when the model in use is revops' default, not the company's), half how well it is
    followed (deals meeting requirements, mean SLA attainment, sales-ready leads owned), each
    over what could be measured."""
    parts_written = ([written["stages_with_exit_criteria"], 1.0 if written["slas"] else 0.0,
                      1.0 if written["lifecycle_defined"] else 0.0] if written["own_model"] else [0.0])
    attainments = [s["attainment"] for s in followed["sla_attainment"] if s["attainment"] is not None]
    unowned = followed["sales_ready_leads_without_owner"]
    parts_followed = [p for p in (followed["meeting_stage_requirements"],
                                  sum(attainments) / len(attainments) if attainments else None,
                                  None if unowned is None else 1 - unowned) if p is not None]
    if not parts_followed:
        return round(50 * sum(parts_written) / len(parts_written), 1)
    return round(50 * sum(parts_written) / len(parts_written) + 50 * sum(parts_followed) / len(parts_followed), 1)


def _share(part: int, whole: int) -> float | None:
    """part / whole; None when there is nothing to measure."""
    return round(part / whole, 4) if whole else None


def _plain(value: Any) -> float | None:
    return None if value is None or value != value else round(float(value), 4)
