"""The `workflows:` section of revops.yaml: a valid one loads; each mistake is reported as
FILE:LINE: message at the line to fix (`revops validate`)."""

from __future__ import annotations

import textwrap

import pytest

from revops.model import ModelIssue, validate_file
from revops.model.loader import check
from tests.conftest import run_cli

ALERTS = """
alerts:
  slack:
    enterprise_aes:
      webhook_env: SLACK_ENTERPRISE_AES
"""

VALID = ALERTS + """
workflows:
  - key: intent_spike
    label: Pricing-page intent spike
    trigger:
      signals:
        type: page_view
        where: "contains(url, '/pricing')"
        per: account
        count: 3
        within: 7d
        cooldown: 14d
    when: "employees >= 200"
    steps:
      - assign: {owner: "route:enterprise"}
      - add_to_sequence: {sequence: enterprise_intent, members: contacts}
      - create_task: {owner: owner, subject: "Research {name} ({signal_count} pricing views)", due_in: 1d}
      - notify: {slack: [enterprise_aes], text: "{name} viewed pricing {signal_count} times"}
      - log_touch: {touch_type: intent_spike, channel: intent}
      - if: "employees >= 1000"
        then:
          - update_field: {field: type, value: "'target'"}
          - create_opportunity: {amount: "employees * 10"}
        else:
          - wait: 2d
      - webhook: {url_env: ENRICH_URL, secret_env: ENRICH_SECRET}
    retry: {attempts: 3, backoff_seconds: 1}
  - key: weekly_stale_review
    trigger:
      schedule: {cron: "0 9 * * 1", table: opportunities, where: "amount > 10000"}
    steps:
      - create_task: {subject: "Review {name}", owner: manager}
  - key: hot_lead
    trigger:
      score: {crosses: 80}
    steps:
      - add_to_list: {list: hot_leads}
"""


def issues_in(tmp_path, text: str) -> list[ModelIssue]:
    path = tmp_path / "revops.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return validate_file(path)


def at(issues: list[ModelIssue], line: int, *words: str) -> ModelIssue:
    """The error on ``line`` whose message holds every word; fails with all issues shown."""
    for issue in issues:
        if issue.is_error and issue.line == line and all(w in issue.message for w in words):
            return issue
    pytest.fail(f"no error at line {line} with {words}; got:\n" + "\n".join(map(str, issues)))


def test_a_valid_workflows_section_loads_with_its_triggers_and_steps(tmp_path):
    path = tmp_path / "revops.yaml"
    path.write_text(VALID)
    model, issues = check(path)
    assert [str(i) for i in issues if i.is_error] == []
    spike, weekly, hot = model.workflows
    assert (spike.trigger.kind, spike.trigger.table) == ("signals", "accounts")
    assert [s.kind for s in spike.steps] == ["assign", "add_to_sequence", "create_task", "notify", "log_touch",
                                             "if", "webhook"]
    assert [s.kind for s in spike.steps[5].then] == ["update_field", "create_opportunity"]
    assert spike.steps[5].else_[0].wait == "2d"
    assert spike.retry.attempts == 3
    assert (weekly.trigger.kind, weekly.trigger.table) == ("schedule", "opportunities")
    assert (hot.trigger.kind, hot.trigger.table) == ("score", "leads")


def test_revops_validate_names_file_and_line_of_each_workflow_mistake(tmp_path):
    text = VALID.replace('when: "employees >= 200"', 'when: "employes >= 200"') \
        .replace("Research {name} (", "Research {nmae} (") \
        .replace("slack: [enterprise_aes]", "slack: [sales_team]") \
        .replace("route:enterprise", "route:enterprize") \
        .replace('if: "employees >= 1000"', 'if: "headcount >= 1000"') \
        .replace("field: type, value", "field: account_id, value") \
        .replace('cron: "0 9 * * 1"', 'cron: "0 9 * *"')
    path = tmp_path / "revops.yaml"
    path.write_text(text)
    result = run_cli("--model", str(path), "validate")
    assert result.returncode != 0
    lines = result.stdout.splitlines()

    def line_of(needle: str) -> int:
        return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)

    expected = [
        (line_of("when: "), "unknown field 'employes'", "did you mean 'employees'"),
        (line_of("Research {nmae}"), "{nmae}", "did you mean 'name'"),
        (line_of("slack: [sales_team]"), "no Slack channel 'sales_team' under alerts.slack"),
        (line_of("route:enterprize"), "no routing node 'enterprize'"),
        (line_of("headcount"), "unknown field 'headcount'"),
        (line_of("field: account_id"), "account_id is the record's id"),
        (line_of("cron:"), "is not a cron schedule"),
    ]
    for line, *words in expected:
        prefix = f"{path}:{line}: "
        assert any(o.startswith(prefix) and all(w in o for w in words) for o in lines), \
            f"no {prefix}{words} in:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize(("step", "words"), [
    ("update_field: {field: tier, value: \"'a'\"}", ("accounts has no field 'tier'",)),
    ("update_field: {field: account_id, value: \"'A9'\"}", ("account_id is the record's id",)),
    ("update_field: {field: type, value: \"typ\"}", ("unknown field 'typ'",)),
    ("create_task: {subject: Call, owner: \"route:nowhere\"}", ("no routing node 'nowhere'",)),
    ("notify: {text: hi}", ("notifies nobody",)),
    ("create_opportunity: {stage: closed_won}", ("no open pipeline stage 'closed_won'",)),
    ("webhook: {url_env: \"https://hooks.example.com/x\"}", ("put it in an environment variable",)),
])
def test_a_bad_step_is_reported_at_its_line(tmp_path, step, words):
    text = f"""
    workflows:
      - key: w
        trigger:
          event: {{type: signup, subject: account}}
        steps:
          - log_touch: {{}}
          - {step}
    """
    at(issues_in(tmp_path, text), 7, *words)


def test_assign_on_a_contacts_workflow_is_an_error(tmp_path):
    text = """
    workflows:
      - key: new_contact
        trigger:
          record: {table: contacts, on: created}
        steps:
          - add_to_list: {list: new_people}
          - assign: {owner: owner}
    """
    at(issues_in(tmp_path, text), 7, "contacts have no owner")


def test_a_bad_duration_is_reported_with_how_to_write_one(tmp_path):
    text = """
    workflows:
      - key: w
        trigger:
          signals: {type: page_view, count: 3, within: 7 days}
        steps:
          - log_touch: {}
    """
    at(issues_in(tmp_path, text), 4, "'7 days' is not a duration", "7d")


def test_a_step_with_two_actions_is_reported(tmp_path):
    text = """
    workflows:
      - key: w
        trigger:
          event: {type: signup, subject: account}
        steps:
          - log_touch: {}
          - assign: {owner: owner}
            wait: 1d
    """
    at(issues_in(tmp_path, text), 7, "a step is exactly one of", "found assign, wait")


def test_a_trigger_must_be_exactly_one_kind(tmp_path):
    text = """
    workflows:
      - key: w
        trigger:
          event: {type: signup}
          score: {crosses: 50}
        steps:
          - log_touch: {}
    """
    at(issues_in(tmp_path, text), 3, "exactly one trigger", "found 2")


def test_a_record_trigger_names_fields_of_its_table(tmp_path):
    text = """
    workflows:
      - key: w
        trigger:
          record: {table: opportunities, on: updated, fields: [stage, amout]}
        steps:
          - log_touch: {}
    """
    at(issues_in(tmp_path, text), 4, "opportunities has no field 'amout'", "did you mean 'amount'")


def test_a_when_over_run_fields_and_an_if_over_an_unknown_field(tmp_path):
    text = """
    workflows:
      - key: w
        trigger:
          signals: {type: page_view, count: 2, within: 1d}
        when: "signal_count >= 2 and event_type = 'page_view'"
        steps:
          - if: "employee_count > 5"
            then: [{log_touch: {}}]
    """
    issues = issues_in(tmp_path, text)
    assert not any(i.is_error and i.line == 5 for i in issues), "\n".join(map(str, issues))
    at(issues, 7, "unknown field 'employee_count'")


def test_workflow_keys_are_unique(tmp_path):
    text = """
    workflows:
      - key: w
        trigger: {event: {type: a}}
        steps: [{log_touch: {}}]
      - key: w
        trigger: {event: {type: b}}
        steps: [{log_touch: {}}]
    """
    at(issues_in(tmp_path, text), 5, "duplicate workflow key 'w'")


@pytest.mark.parametrize(("cron", "valid"), [
    ("0 9 * * 1", True),
    ("*/15 8-18 * * mon-fri", True),
    ("@daily", True),
    ("0 9 * *", False),          # four fields
    ("0 0 9 * * 1", False),      # six (a seconds field): not the five the schedule is read as
    ("0 25 * * *", False),       # no 25th hour
])
def test_a_schedule_is_five_cron_fields(tmp_path, cron, valid):
    text = f"""
    workflows:
      - key: w
        trigger:
          schedule: {{cron: "{cron}", table: accounts}}
        steps:
          - log_touch: {{}}
    """
    errors = [i for i in issues_in(tmp_path, text) if i.is_error]
    if valid:
        assert errors == []
    else:
        at(errors, 4, "is not a cron schedule", "five fields")


def test_create_opportunity_without_a_name_is_valid_on_every_table(tmp_path):
    text = """
    workflows:
      - key: from_leads
        trigger: {event: {type: demo_request}}
        steps: [{create_opportunity: {}}]
      - key: from_contacts
        trigger: {record: {table: contacts, on: created}}
        steps: [{create_opportunity: {}}]
      - key: from_accounts
        trigger: {event: {type: demo_request, subject: account}}
        steps: [{create_opportunity: {name: "{nam} expansion"}}]
    """
    issues = [i for i in issues_in(tmp_path, text) if i.is_error]
    assert len(issues) == 1, "\n".join(map(str, issues))
    at(issues, 10, "{nam}", "did you mean 'name'")


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("employees", "'many'", "of type string, but employees is of type integer"),
    ("employees", "employees * 2", None),
    ("annual_revenue", "employees * 1000.5", None),
    ("type", "employees", None),                         # a number into a text field: stored as text
    ("created_at", "'2026-01-01'", None),                # a time written as text
    ("created_at", "employees", "of type integer, but created_at is of type timestamp"),
])
def test_update_field_takes_a_value_its_field_can_hold(tmp_path, field, value, problem):
    text = f"""
    workflows:
      - key: w
        trigger: {{event: {{type: signup, subject: account}}}}
        steps:
          - update_field: {{field: {field}, value: "{value}"}}
    """
    errors = [i for i in issues_in(tmp_path, text) if i.is_error]
    if problem is None:
        assert errors == []
    else:
        at(errors, 5, problem)
