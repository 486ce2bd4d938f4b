"""Every mistake in revops.yaml is reported as FILE:LINE: message, at the line to fix."""

from __future__ import annotations

import textwrap

import pytest

from revops.errors import ModelError
from revops.model import ModelIssue, load_model, validate_file


def issues_in(tmp_path, text: str) -> list[ModelIssue]:
    path = tmp_path / "revops.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return validate_file(path)


def at(issues: list[ModelIssue], line: int, *words: str) -> ModelIssue:
    """The issue on ``line`` whose message holds every word; fails with all issues shown."""
    for issue in issues:
        if issue.line == line and all(w in issue.message for w in words):
            return issue
    pytest.fail(f"no issue at line {line} with {words}; got:\n" + "\n".join(map(str, issues)))


PIPELINE = """
pipeline:
  stages:
    - key: discovery
      label: Discovery
      probability: 0.1
    - key: proposal
      label: Proposal
      probability: 0.6
    - key: won
      label: Won
      probability: 1
      forecast_category: closed
      is_closed: true
      is_won: true
    - key: lost
      label: Lost
      probability: 0
      forecast_category: omitted
      is_closed: true
"""


def test_a_valid_small_pipeline_is_accepted(tmp_path):
    # hygiene from the default names proposal and negotiation; this pipeline has no negotiation
    issues = issues_in(tmp_path, PIPELINE + "hygiene:\n  rules: []\n")
    assert [i for i in issues if i.is_error] == []


def test_issue_renders_file_and_line(tmp_path):
    issues = issues_in(tmp_path, "company:\n  timezone: Mars/Olympus\n")
    issue = at(issues, 2, "unknown time zone 'Mars/Olympus'")
    assert str(issue) == f"{tmp_path / 'revops.yaml'}:2: {issue.message}"


def test_duplicate_stage_key_points_at_the_second_one(tmp_path):
    text = PIPELINE.replace("- key: proposal", "- key: discovery")
    issue = at(issues_in(tmp_path, text), 6, "duplicate pipeline stage key 'discovery'")
    assert "first defined at line 3" in issue.message


def test_open_stage_probabilities_must_increase(tmp_path):
    text = PIPELINE.replace("probability: 0.6", "probability: 0.05")
    at(issues_in(tmp_path, text), 8, "not above 0.1 of 'discovery'", "must increase")


def test_percentages_are_accepted(tmp_path):
    text = PIPELINE.replace("probability: 0.6", "probability: '60%'") + "hygiene:\n  rules: []\n"
    path = tmp_path / "revops.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    assert load_model(path).stage("proposal").probability == pytest.approx(0.6)


def test_only_closed_stages_may_be_certain(tmp_path):
    text = PIPELINE.replace("probability: 0.6", "probability: 1.0")
    at(issues_in(tmp_path, text), 8, "open stage 'proposal' has probability 100%")


def test_probability_outside_zero_to_one(tmp_path):
    text = PIPELINE.replace("probability: 0.6", "probability: 60")
    at(issues_in(tmp_path, text), 8, "outside 0-1", "'40%'")


def test_won_stage_must_be_closed(tmp_path):
    text = PIPELINE.replace("      is_closed: true\n      is_won: true", "      is_won: true")
    at(issues_in(tmp_path, text), 13, "won but not closed")


def test_required_field_must_be_an_opportunity_field(tmp_path):
    text = PIPELINE.replace("probability: 0.6\n", "probability: 0.6\n      required_fields: [amount, nxt_step]\n")
    at(issues_in(tmp_path, text), 9, "'nxt_step' is not an opportunity field", "did you mean 'next_step'")


def test_stage_forecast_category_must_exist(tmp_path):
    text = PIPELINE.replace("forecast_category: closed", "forecast_category: close")
    at(issues_in(tmp_path, text), 12, "'close' is not defined", "did you mean 'closed'")


def test_unknown_field_in_a_criterion_suggests_the_right_one(tmp_path):
    issues = issues_in(tmp_path, """
        lifecycle:
          stages:
            - {key: new, label: New}
            - key: mql
              label: MQL
              entry_criteria: scroe >= 60
            - {key: sql, label: SQL, entry_criteria: sql_at is not null}
            - {key: sal, label: SAL, entry_criteria: sal_at is not null}
            - {key: opportunity, label: Opportunity, entry_criteria: converted}
            - {key: customer, label: Customer, entry_criteria: opportunity_won}
            - {key: recycled, label: Recycled, entry_criteria: not converted, recycle_after_days: 90}
            - {key: disqualified, label: Disqualified, entry_criteria: disqualified_at is not null}
        """)
    issue = at(issues, 6, "scroe")
    assert "score" in issue.message.replace("scroe", "")


def test_gate_that_does_not_parse(tmp_path):
    text = PIPELINE.replace("probability: 0.6\n", "probability: 0.6\n      gate:\n        - amount >\n")
    at(issues_in(tmp_path, text), 10, "'amount >'")


def test_missing_lifecycle_stage(tmp_path):
    issues = issues_in(tmp_path, """
        lifecycle:
          stages:
            - {key: new, label: New}
        """)
    at(issues, 2, "lifecycle stage 'mql' is missing")


def test_sla_on_an_unknown_event(tmp_path):
    issues = issues_in(tmp_path, """
        slas:
          - key: mql_to_first_contact
            label: MQL to first contact
            start: lead.mql_at
            stop: lead.first_touch_at
            duration: 4
            unit: business_hours
            owner_team: sales_ops
        """)
    at(issues, 5, "lead.first_touch_at", "no field 'first_touch_at'")


def test_sla_event_must_be_a_time_field(tmp_path):
    issues = issues_in(tmp_path, """
        slas:
          - key: x
            label: X
            start: opportunity.amount
            stop: opportunity.closed_won
            duration: 4
            unit: days
            owner_team: revops
        """)
    at(issues, 4, "is a number field, not a timestamp")


def test_sla_start_and_stop_on_different_records(tmp_path):
    issues = issues_in(tmp_path, """
        slas:
          - key: x
            label: X
            start: lead.mql_at
            stop: opportunity.closed_won
            duration: 4
            unit: days
            owner_team: revops
        """)
    at(issues, 5, "same record")


def test_sla_unit_must_be_known(tmp_path):
    issues = issues_in(tmp_path, """
        slas:
          - key: x
            label: X
            start: lead.mql_at
            stop: lead.first_contacted_at
            duration: 4
            unit: fortnights
            owner_team: revops
        """)
    at(issues, 7, "slas.x.unit", "business_hours")


ROUTING = """
routing:
  nodes:
    - key: start
      type: start
      next: big
    - key: big
      type: condition
      when: company_size > 1000
      then: enterprise
      else: nurture
    - key: enterprise
      type: queue
      queue: enterprise
    - key: nurture
      type: nurture
      sequence: nurture
"""


def test_valid_routing_graph(tmp_path):
    assert [i for i in issues_in(tmp_path, ROUTING) if i.is_error] == []


def test_routing_condition_without_default_branch(tmp_path):
    text = ROUTING.replace("      else: nurture\n", "")
    at(issues_in(tmp_path, text), 6, "condition 'big' has no else")


def test_routing_branch_to_a_missing_node(tmp_path):
    text = ROUTING.replace("then: enterprise", "then: enterprse")
    at(issues_in(tmp_path, text), 9, "'enterprse', which is not a routing node", "did you mean 'enterprise'")


def test_routing_loop(tmp_path):
    text = ROUTING.replace("else: nurture", "else: start")
    at(issues_in(tmp_path, text), 6, "routing loops: start -> big -> start")


def test_routing_needs_exactly_one_start(tmp_path):
    text = ROUTING.replace("    - key: nurture\n      type: nurture\n      sequence: nurture\n",
                           "    - key: nurture\n      type: start\n      next: big\n")
    at(issues_in(tmp_path, text), 15, "more than one start node", "first defined at line 4")


def test_routing_unknown_node_type(tmp_path):
    text = ROUTING.replace("type: queue", "type: que")
    at(issues_in(tmp_path, text), 12, "unknown type 'que'")


def test_routing_condition_with_unknown_field(tmp_path):
    text = ROUTING.replace("when: company_size > 1000", "when: employees > 1000")
    at(issues_in(tmp_path, text), 8, "employees")


def test_yaml_syntax_error_has_its_line(tmp_path):
    issues = issues_in(tmp_path, """
        company:
          name: Acme
          currency: [USD
        pipeline:
          stages: []
        """)
    assert len(issues) == 1
    assert issues[0].line in (3, 4)
    assert "YAML syntax error" in issues[0].message


def test_duplicate_yaml_key_has_its_line(tmp_path):
    issues = issues_in(tmp_path, """
        company:
          name: Acme
          currency: USD
          name: Acme Inc
        """)
    at(issues, 4, "duplicate key 'name'", "first at line 2")


def test_unknown_key_suggests_the_right_one(tmp_path):
    text = PIPELINE.replace("      label: Proposal", "      lable: Proposal")
    issues = issues_in(tmp_path, text)
    at(issues, 7, "unknown key 'lable'", "did you mean 'label'")
    at(issues, 6, "missing required key 'label'")


def test_unknown_top_level_section(tmp_path):
    at(issues_in(tmp_path, "pipelines: {}\n"), 1, "unknown key 'pipelines'", "did you mean 'pipeline'")


def test_fiscal_month_out_of_range(tmp_path):
    at(issues_in(tmp_path, "company:\n  fiscal_year_start_month: 13\n"), 2, "less than or equal to 12")


def test_timezone_suggestion(tmp_path):
    at(issues_in(tmp_path, "company:\n  timezone: Europe/Londn\n"), 2, "did you mean 'Europe/London'")


def test_health_weights_must_sum_to_one(tmp_path):
    issues = issues_in(tmp_path, """
        health:
          measures:
            - {key: usage, weight: 0.5}
            - {key: support, weight: 0.3}
          bands:
            - {key: red, min: 0, max: 50}
            - {key: green, min: 51, max: 100}
        """)
    at(issues, 2, "weights sum to 0.8, not 1")


def test_health_bands_must_not_overlap(tmp_path):
    issues = issues_in(tmp_path, """
        health:
          measures:
            - {key: usage, weight: 1}
          bands:
            - {key: red, min: 0, max: 60}
            - {key: green, min: 51, max: 100}
        """)
    at(issues, 6, "overlaps 'red'")


def test_custom_metric_rules(tmp_path):
    issues = issues_in(tmp_path, """
        metrics:
          - name: win_rate
            type: count
            table: opportunities
          - name: big_deals
            type: sum
            table: opportunities
            field: amout
          - name: share
            type: ratio
            numerator: big_deals
            denominator: all_deals
          - name: big_deals
            type: count
            table: opportunities
        """)
    at(issues, 2, "'win_rate' is a built-in metric")
    at(issues, 8, "no field 'amout'", "did you mean 'amount'")
    at(issues, 12, "denominator 'all_deals' is not a metric")
    at(issues, 13, "duplicate metric name 'big_deals'", "first defined at line 5")


def test_scoring_threshold_must_be_reachable(tmp_path):
    issues = issues_in(tmp_path, """
        scoring:
          mql_threshold: 60
          groups:
            - key: fit
              rules:
                - {key: big, when: company_size > 1000, points: 20}
        """)
    at(issues, 2, "no lead can reach the MQL threshold 60", "20")


def test_problem_in_a_default_section_points_at_the_default_file(tmp_path):
    # Renaming the pipeline stages leaves the default hygiene rule about proposal dangling.
    text = PIPELINE.replace("key: proposal", "key: offer")
    issues = issues_in(tmp_path, text)
    issue = next(i for i in issues if "'proposal' is not a pipeline stage" in i.message)
    assert issue.file.endswith("default.yaml")
    assert "add a hygiene: section" in issue.message


def test_load_model_raises_with_every_issue(tmp_path):
    path = tmp_path / "revops.yaml"
    path.write_text("company:\n  fiscal_year_start_month: 0\n  timezone: Nowhere\n")
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert f"{path}:2:" in str(info.value)
    assert info.value.issues and all(isinstance(i, ModelIssue) for i in info.value.issues)


def test_missing_file(tmp_path):
    issues = validate_file(tmp_path / "nope.yaml")
    assert len(issues) == 1 and "revops init" in issues[0].message


def test_warnings_do_not_stop_loading(tmp_path):
    path = tmp_path / "revops.yaml"
    path.write_text("scoring:\n  mql_threshold: 70\n  groups: []\n")
    issues = validate_file(path)
    assert issues and all(i.severity == "warning" for i in issues)
    assert "mql_threshold" in issues[0].message
    assert load_model(path).scoring.mql_threshold == 70


def test_criterion_comparing_a_stage_with_a_label_or_a_typo(tmp_path):
    issues = issues_in(tmp_path, """
        hygiene:
          rules:
            - key: late_no_amount
              when: stage in ('Proposal', 'negotation') and amount is null
        """)
    at(issues, 4, "stage holds keys; write 'proposal', not 'Proposal'")
    at(issues, 4, "'negotation' is not a pipeline stage", "did you mean 'negotiation'")


def test_parse_error_is_one_line_with_its_position(tmp_path):
    text = PIPELINE.replace("probability: 0.6\n", "probability: 0.6\n      gate: ['amount >']\n")
    issue = at(issues_in(tmp_path, text), 9, "cannot parse 'amount >' at character")
    assert "\n" not in issue.message


def test_the_schema_lets_editors_accept_a_percentage_probability():
    import re

    from revops.model.schema import RevenueModel

    prob = RevenueModel.model_json_schema()["$defs"]["PipelineStage"]["properties"]["probability"]
    pattern = next(o["pattern"] for o in prob["anyOf"] if o.get("type") == "string")
    assert re.match(pattern, "40%") and not re.match(pattern, "forty")


def test_an_mql_threshold_is_matched_as_a_number_not_as_text():
    from revops.model import load_model
    from revops.model.rules.definitions import mql_matches_threshold

    model = load_model(None)
    model.scoring.mql_threshold = 6          # 'score >= 60' mentions 60, not 6
    assert [i.message for i in mql_matches_threshold(model)]
    model.scoring.mql_threshold = 60
    assert not list(mql_matches_threshold(model))
