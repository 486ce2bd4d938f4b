"""`revops sync hubspot|salesforce [--since DATE] [--format json]` as a user runs it, against
the fakes on loopback."""

from __future__ import annotations

import json
from datetime import datetime

from tests.conftest import run_cli

NO_CRM = {name: "" for name in ("HUBSPOT_ACCESS_TOKEN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN",
                                "SALESFORCE_USERNAME", "SALESFORCE_PASSWORD", "SALESFORCE_SECURITY_TOKEN")}


def test_sync_hubspot_prints_counts_and_cursors_then_since_pulls_again(tmp_path, hubspot_api, hubspot_env):
    hubspot_api.add("contacts", "101", datetime(2026, 1, 3), email="ava@acme.test", lifecyclestage="lead")
    hubspot_api.add("contacts", "102", datetime(2026, 1, 8), email="bo@acme.test", lifecyclestage="customer")
    hubspot_api.add("deals", "901", datetime(2026, 1, 5), dealname="Big", dealstage="nonsense")
    db = str(tmp_path / "crm.duckdb")

    first = run_cli("--db", db, "sync", "hubspot", "--format", "json", env=hubspot_env)

    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    rows = {(o["object"], o["table"]): o for o in report["objects"]}
    assert report["system"] == "hubspot" and report["since"] is None
    assert {k: (o["pulled"], o["stored"], o["quarantined"]) for k, o in rows.items()} == {
        ("owners", "users"): (0, 0, 0), ("companies", "accounts"): (0, 0, 0), ("contacts", "leads"): (2, 2, 0),
        ("contacts", "contacts"): (0, 0, 0), ("deals", "opportunities"): (1, 0, 1)}
    assert rows[("contacts", "leads")]["cursor_before"] is None
    assert rows[("contacts", "leads")]["cursor_after"] == "2026-01-08T00:00:00"

    again = run_cli("--db", db, "sync", "hubspot", "--since", "2026-01-04", "--format", "json", env=hubspot_env)

    assert again.returncode == 0, again.stderr
    leads = next(o for o in json.loads(again.stdout)["objects"] if o["table"] == "leads")
    assert leads["pulled"] == 1
    assert (leads["pulled_since"], leads["cursor_before"]) == ("2026-01-04T00:00:00", "2026-01-08T00:00:00")
    quarantine = run_cli("--db", db, "quarantine", "--table", "opportunities", "--format", "json")
    assert "unknown pipeline stage 'nonsense'" in quarantine.stdout


def test_sync_salesforce_prints_a_table(tmp_path, salesforce_api, salesforce_env):
    salesforce_api.add("Lead", "00QA", datetime(2026, 1, 3), LastName="Li", Company="Solo", Status="Open - Not Contacted")

    done = run_cli("--db", str(tmp_path / "crm.duckdb"), "sync", "salesforce", env=salesforce_env)

    assert done.returncode == 0, done.stderr
    assert "Lead" in done.stdout and "leads" in done.stdout and "2026-01-03" in done.stdout


def test_a_missing_credential_is_named_and_no_store_is_made(tmp_path):
    db = tmp_path / "crm.duckdb"

    done = run_cli("--db", str(db), "sync", "salesforce", env=NO_CRM)

    assert done.returncode == 1
    assert "SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN are not set" in done.stderr
    assert not db.exists()


def test_an_unknown_crm_is_a_usage_error(tmp_path):
    done = run_cli("--db", str(tmp_path / "crm.duckdb"), "sync", "pipedrive", env=NO_CRM)

    said = " ".join(done.stderr.replace("│", " ").split())
    assert done.returncode == 2 and "'pipedrive' is not one of 'hubspot', 'salesforce'" in said
