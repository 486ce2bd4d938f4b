"""Alerts reach people where they work, once: an SLA breach with the lead, its owner and how
late; a deal newly at risk; a material forecast change; retried when a receiver fails."""

from __future__ import annotations

from datetime import date

import pytest

from revops.alerts import check_alerts
from revops.alerts.delivery import AlertLog
from revops.model import load_model
from tests.alerts.conftest import AT, SLACK_ENV, deal, model_with_alerts
from tests.alerts.receivers import Mailbox, Webhook
from tests.gtm import fill_store

NO_WAIT = lambda seconds: None  # noqa: E731


@pytest.fixture
def slack(monkeypatch):
    """slack(answers) -> a started webhook whose URL is in the channel's environment variable."""
    hooks = []

    def start(answers: list[int] | None = None) -> Webhook:
        hook = Webhook(answers).__enter__()
        hooks.append(hook)
        monkeypatch.setenv(SLACK_ENV, hook.url)
        return hook

    yield start
    for hook in hooks:
        hook.__exit__()


@pytest.fixture
def mailbox():
    with Mailbox() as box:
        yield box


def breaches_only(store, model, **kw):
    return check_alerts(store, model, at=AT, kinds=("sla_breach",), sleep=NO_WAIT, **kw)


def test_an_sla_breach_reaches_slack_and_email_with_the_lead_its_owner_and_how_late(company, slack, mailbox):
    hook = slack()
    result = breaches_only(company(), model_with_alerts(mailbox.port))
    assert result.events == {"sla_breach": 1} and result.failed == 0
    [posted] = hook.received
    assert "lead lead_late" in posted["text"] and "Ana Rep" in posted["text"] and "late" in posted["text"]
    assert "lead_done" not in posted["text"]  # contacted within the hour: no breach
    assert posted["blocks"][0]["type"] == "header" and "lead_late" in posted["blocks"][1]["text"]["text"]
    # Wednesday 14:00 UTC is 10:00 New York: due 14:00 New York (18:00 UTC); two days later, to the minute
    assert "2 days late" in posted["text"]
    [to_cro] = mailbox.to("cro@example.com")
    [to_owner] = mailbox.to("ana@example.com")
    for mail in (to_cro, to_owner):
        assert "lead_late" in mail["Subject"] and "Ana Rep" in mail["Subject"]
        assert mail["From"] == "revops@example.com"
        assert "MQL" in Mailbox.body(mail) and "Due 2026-05-13 18:00 UTC" in Mailbox.body(mail)


def test_a_second_run_sends_nothing_twice(company, slack, mailbox):
    hook, store, model = slack(), company(), model_with_alerts(mailbox.port)
    first = breaches_only(store, model)
    second = breaches_only(store, model)
    assert (first.sent, second.sent, second.skipped) == (3, 0, 3)
    assert len(hook.received) == 1 and len(mailbox.messages) == 2
    rows = AlertLog(store).rows()
    assert sorted(r["recipient"] for r in rows) == ["ana@example.com", "cro@example.com", "sales"]
    assert {r["status"] for r in rows} == {"sent"}


def test_a_webhook_answering_500_twice_is_retried_with_backoff_in_the_same_run(company, slack, mailbox):
    hook, store = slack([500, 500]), company()
    waits: list[float] = []
    model = model_with_alerts(mailbox.port, attempts=3)
    model.alerts.retry.backoff_seconds = 0.5
    result = check_alerts(store, model, at=AT, kinds=("sla_breach",), sleep=waits.append)
    assert hook.requests == 3 and len(hook.received) == 1
    assert waits == [0.5, 1.0]
    [row] = [r for r in AlertLog(store).rows() if r["channel"] == "slack"]
    assert (row["status"], row["attempts"], result.failed) == ("sent", 3, 0)


def test_failures_are_recorded_and_retried_on_the_next_run(company, slack):
    hook, store = slack([500, 500, 500]), company()
    with Mailbox(fail_first=3) as box:  # the SMTP server refuses the first three messages (451)
        model = model_with_alerts(box.port, attempts=2)
        first = breaches_only(store, model)
        failed = {r["recipient"]: r for r in AlertLog(store).rows(status="failed")}
        assert first.failed == 3 - len(box.messages) and "sales" in failed
        assert "HTTP 500" in failed["sales"]["error"] and failed["sales"]["attempts"] == 2
        assert any("451" in r["error"] for r in failed.values() if r["channel"] == "email")
        second = breaches_only(store, model)  # 500 once more, then 200; SMTP accepts now
        assert second.failed == 0 and second.sent == first.failed
        assert len(hook.received) == 1 and len(box.messages) == 2
        assert {r["status"] for r in AlertLog(store).rows()} == {"sent"}
        assert next(r for r in AlertLog(store).rows() if r["channel"] == "slack")["attempts"] == 4
        third = breaches_only(store, model)
        assert (third.sent, third.failed, len(hook.received), len(box.messages)) == (0, 0, 1, 2)


def test_a_missing_webhook_variable_is_a_recorded_failure_not_a_crash(company, mailbox, monkeypatch):
    monkeypatch.delenv(SLACK_ENV, raising=False)
    store = company()
    result = breaches_only(store, model_with_alerts(mailbox.port))
    [failed] = AlertLog(store).rows(status="failed")
    assert failed["recipient"] == "sales" and SLACK_ENV in failed["error"] and failed["attempts"] == 1
    assert result.sent == 2 and len(mailbox.messages) == 2


def test_a_deal_newly_at_risk_is_announced_once_to_its_owner(company, slack, mailbox):
    hook, store, model = slack(), company(), model_with_alerts(mailbox.port)
    first = check_alerts(store, model, at=AT, kinds=("deal_at_risk",), sleep=NO_WAIT)
    assert first.events == {"deal_at_risk": 1}  # opp_busy had an activity two days ago
    [posted] = hook.received
    assert "opp_quiet" in posted["text"] and "Ben Closer" in posted["text"] and "opp_busy" not in posted["text"]
    [to_owner] = mailbox.to("ben@example.com")  # users.email, compared without case
    assert "opp_quiet" in to_owner["Subject"] and "30 days" in Mailbox.body(to_owner)
    # still at risk at the next check: not news; a deal that went quiet since is
    fill_store(store, opportunities=[deal("opp_new", "usr_cy", 20)])
    second = check_alerts(store, model, at=AT, kinds=("deal_at_risk",), sleep=NO_WAIT)
    assert second.events == {"deal_at_risk": 1} and [p["record_id"] for p in second.planned] == ["opp_new"] * 2
    assert "opp_new" in hook.received[-1]["text"] and len(hook.received) == 2
    assert len(mailbox.to("cro@example.com")) == 2  # usr_cy has no e-mail: only the route's address


def test_a_material_forecast_change_is_announced_and_a_small_one_is_not(company, slack, mailbox):
    hook = slack()
    model = model_with_alerts(mailbox.port)
    moved = company(snapshots=[(date(2026, 5, 8), 1_000_000.0, 600_000.0), (date(2026, 5, 15), 1_250_000.0, 610_000.0)])
    result = check_alerts(moved, model, at=AT, kinds=("forecast_change",), sleep=NO_WAIT)
    assert result.events == {"forecast_change": 1}
    [posted] = hook.received
    assert "P50 up 25%" in posted["text"] and "Commit" not in posted["text"]  # commit moved under 10%
    assert "USD 1,000,000 -> USD 1,250,000" in posted["text"]
    assert [m["Subject"] for m in mailbox.messages] == [posted["blocks"][1]["text"]["text"].split("*")[1]]
    assert check_alerts(moved, model, at=AT, kinds=("forecast_change",), sleep=NO_WAIT).sent == 0
    calm = company(snapshots=[(date(2026, 5, 8), 1_000_000.0, 600_000.0), (date(2026, 5, 15), 1_050_000.0, 640_000.0)])
    assert check_alerts(calm, model, at=AT, kinds=("forecast_change",), sleep=NO_WAIT).events == {}


def test_a_digest_is_one_message_per_recipient_with_everything_new(company, slack, mailbox):
    hook = slack()
    store = company(snapshots=[(date(2026, 5, 8), 1_000_000.0, 600_000.0), (date(2026, 5, 15), 700_000.0, 600_000.0)])
    model = model_with_alerts(mailbox.port, digest=True)
    result = check_alerts(store, model, at=AT, sleep=NO_WAIT)
    assert result.events == {"sla_breach": 1, "deal_at_risk": 1, "forecast_change": 1}
    [posted] = hook.received
    assert "1 sla breaches, 1 deals newly at risk, 1 forecast changes" in posted["text"]
    for words in ("lead_late", "opp_quiet", "P50 down 30%"):
        assert words in posted["text"]
    [cro] = mailbox.to("cro@example.com")
    assert all(w in Mailbox.body(cro) for w in ("lead_late", "opp_quiet", "P50 down 30%"))
    [ana] = mailbox.to("ana@example.com")
    [ben] = mailbox.to("ben@example.com")
    assert "lead_late" in Mailbox.body(ana) and "opp_quiet" not in Mailbox.body(ana)
    assert "opp_quiet" in Mailbox.body(ben) and "forecast" not in Mailbox.body(ben).lower()
    assert result.messages == 4 and result.sent == 8  # 3 to Slack, 3 to the CRO, 1 each owner
    digests = {r["digest_id"] for r in AlertLog(store).rows()}
    assert len(digests) == 4 and None not in digests
    again = check_alerts(store, model, at=AT, sleep=NO_WAIT)
    assert (again.messages, len(hook.received), len(mailbox.messages)) == (0, 1, 3)


def test_a_dry_run_finds_and_routes_but_sends_and_records_nothing(company, slack, mailbox):
    hook, store = slack(), company()
    result = check_alerts(store, model_with_alerts(mailbox.port), at=AT, dry_run=True, sleep=NO_WAIT)
    assert {p["destination"] for p in result.planned} == {
        "slack:sales", "email:cro@example.com", "email:ana@example.com", "email:ben@example.com"}
    assert hook.requests == 0 and mailbox.messages == [] and AlertLog(store).rows() == []
    assert store.query("SELECT count(*) AS n FROM _alert_watch")[0]["n"] == 0


def test_the_default_model_sends_nothing(company, slack):
    hook, store = slack(), company()
    result = check_alerts(store, load_model(None), at=AT, sleep=NO_WAIT)
    assert result.events.get("sla_breach") == 1 and result.planned == [] and hook.requests == 0
    assert AlertLog(store).rows() == []


def test_a_route_with_a_team_only_carries_that_teams_records(company, slack, mailbox):
    hook, store = slack(), company()
    model = model_with_alerts(mailbox.port, routes=[
        {"events": ["sla_breach", "deal_at_risk"], "team": "ae_na", "slack": ["sales"]}])
    check_alerts(store, model, at=AT, sleep=NO_WAIT)
    assert len(hook.received) == 1 and "opp_quiet" in hook.received[0]["text"]  # Ana's lead is sdr_na


def test_a_breach_older_than_the_alert_window_stays_in_the_queue_but_sends_nothing(company, slack, mailbox):
    from datetime import timedelta

    from revops.engines.sla import breach_queue, clock_request

    hook, store, model = slack(), company(), model_with_alerts(mailbox.port)
    later = AT + timedelta(days=5)  # lead_late became due on May 13-14: five days on, it is old news
    assert breach_queue(store.ibis, model, clock_request(at=later)).num_rows >= 1
    result = check_alerts(store, model, at=later, kinds=("sla_breach",), sleep=NO_WAIT)
    assert result.sent == 0 and hook.received == [] and mailbox.messages == []
