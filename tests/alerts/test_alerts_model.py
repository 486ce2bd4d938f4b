"""The alerts section of revops.yaml: secrets stay in the environment, routes name real
channels, and every mistake is reported at its line."""

from __future__ import annotations

import textwrap

from revops.model import load_model, validate_file


def issues_in(tmp_path, text: str):
    path = tmp_path / "revops.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return validate_file(path)


def test_the_default_model_has_an_alerts_section_that_sends_nothing():
    alerts = load_model(None).alerts
    assert (alerts.slack, alerts.email, alerts.routes, alerts.digest) == ({}, None, [], False)


def test_mistakes_in_the_alerts_section_are_reported_at_their_line(tmp_path):
    issues = issues_in(tmp_path, """
        alerts:
          slack:
            sales:
              webhook_env: https://hooks.slack.com/services/T0/B0/secret
          routes:
            - events: [sla_breach]
              slack: [sale]
            - events: [deal_at_risk]
              email: [cro@example.com]
    """)
    found = {(i.line, i.message.split(":")[0]) for i in issues}
    by_line = {i.line: i.message for i in issues}
    assert "environment variable" in by_line[4] and "revops.yaml" in by_line[4]
    assert "no Slack channel 'sale'" in by_line[7] and "did you mean 'sales'" in by_line[7]
    assert any(i.line == 8 and "no SMTP server" in i.message for i in issues), found


def test_a_complete_alerts_section_validates(tmp_path):
    issues = issues_in(tmp_path, """
        alerts:
          slack:
            sales: {webhook_env: SLACK_WEBHOOK_SALES}
          email: {host: smtp.example.com, port: 587, from: revops@example.com,
                  username_env: SMTP_USER, password_env: SMTP_PASSWORD}
          routes:
            - {events: [sla_breach, deal_at_risk], to_owner: true, team: sdr_na}
            - {events: [forecast_change], slack: [sales], email: [cro@example.com]}
          digest: true
    """)
    assert [i for i in issues if i.severity == "error"] == []


def test_an_unknown_event_kind_is_refused_at_its_line(tmp_path):
    issues = issues_in(tmp_path, """
        alerts:
          routes:
            - events: [sla_breached]
              to_owner: true
    """)
    assert any(i.line == 3 and "sla_breach" in i.message for i in issues), [str(i) for i in issues]
