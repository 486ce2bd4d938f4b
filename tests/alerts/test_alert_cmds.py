"""`revops alerts check` and `revops alerts list` as a user runs them, against a local webhook."""

from __future__ import annotations

import json

from tests.alerts.conftest import SLACK_ENV
from tests.alerts.receivers import Webhook
from tests.conftest import run_cli

MODEL = f"""
alerts:
  slack:
    sales: {{webhook_env: {SLACK_ENV}}}
  routes:
    - {{events: [sla_breach], slack: [sales]}}
  retry: {{attempts: 2, backoff_seconds: 0}}
"""


def test_check_sends_the_breach_and_list_shows_it_sent(company, tmp_path):
    store = company()
    db = store.path
    store.close()
    (tmp_path / "revops.yaml").write_text(MODEL)
    with Webhook() as hook:
        env = {SLACK_ENV: hook.url}
        args = ("--db", str(db), "--model", str(tmp_path / "revops.yaml"))
        dry = run_cli(*args, "alerts", "check", "--dry-run", "--at", "2026-05-15T18:00", "--format", "json", env=env)
        assert dry.returncode == 0, dry.stderr
        assert json.loads(dry.stdout)["new_alerts"] == 1 and hook.requests == 0
        done = run_cli(*args, "alerts", "check", "--at", "2026-05-15T18:00", "--format", "json", env=env)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["sent"] == 1 and "lead_late" in hook.received[0]["text"]
        again = run_cli(*args, "alerts", "check", "--at", "2026-05-15T18:00", "--format", "json", env=env)
        assert json.loads(again.stdout)["sent"] == 0 and len(hook.received) == 1
    listed = run_cli(*args, "alerts", "list", "--format", "json")
    [row] = json.loads(listed.stdout)
    assert (row["kind"], row["recipient"], row["record_id"], row["status"]) == ("sla_breach", "sales", "lead_late", "sent")


def test_run_daily_runs_every_step_and_reports_each(company, tmp_path):
    store = company()
    db = store.path
    store.close()
    (tmp_path / "revops.yaml").write_text(MODEL)
    with Webhook() as hook:
        out = run_cli("--db", str(db), "--model", str(tmp_path / "revops.yaml"), "run", "daily", "--no-forecast",
                      "--format", "json", env={SLACK_ENV: hook.url})
    assert out.returncode == 0, out.stderr
    run = json.loads(out.stdout)
    assert [s["step"] for s in run["steps"]] == ["pipeline snapshot", "rescore leads", "SLAs, hygiene and alerts"]
    assert run["ok"] and all(s["ok"] for s in run["steps"]) and run["alerts"]["failed"] == 0
    assert "pipeline snapshot: ok" in out.stderr
