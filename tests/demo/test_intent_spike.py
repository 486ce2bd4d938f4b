"""The seeds' intent-spike play, end to end on the demo company.

An enterprise account views the pricing page three times in a week. The demo's workflow
(src/revops/demo/revops.yaml) then gives it to an enterprise AE, puts its contacts in a
sequence, gives an SDR a research task, tells the AEs' Slack channel (a local fake webhook
here) and logs the spike as a touch for attribution. Accounts without a spike get nothing.
"""

from __future__ import annotations

import json
import shutil
import threading
from datetime import datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

import pytest

from revops.cli.context import AppContext
from revops.cli.demo_cmd import workflow_lines
from revops.demo.builder import build_demo, work_workflows
from revops.model import load_model
from revops.orchestration.engine import Orchestrator, replay
from revops.store import Store
from tests.conftest import DEMO_TODAY

WEBHOOK_ENV = "SLACK_WEBHOOK_ENTERPRISE"
DEMO_MODEL = resources.files("revops.demo").joinpath("revops.yaml")
FREE_MAIL = "('gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'icloud.com', 'aol.com', 'proton.me', " \
            "'protonmail.com', 'gmx.com', 'live.com', 'msn.com')"
PRICING_VIEWS = f"""
    WITH views AS (
        SELECT occurred_at, account_id, lower(email) AS email, split_part(lower(email), '@', 2) AS domain
        FROM _events WHERE type = 'page_view' AND json_extract_string(properties, '$.url') LIKE '%/pricing%'),
    lead_of_email AS (SELECT lower(email) AS email, arg_max(lead_id, created_at) AS lead_id FROM leads GROUP BY 1),
    account_of_email AS (SELECT lower(email) AS email, min(account_id) AS account_id FROM contacts
                         WHERE account_id IS NOT NULL GROUP BY 1),
    account_of_domain AS (SELECT lower(domain) AS domain, min(account_id) AS account_id FROM accounts
                          GROUP BY 1 HAVING count(*) = 1)
    SELECT v.occurred_at, coalesce(v.account_id, l.converted_account_id, c.account_id,
                                   CASE WHEN v.domain NOT IN {FREE_MAIL} THEN d.account_id END) AS account_id
    FROM views v LEFT JOIN lead_of_email le ON le.email = v.email LEFT JOIN leads l ON l.lead_id = le.lead_id
    LEFT JOIN account_of_email c ON c.email = v.email LEFT JOIN account_of_domain d ON d.domain = v.domain"""
"""Each pricing-page view with the account it is about, by the rules of docs/workflows.md: the
event's account_id, else its lead's account, else its contact's, else the one account with
the e-mail's domain."""
MOST_IN_A_WEEK = f"""
    SELECT p.account_id, a.segment, max(n) AS most FROM (
        SELECT account_id, count(*) OVER (PARTITION BY account_id ORDER BY occurred_at
                                          RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND CURRENT ROW) AS n
        FROM ({PRICING_VIEWS}) WHERE account_id IS NOT NULL) p
    JOIN accounts a USING (account_id) GROUP BY ALL"""


class FakeSlack(ThreadingHTTPServer):
    """An incoming webhook on 127.0.0.1 that keeps every message's text."""

    def __init__(self) -> None:
        self.texts: list[str] = []

        class Hook(BaseHTTPRequestHandler):
            def do_POST(hook) -> None:  # noqa: N805
                body = hook.rfile.read(int(hook.headers["Content-Length"]))
                self.texts.append(json.loads(body)["text"])
                hook.send_response(200)
                hook.end_headers()
                hook.wfile.write(b"ok")

            def log_message(hook, *args) -> None:  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Hook)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/services/T000/B000/demo"


@pytest.fixture(scope="module")
def demo_model():
    return load_model(DEMO_MODEL)


@pytest.fixture(scope="module")
def slack():
    server = FakeSlack()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def worked(demo_files, demo_model, slack, tmp_path_factory):
    """The small demo (built with the default model: its events stored, no workflow run) worked
    by the demo's workflows, as `revops serve` does when it starts on it, with the webhook set."""
    path = tmp_path_factory.mktemp("intent") / "demo.duckdb"
    shutil.copy(demo_files["small"], path)
    store = Store(path)
    before = len(slack.texts)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(WEBHOOK_ENV, slack.url)
        first = work_workflows(store, demo_model, DEMO_TODAY)
    yield store, first, slack.texts[before:]
    store.close()


def runs(store: Store) -> list[dict]:
    return store.query("SELECT run_id, subject_id, status, triggered_at, context FROM _workflow_runs "
                       "WHERE workflow = 'intent_spike' ORDER BY triggered_at")


def enterprise_owners(store: Store, users: dict[str, dict], region: str) -> set[str]:
    """Whom routing's `enterprise` node may give an account of ``region``: the enterprise AEs
    of the region's territory at work, or while none is (out of office), the territory's owner."""
    at_work = {u for u, r in users.items() if (r["role"], r["segment"], r["region"], r["active"]) ==
               ("ae", "enterprise", region, True) and not r["out_of_office"]}
    return at_work or {store.query("SELECT owner_id FROM territories WHERE segment = 'enterprise' AND region = ?",
                                   [region])[0]["owner_id"]}


def test_exactly_the_enterprise_accounts_whose_pricing_views_spike_get_a_run(worked):
    store, first, _ = worked
    weeks = store.query(MOST_IN_A_WEEK)
    spiking = {w["account_id"] for w in weeks if w["most"] >= 3 and w["segment"] == "enterprise"}
    assert len(spiking) >= 3
    assert {r["subject_id"] for r in runs(store)} == spiking
    near_misses = {w["account_id"] for w in weeks if w["most"] == 2 and w["segment"] == "enterprise"}
    passed_over = {w["account_id"] for w in weeks if w["most"] >= 3 and w["segment"] != "enterprise"}
    assert near_misses and passed_over  # there were signals that must start nothing
    assert first.passed_over >= len(passed_over)


def test_each_spike_gets_the_ae_the_sequence_the_sdr_task_the_slack_message_and_the_touch(worked):
    store, _, messages = worked
    found = runs(store)
    assert found and all(r["status"] == "completed" for r in found)
    users = {u["user_id"]: u for u in store.query(
        "SELECT user_id, role, segment, region, active, out_of_office FROM users")}
    for run in found:
        account = store.query("SELECT account_id, name, owner_id, region FROM accounts WHERE account_id = ?",
                              [run["subject_id"]])[0]
        steps = store.query("SELECT action, status FROM _workflow_steps WHERE run_id = ? ORDER BY position",
                            [run["run_id"]])
        assert [(s["action"], s["status"]) for s in steps] == [
            ("assign", "done"), ("add_to_sequence", "done"), ("create_task", "done"), ("log_touch", "done"),
            ("notify", "done")]

        assert account["owner_id"] in enterprise_owners(store, users, account["region"])

        in_sequence = {m["member_id"] for m in store.query(
            "SELECT member_id FROM _list_members WHERE list_kind = 'sequence' AND list_name = 'enterprise_intent' "
            "AND member_table = 'contacts' AND step_key LIKE ? || ':%'", [run["run_id"]])}
        contacts = {c["contact_id"] for c in store.query(
            "SELECT contact_id FROM contacts WHERE account_id = ? AND left_at IS NULL", [account["account_id"]])}
        assert in_sequence == contacts != set()

        task = store.query("SELECT subject, owner_id, table_name, record_id FROM _tasks "
                           "WHERE step_key LIKE ? || ':%'", [run["run_id"]])
        assert len(task) == 1
        sdr = users[task[0]["owner_id"]]
        assert (sdr["role"], sdr["region"]) == ("sdr", account["region"])
        assert account["name"] in task[0]["subject"]
        assert (task[0]["table_name"], task[0]["record_id"]) == ("accounts", account["account_id"])

        signals = json.loads(run["context"])["signal_count"]
        assert [t for t in messages if account["name"] in t and f"pricing {signals} times" in t]

        touch = store.query("SELECT occurred_at, channel FROM touches WHERE touch_type = 'intent_spike' "
                            "AND account_id = ?", [account["account_id"]])
        assert touch == [{"occurred_at": run["triggered_at"], "channel": "intent"}]
    assert len(messages) == len(found)


def test_working_the_events_again_does_nothing_new(worked, demo_model, slack):
    store, _, _ = worked
    tables = ("_workflow_runs", "_workflow_steps", "_tasks", "_list_members", "touches", "_audit_log")
    before = store.row_counts(tables)
    sent = len(slack.texts)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(WEBHOOK_ENV, slack.url)
        again = work_workflows(store, demo_model, DEMO_TODAY)
    assert (again.runs, again.steps_done, again.steps_dead) == (0, 0, 0)
    assert store.row_counts(tables) == before
    assert len(slack.texts) == sent


def test_without_a_webhook_the_message_waits_in_the_dead_letter_queue_until_replayed(
        tmp_path, demo_model, slack, monkeypatch):
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    with Store(tmp_path / "tiny.duckdb") as store:
        build = build_demo(store, "tiny", 42, DEMO_TODAY, model=demo_model)
        worked = build.workflows
        assert worked.runs >= 1 and worked.steps_dead == worked.runs
        assert worked.steps_done == 4 * worked.runs  # everything but the message
        assert len(worked.dead_errors) == 1 and f"environment variable {WEBHOOK_ENV}" in worked.dead_errors[0]
        assert store.query("SELECT count(*) AS n FROM touches WHERE touch_type = 'intent_spike'")[0]["n"] == worked.runs
        said = "\n".join(workflow_lines(build, AppContext(db=tmp_path / "tiny.duckdb", model_path=DEMO_MODEL)))
        assert (f"workflows: {worked.runs} runs (0 completed), {worked.steps_done} steps done, "
                f"{worked.steps_dead} dead") in said
        assert "set it (for a Slack channel, to an incoming-webhook URL)" in said and WEBHOOK_ENV in said
        assert f"--model {DEMO_MODEL} workflows replay-dead" in said

        monkeypatch.setenv(WEBHOOK_ENV, slack.url)
        sent = len(slack.texts)
        orchestrator = Orchestrator(store, demo_model, clock=lambda: datetime.combine(DEMO_TODAY, time(9)))
        try:
            assert len(replay(orchestrator, workflow="intent_spike")) == worked.runs
            orchestrator.run_until_idle()
        finally:
            orchestrator.close()
        assert {r["status"] for r in runs(store)} == {"completed"}
        assert len(slack.texts) == sent + worked.runs


def test_the_demo_reports_web_product_and_intent_events_of_every_kind(demo_files):
    with Store(demo_files["small"], read_only=True) as store:
        kinds = {(r["type"], r["source"], r["by"]) for r in store.query(
            "SELECT type, source, CASE WHEN account_id IS NOT NULL THEN 'account' ELSE 'email' END AS by "
            "FROM _events GROUP BY ALL")}
        urls = {r["url"].split("/")[1] for r in store.query(
            "SELECT DISTINCT json_extract_string(properties, '$.url') AS url FROM _events WHERE type = 'page_view'")}
        unknown = store.query("SELECT count(*) AS n FROM _events WHERE email IS NOT NULL AND email NOT IN "
                              "(SELECT lower(email) FROM leads WHERE email IS NOT NULL UNION "
                              "SELECT lower(email) FROM contacts WHERE email IS NOT NULL)")[0]["n"]
        last = store.query("SELECT max(occurred_at) AS at FROM _events")[0]["at"]
    assert kinds == {("page_view", "website", "email"), ("page_view", "intent_provider", "account"),
                     ("form_submitted", "website", "email"), ("product_signup", "product", "email")}
    assert {"", "pricing", "docs", "blog", "customers"} <= urls
    assert unknown > 0
    assert last < datetime.combine(DEMO_TODAY, time())


def test_on_the_served_demo_a_live_spike_and_a_big_company_lead_are_acted_on_within_seconds(
        demo_files, demo_model, slack, tmp_path, monkeypatch):
    """`make demo`'s server: its worker works the history when it starts, then each new event."""
    from tests.api.conftest import serving

    monkeypatch.setenv(WEBHOOK_ENV, slack.url)
    path = tmp_path / "served.duckdb"
    shutil.copy(demo_files["small"], path)
    with Store(path, read_only=True) as store:
        weeks = store.query(MOST_IN_A_WEEK)
        spiked = {w["account_id"] for w in weeks if w["most"] >= 3}
        runs_expected = sum(1 for w in weeks if w["most"] >= 3 and w["segment"] == "enterprise")
        account = next(a for a in store.query(
            "SELECT account_id, name FROM accounts WHERE segment = 'enterprise' AND region = 'NA' "
            "AND type = 'prospect' ORDER BY account_id") if a["account_id"] not in spiked)
    morning = datetime.combine(DEMO_TODAY, time(9))
    with serving(path, demo_model, clock=lambda: morning) as api:
        history = until(lambda: [r for r in api.get("/v1/workflows/runs?workflow=intent_spike").json()
                                 if r["status"] == "completed"], runs_expected)
        sent = len(slack.texts)
        views = [{"type": "page_view", "occurred_at": f"{DEMO_TODAY}T08:{m:02d}:00Z", "source": "intent_provider",
                  "account_id": account["account_id"], "properties": {"url": "/pricing"}} for m in (5, 20, 41)]
        assert api.post("/v1/events", json=views).status_code == 202
        [run] = until(lambda: [r for r in api.get("/v1/workflows/runs", params={"record_id": account["account_id"]})
                               .json() if r["status"] == "completed"], 1)
        assert [s["action"] for s in run["steps"]] == [
            "assign", "add_to_sequence", "create_task", "log_touch", "notify"]
        assert len(slack.texts) == sent + 1 and account["name"] in slack.texts[-1]

        lead = {"lead_id": "live_ent_1", "email": "dana.reyes@bigbank-example.com", "first_name": "Dana",
                "last_name": "Reyes", "title": "VP Revenue Operations", "company": "Big Bank Example",
                "company_size": 4000, "industry": "financial_services", "country": "US", "source": "referral"}
        answer = api.post("/v1/leads", json=lead).json()
        assert answer["assigned_kind"] == "nurture"  # fit alone: the graph keeps it in nurture
        [inbound] = until(lambda: [r for r in api.get("/v1/workflows/runs?workflow=enterprise_inbound").json()
                                   if r["status"] == "completed"], 1)
        assign, task = inbound["steps"]
        assert assign["result"]["how"] == "routing: enterprise"
        assert task["result"]["owner_id"] == assign["result"]["owner_id"]
        assert "Dana Reyes" in task["result"]["subject"]
    assert history
    with Store(path, read_only=True) as store:
        owner = store.query("SELECT u.role, u.segment FROM leads l JOIN users u ON u.user_id = l.owner_id "
                            "WHERE l.lead_id = 'live_ent_1'")
    assert owner == [{"role": "ae", "segment": "enterprise"}]


def until(found, count: int, seconds: float = 20.0) -> list:
    """``found()`` once it holds ``count`` items (the server's worker works in its own thread)."""
    import time as clock

    deadline = clock.monotonic() + seconds
    while True:
        items = found()
        if len(items) >= count or clock.monotonic() > deadline:
            assert len(items) == count, f"{len(items)} of {count} after {seconds} s"
            return items
        clock.sleep(0.05)
