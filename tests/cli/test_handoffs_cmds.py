"""`revops handoffs`: the demo's expansion signals and Sales-to-CS handoffs, through the CLI."""

from __future__ import annotations

import json
import shutil

from tests.conftest import run_cli


def test_the_demo_produces_signals_and_handoffs_and_a_rerun_changes_nothing(demo_files, tmp_path):
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_files["small"], db)
    cli = lambda *a: run_cli("--db", str(db), "handoffs", *a)  # noqa: E731
    fired = cli("expansion", "--as-of", "2026-05-15", "--format", "json")
    assert fired.returncode == 0, fired.stderr
    signals = json.loads(fired.stdout)
    assert signals and all(s["routed_to"] and s["sla"] == "expansion_signal_to_first_touch" for s in signals)
    assert {s["rule"] for s in signals} <= {"seats_nearly_full", "premium_feature_demand"}
    opened = cli("sales-to-cs", "--format", "json")
    assert opened.returncode == 0, opened.stderr
    handoffs = json.loads(opened.stdout)
    assert handoffs and all(h["status"] in ("complete", "incomplete") for h in handoffs)
    assert json.loads(cli("expansion", "--as-of", "2026-05-15", "--format", "json").stdout) == []
    assert json.loads(cli("sales-to-cs", "--format", "json").stdout) == []
    listed = cli("list", "--at", "2026-05-15T12:00", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert {"kind", "account_id", "opportunity_id", "owner", "status", "missing_fields", "sla_due_at",
            "sla_state"} <= set(rows[0])
    kinds = {r["kind"] for r in rows}
    assert kinds == {"expansion", "sales_to_cs"}
    assert {r["sla_state"] for r in rows if r["kind"] == "expansion"} <= {"due", "met", "breached"}
    assert len([r for r in rows if r["kind"] == "expansion"]) == len(signals)
    csv = cli("list", "--kind", "sales_to_cs", "--format", "csv")
    assert csv.returncode == 0 and csv.stdout.startswith("kind,handoff_id")
