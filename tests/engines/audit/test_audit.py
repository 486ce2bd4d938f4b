"""`revops audit`: the tool inventory read with errors at their line, the technology audit's
arithmetic and the CRM decision's three outcomes, and the data and process audits measured
from a store."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from revops.engines.audit import InventoryError, load_inventory, run_audit
from revops.engines.audit.tools import Tool, crm_decision, technology_audit
from revops.model import load_model
from tests.conftest import DEMO_TODAY, run_cli

HEADER = "name,category,owner,annual_cost,integrated_with_crm,seats,daily_active_users,capabilities,maintenance_hours_per_month\n"
STACK = HEADER + """Salesforce,crm,RevOps,"$198,000",yes,100,45,pipeline;forecasting,20
HubSpot Marketing,marketing automation,Marketing,48000,yes,10,8,email;lead_scoring,4
Outreach,sales_engagement,Sales,60000,yes,50,40,sequences,2
Salesloft,sales_engagement,Sales,30000,no,30,5,sequences,1
ZoomInfo,enrichment,RevOps,25000,yes,20,3,enrichment;lead_scoring,0
"""


def tool(name, category="sales_engagement", **kw):
    return Tool(name=name, category=category, **{"annual_cost": 1000, "seats": 10, "daily_active_users": 8, **kw})


def test_an_inventory_is_read_from_csv_with_money_yes_no_and_lists(tmp_path):
    path = tmp_path / "tools.csv"
    path.write_text(STACK)
    tools = load_inventory(path)
    sf = tools[0]
    assert (sf.annual_cost, sf.integrated_with_crm, sf.is_crm, sf.adoption) == (198000.0, True, True, 0.45)
    assert tools[1].category == "marketing_automation" and tools[1].capabilities == ["email", "lead_scoring"]
    assert sf.total_cost == 198000 + 12 * 20 * 75


def test_an_inventory_is_read_from_yaml(tmp_path):
    path = tmp_path / "tools.yaml"
    path.write_text("tools:\n  - {name: Pipedrive, category: crm, annual_cost: 6000, seats: 10, daily_active_users: 9,"
                    " integrated_with_crm: true}\n")
    assert [t.name for t in load_inventory(path)] == ["Pipedrive"]


@pytest.mark.parametrize("row, words", [
    ("Gong,call_recording,Sales,lots,yes,10,5,,0", ["tools.csv:3", "annual_cost", "lots"]),
    ("Gong,call_recording,Sales,100,maybe,10,5,,0", ["tools.csv:3", "integrated_with_crm", "yes or no"]),
    ("Gong,call_recording,Sales,100,yes,-1,5,,0", ["tools.csv:3", "seats"]),
    ("Salesforce,crm,x,1,yes,1,1,,0", ["listed more than once"]),
    ("Gong,call_recording,Sales,100,yes,10,25,,0", ["daily_active_users 25 is more than the 10 seats"]),
])
def test_a_bad_inventory_row_names_file_line_and_column(tmp_path, row, words):
    path = tmp_path / "tools.csv"
    path.write_text(HEADER + "Salesforce,crm,RevOps,1000,yes,10,9,,0\n" + row + "\n")
    with pytest.raises(InventoryError) as err:
        load_inventory(path)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_the_technology_audit_counts_redundancy_sunsets_integrations_and_cost(tmp_path):
    path = tmp_path / "tools.csv"
    path.write_text(STACK)
    tech = technology_audit(load_inventory(path), facts={"arr": 12e6, "gaps": []})
    assert tech["integrations_point_to_point"] == 5 * 4 and tech["integrations_through_a_hub"] == 5
    assert tech["not_integrated"] == ["Salesloft"]
    assert {(r["kind"], r["what"]) for r in tech["redundancy"]} == {("category", "sales_engagement"),
                                                                     ("capability", "sequences"),
                                                                     ("capability", "lead_scoring")}
    assert [s["name"] for s in tech["sunset"]] == ["Salesloft", "ZoomInfo"]  # 17% and 15% < 30%
    # ZoomInfo is the only enrichment tool: replace it before sunsetting, so no saving counted yet
    assert [s["replacement_needed"] for s in tech["sunset"]] == [False, True]
    assert tech["sunset_savings"] == 30000
    assert tech["annual_cost"] == 361000
    assert tech["total_cost_of_ownership"] == 361000 + 12 * 27 * 75


def test_the_crm_decision_takes_each_of_its_three_ways():
    adopted = tool("Pipedrive", "crm", annual_cost=7000, seats=10, daily_active_users=9)
    assert crm_decision([adopted], {"arr": 8e6, "gaps": []})["decision"] == "complete"
    with_gaps = crm_decision([adopted], {"arr": 8e6, "gaps": ["write exit criteria for discovery"]})
    assert with_gaps["decision"] == "complete" and "write exit criteria for discovery" in with_gaps["reasons"][-1]
    enterprise = tool("Salesforce", "crm", annual_cost=198000, seats=100, daily_active_users=45)
    down = crm_decision([enterprise], {"arr": 12e6, "gaps": []})
    assert down["decision"] == "downshift" and any("1,980 a seat" in r for r in down["reasons"])
    assert crm_decision([enterprise], {"arr": 80e6, "gaps": []})["decision"] == "complete"  # big enough for it
    unused = tool("Copper", "crm", annual_cost=3000, seats=20, daily_active_users=4)
    assert crm_decision([unused], {"arr": 8e6, "gaps": []})["decision"] == "migrate"
    assert crm_decision([], {"arr": 8e6, "gaps": []})["decision"] == "migrate"
    assert crm_decision([adopted, unused], {"arr": 8e6, "gaps": []})["decision"] == "migrate"
    isolated = crm_decision([adopted], {"arr": 8e6, "gaps": [], "integrated_share": 1 / 3})
    assert isolated["decision"] == "migrate" and "only 33% of the other tools integrate" in isolated["reasons"][0]
    unknown = crm_decision([enterprise], {"arr": None, "gaps": []})
    assert unknown["decision"] == "complete" and "ARR unknown" in unknown["notes"][0]


def test_the_data_audit_finds_values_off_the_models_definitions(gtm):
    store = gtm(
        opportunities=[{"opportunity_id": "o1", "account_id": "a", "owner_id": "u", "stage": "Verbal Yes",
                        "forecast_category": "maybe", "amount": 10.0, "close_date": date(2026, 9, 1),
                        "created_at": datetime(2026, 1, 1)},
                       {"opportunity_id": "o2", "account_id": "a", "owner_id": "u", "stage": "Discovery",
                        "forecast_category": "pipeline", "amount": 10.0, "close_date": date(2026, 9, 1),
                        "created_at": datetime(2026, 1, 1)}],
        leads=[{"lead_id": "l1", "status": "mql", "created_at": datetime(2026, 1, 1)},
               {"lead_id": "l2", "status": "warm", "created_at": datetime(2026, 1, 1), "owner_id": "u"}])
    audit = run_audit(store, load_model(None), tools=None, as_of=datetime(2026, 5, 1))
    found = {(d["field"], d["records"], tuple(d["values"])) for d in audit["data"]["definitions"]["undefined_values"]}
    assert ("stage", 1, ("Verbal Yes",)) in found  # "Discovery" is the discovery stage's label
    assert ("forecast_category", 1, ("maybe",)) in found
    assert ("status", 1, ("warm",)) in found
    assert ("mql_at", 1, ()) in found
    assert audit["data"]["definitions"]["records_off_definition"] == 4
    assert any("4 records use values the model does not define" in g for g in audit["gaps"])
    # l1 is an MQL nobody owns; l2's status is no sales-ready stage
    assert audit["process"]["followed"]["sales_ready_leads_without_owner"] == 1.0
    assert audit["technology"]["inventory"] is False


def test_the_audit_command_writes_json_with_its_three_sections_and_the_page(demo_files, tmp_path):
    tools = tmp_path / "tools.csv"
    tools.write_text(STACK)
    page = tmp_path / "audit.html"
    out = run_cli("--db", str(demo_files["small"]), "audit", "--tools", str(tools), "--out", str(page),
                  "--as-of", DEMO_TODAY.isoformat(), "--format", "json", timeout=300)
    assert out.returncode == 0, out.stderr
    audit = json.loads(out.stdout)
    assert {"data", "process", "technology"} <= set(audit)
    assert audit["technology"]["crm_decision"]["decision"] in ("complete", "migrate", "downshift")
    assert audit["process"]["written"]["stages"] and audit["data"]["quality"]["tables"]
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "The CRM decision" in html and "<script" not in html


def test_a_bad_inventory_stops_the_audit_before_any_work(demo_files, tmp_path):
    tools = tmp_path / "tools.csv"
    tools.write_text(HEADER + "Gong,call_recording,Sales,lots,yes,10,5,,0\n")
    out = run_cli("--db", str(demo_files["small"]), "audit", "--tools", str(tools))
    assert out.returncode == 1 and "tools.csv:2: column annual_cost" in out.stderr


def test_spreadsheet_headers_are_read_and_unknown_or_missing_columns_refused(tmp_path):
    path = tmp_path / "tools.csv"
    path.write_text("Name,Category,Owner,Annual Cost,Integrated With CRM,Seats,Daily Active Users,Monthly Active Users\n"
                    "DocuSign,e-signature,Legal,9600,yes,40,5,30\n")
    [tool] = load_inventory(path)
    assert (tool.annual_cost, tool.adoption, tool.active_users) == (9600.0, 0.75, (30, "monthly"))
    path.write_text("name,category,cost\nA,crm,5\n")
    with pytest.raises(InventoryError) as err:
        load_inventory(path)
    assert "unknown column(s) cost" in str(err.value) and "missing column(s) annual_cost" in str(err.value)


def test_a_yaml_inventory_with_a_syntax_error_names_its_line(tmp_path):
    path = tmp_path / "tools.yaml"
    path.write_text("tools:\n  - {name: A, category: crm\n  - {name: B}\n")
    with pytest.raises(InventoryError, match=r"tools.yaml:\d+: YAML syntax error"):
        load_inventory(path)


def test_open_deals_meeting_their_requirements_ignores_closed_deals_and_old_exports_are_not_current(gtm):
    store = gtm(opportunities=[
        {"opportunity_id": "won", "account_id": "a", "owner_id": "u", "stage": "closed_won", "amount": None,
         "close_date": date(2017, 1, 1), "created_at": datetime(2016, 1, 1), "updated_at": datetime(2017, 1, 1)},
        {"opportunity_id": "open", "account_id": "a", "owner_id": "u", "stage": "discovery", "amount": 5.0,
         "close_date": date(2017, 6, 1), "created_at": datetime(2016, 1, 1), "updated_at": datetime(2017, 1, 2)}])
    audit = run_audit(store, load_model(None), tools=None, as_of=datetime(2026, 5, 1))
    followed = audit["process"]["followed"]
    assert followed["open_deals"] == 1 and 0 <= followed["meeting_stage_requirements"] <= 1
    assert audit["data"]["current"]["current"] is False and audit["data"]["current"]["days_since_last_data"] > 3000
    assert followed["sales_ready_leads_without_owner"] is None  # no lead: not measured, not 0%
