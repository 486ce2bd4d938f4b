"""The audit as one self-contained HTML page that prints (the reports' layout and CSS)."""

from __future__ import annotations

from typing import Any

from revops.reports.html import Page, heading, note, table, text, tiles


def render(audit: dict[str, Any], model: Any) -> str:
    page = Page(model, f"RevOps audit — {audit['company']}", f"as of {audit['as_of'].replace('T', ' ')} UTC · "
                "data, process and technology, before any new tool or hire")
    _summary(page, audit)
    _data(page, audit["data"])
    _process(page, audit["process"])
    _technology(page, audit["technology"])
    return page.render()


def _pct(value: Any) -> str:
    return "not measured" if value is None else f"{value:.0%}"


def _when(value: Any) -> str:
    """A moment to the minute."""
    return "–" if value is None else str(value)[:16].replace("T", " ")


def _money(value: Any, page: Page) -> str:
    return "–" if value is None else f"{page.currency} {value:,.0f}"


def _summary(page: Page, audit: dict[str, Any]) -> None:
    page.define("data quality score", "Records-weighted mean of each table's 0-100 quality score: validity, "
                "completeness, uniqueness, freshness (docs/quality.md).", "revops quality")
    page.define("process score", "0-100: half how much of the motion is written (exit criteria, SLAs, lifecycle), "
                "half how well it is followed (deals meeting stage requirements, SLA attainment, leads owned).",
                "revops audit")
    decision = audit["technology"].get("crm_decision") if audit["technology"].get("inventory") else None
    quality = audit["data"]["quality"]["score"]
    items = [("Data quality", page.number("data quality score", quality, "count") if quality is not None else "n/a"),
             ("Process", page.number("process score", audit["process"]["score"], "count"))]
    if decision:
        items.append(("CRM decision", text(decision["decision"])))
    gaps = "".join(f"<li>{text(g)}</li>" for g in audit["gaps"]) or "<li>nothing missing</li>"
    page.section("Summary", tiles(items), heading("What to fix first"), f"<ul>{gaps}</ul>")


def _data(page: Page, data: dict[str, Any]) -> None:
    sources = table(["table", "source", "runs", "files", "rows stored", "quarantined", "last loaded"],
                    [[text(s["table"]), text(s["source"]), text(s["runs"]), text(s["files"]), text(s["rows_stored"]),
                      text(s["rows_quarantined"]), _when(s["last_loaded_at"])] for s in data["sources"]],
                    caption="Where the records come from")
    scores = table(["table", "records", "score", "validity", "completeness", "uniqueness", "freshness"],
                   [[text(s["table"]), f"{s['records']:,}", "n/a" if s["score"] is None else f"{s['score']:.1f}",
                     _pct(s["validity"]),
                     _pct(s["completeness"]), _pct(s["uniqueness"]), _pct(s["freshness"])]
                    for s in data["quality"]["tables"]], caption="Data quality by table")
    rules = table(["rule", "table", "checked", "broken", "pass rate"],
                  [[text(r["rule"]), text(r["table"]), f"{r['checked']:,}", f"{r['broken']:,}",
                    _pct(r["pass_rate"]) if r["checked"] else "none checked"]
                   for r in data["quality"]["rules"]], caption="Validation rules")
    quarantine = (table(["table", "reason", "rows"], [[text(q["table"]), text(q["reason"]), f"{q['rows']:,}"]
                                                      for q in data["quality"]["quarantine"]],
                        caption="Rows refused at ingest (quarantine)") if data["quality"]["quarantine"]
                  else note("No row was refused at ingest (quarantine is empty)."))
    defs = table(["table", "field", "problem", "records", "values"],
                 [[text(d["table"]), text(d["field"]), text(d["problem"]), f"{d['records']:,}",
                   text(", ".join(map(str, d["values"])) or None)] for d in data["definitions"]["undefined_values"]],
                 numeric={3}, caption="Values off the model's definitions")
    current = data["current"]
    page.section("Data audit", heading("Where the pipeline lives"), sources, heading("How clean it is"), scores,
                 rules, quarantine, heading("Same definitions?"), defs,
                 note(f"Model versions recorded: {data['definitions']['model_versions']}; last changed "
                      f"{_when(data['definitions']['model_last_changed'])}."),
                 heading("Is the CRM current?"),
                 note(f"Last record change {_when(current['last_record_change'])}, last load "
                      f"{_when(current['last_load'])}: "
                      + ("current." if current["current"] else
                         f"not current (no change for {current['days_since_last_data']} days)."
                         if current["days_since_last_data"] is not None else "no dated record.")))


def _process(page: Page, process: dict[str, Any]) -> None:
    w, f = process["written"], process["followed"]
    own = "" if w["own_model"] else note("No revops.yaml: these are revops' default definitions, not written by the "
                                         "company; the process score gives them no credit.")
    stages = table(["stage", "exit criteria", "required fields", "gate checks"],
                   [[text(s["stage"]), "yes" if s["exit_criteria"] else '<span class="bad">no</span>',
                     str(s["required_fields"]), str(s["gate"])] for s in w["stages"]], caption="Stages written")
    slas = table(["SLA", "owner team", "from", "to", "within", "attainment"],
                 [[text(s["label"]), text(s["owner_team"]), text(s["start"]), text(s["stop"]), text(s["duration"]),
                   _pct(next((a["attainment"] for a in f["sla_attainment"] if a["sla"] == s["sla"]), None))]
                  for s in w["slas"]], numeric={5}, caption="SLAs written, and kept")
    followed = tiles([("Open deals meeting their stage's requirements", _pct(f["meeting_stage_requirements"])),
                      ("Open deals that skipped a stage", _pct(f["skipped_a_stage"])),
                      ("Sales-ready leads without an owner", _pct(f["sales_ready_leads_without_owner"]))])
    page.section("Process audit", heading("Written"), own, stages, slas,
                 note("An SLA without an attainment has had no clock decided yet."), heading("Followed"), followed)


def _technology(page: Page, tech: dict[str, Any]) -> None:
    if not tech.get("inventory"):
        page.section("Technology audit", note(tech["note"]))
        return
    tools = table(["tool", "category", "owner", "annual cost", "seats", "active users", "adoption", "CRM-integrated",
                   "review"],
                  [[text(t["name"]), text(t["category"]), text(t["owner"]), _money(t["annual_cost"], page),
                    str(t["seats"]), f"{t['active_users']} {t['cadence']}",
                    f'<span class="bad">{_pct(t["adoption"])}</span>' if t["sunset"] else _pct(t["adoption"]),
                    "yes" if t["integrated_with_crm"] else '<span class="bad">no</span>', text("; ".join(t["review"]))]
                   for t in tech["tools"]], numeric={3, 4, 5, 6})
    redundancy = "".join(f"<li>{text(r['kind'])} {text(r['what'])}: {text(', '.join(r['tools']))}</li>"
                         for r in tech["redundancy"]) or "<li>none</li>"
    decision = tech["crm_decision"]
    reasons = "".join(f"<li>{text(r)}</li>" for r in decision["reasons"] + decision.get("notes", []))
    sunset = table(["tool", "adoption", "annual cost", "replace first?"],
                   [[text(t["name"]), f"{_pct(t['adoption'])} {t['cadence']}", _money(t["annual_cost"], page),
                     "yes: the only tool of its kind" if t["replacement_needed"] else "no"] for t in tech["sunset"]],
                   numeric={2}, caption="Under 30% adoption: sunset")
    page.section("Technology audit",
                 tiles([("Tools", str(tech["tool_count"])), ("Integrated with the CRM", str(tech["integrated_with_crm"])),
                        ("Integrations point to point", f"{tech['integrations_point_to_point']:,}"),
                        ("Through a hub", str(tech["integrations_through_a_hub"])),
                        ("Total cost of ownership", _money(tech["total_cost_of_ownership"], page)),
                        ("Sunset savings", _money(tech["sunset_savings"], page))]),
                 tools, heading("Sunset list"), sunset, heading("Redundant"), f"<ul>{redundancy}</ul>",
                 heading(f"The CRM decision: {decision['decision']}"), f"<ul>{reasons}</ul>")
