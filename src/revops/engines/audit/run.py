"""``run_audit``: the three audits in one object, with the findings the CRM decision reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from revops.engines.audit.data import data_audit
from revops.engines.audit.process import process_audit
from revops.engines.audit.tools import Tool, technology_audit

QUALITY_GAP_BELOW = 80.0
"""A data quality score under this is a gap to finish in the CRM build."""
REQUIREMENTS_GAP_BELOW = 0.8
"""Open deals meeting their stage's requirements under this share is a gap."""
SLA_GAP_BELOW = 0.8
"""An SLA kept less often than this is a gap."""


def run_audit(store: Any, model: Any, *, tools: list[Tool] | None, as_of: datetime, arr: float | None = None,
              own_model: bool = True) -> dict[str, Any]:
    """``own_model``: the company wrote the revops.yaml in use (not the built-in default);
    ``arr``: the company's ARR when the store has no subscriptions to measure it from."""
    data = data_audit(store.con, model, as_of)
    process = process_audit(store, model, as_of, own_model=own_model)
    gaps = _gaps(data, process)
    technology: dict[str, Any] = {"inventory": False, "note": "no tool inventory given (--tools FILE): the "
                                  "technology audit needs one row per tool (docs/audit.md)"}
    if tools is not None:
        others = [t for t in tools if not t.is_crm]
        integrated = sum(1 for t in others if t.integrated_with_crm)
        facts = {"arr": arr if arr is not None else _arr(store, model, as_of), "gaps": gaps,
                 "integrated_share": integrated / len(others) if others else None}
        technology = {"inventory": True, **technology_audit(tools, facts=facts), "arr": facts["arr"]}
    return {"as_of": as_of.isoformat(timespec="seconds"), "company": model.company.name,
            "data": data, "process": process, "technology": technology, "gaps": gaps}


def _gaps(data: dict[str, Any], process: dict[str, Any]) -> list[str]:
    """What the build is missing, in words: read by the CRM decision and the summary."""
    out = []
    written = process["written"]
    if not written["own_model"]:
        out.append("write your revenue model (revops init): the stages, SLAs and lifecycle in use are revops' "
                   "defaults, not your company's")
    missing = [s["stage"] for s in written["stages"] if not s["exit_criteria"]]
    if missing:
        out.append(f"write exit criteria for {', '.join(missing)}")
    if not written["slas"]:
        out.append("write SLAs between the teams (slas)")
    followed = process["followed"]
    meeting = followed["meeting_stage_requirements"]
    if meeting is not None and meeting < REQUIREMENTS_GAP_BELOW:
        out.append(f"only {followed['meeting_stage_requirements']:.0%} of open deals meet their stage's "
                   "requirements: make the fields required at stage moves")
    for sla in followed["sla_attainment"]:
        if sla["attainment"] is not None and sla["attainment"] < SLA_GAP_BELOW:
            out.append(f"SLA {sla['sla']} is kept {sla['attainment']:.0%} of the time: find where the handoff "
                       "breaks (revops sla breaches)")
    unowned = followed["sales_ready_leads_without_owner"]
    if unowned:
        out.append(f"{unowned:.0%} of sales-ready leads (MQL, SQL, SAL) have no owner: follow-up falls "
                   "through the cracks")
    if data["quality"]["score"] is not None and data["quality"]["score"] < QUALITY_GAP_BELOW:
        out.append(f"data quality {data['quality']['score']:.0f}/100: fix the rules' violations "
                   "(revops quality violations)")
    off = data["definitions"]["records_off_definition"]
    if off:
        out.append(f"{off:,} records use values the model does not define (stages, categories, statuses)")
    if not data["current"]["current"]:
        days = data["current"]["days_since_last_data"]
        out.append("the CRM is not current: " + (f"no data for {days:.0f} days" if days is not None else "no data"))
    return out


def _arr(store: Any, model: Any, as_of: datetime) -> float | None:
    from revops.engines import metrics

    if not store.con.execute("SELECT count(*) FROM subscriptions").fetchall()[0][0]:
        return None  # no subscriptions: ARR unknown, not 0
    frame = metrics.compute(store.ibis, model, ["arr"], as_of=as_of.date())
    if frame.empty:
        return None
    value = frame["value"].iloc[-1]
    return None if value != value else float(value)
