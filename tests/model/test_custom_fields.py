"""`custom_fields:` in revops.yaml: a company declares the fields it adds to its CRM records
(MEDDICC on deals, a use case on leads), and every expression, required field and hygiene rule
may then name them, type-checked against the declared type. Mistakes point at FILE:LINE."""

from __future__ import annotations

import textwrap

import pytest

from revops.errors import ModelError
from revops.model import ModelIssue, load_model, validate_file
from revops.model.fields import lead_fields, table_fields

MEDDICC = """
custom_fields:
  opportunities:
    - name: economic_buyer
      type: string
      description: MEDDICC E, the person who signs off the budget.
    - name: decision_criteria
      type: string
    - name: champion
      type: string
    - name: security_review_done
      type: boolean
    - name: seats
      type: integer
  leads:
    - name: use_case
      type: string
"""

PIPELINE = """
pipeline:
  stages:
    - key: discovery
      label: Discovery
      probability: 0.1
    - key: negotiation
      label: Negotiation
      probability: 0.8
      required_fields: [economic_buyer, champion, amount]
      gate: [security_review_done = true, seats >= 10]
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
hygiene:
  rules:
    - key: no_champion
      when: is_open and champion is null and seats > 50
    - key: use_case_missing
      table: leads
      when: use_case is null and status = 'mql'
"""


def write(tmp_path, text: str):
    path = tmp_path / "revops.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def issues_in(tmp_path, text: str) -> list[ModelIssue]:
    return validate_file(write(tmp_path, text))


def line_of(text: str, needle: str) -> int:
    """The 1-based line of ``text`` (as written to revops.yaml) that holds ``needle``."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def at(issues: list[ModelIssue], line: int, *words: str) -> ModelIssue:
    for issue in issues:
        if issue.line == line and all(w in issue.message for w in words):
            return issue
    pytest.fail(f"no issue at line {line} with {words}; got:\n" + "\n".join(map(str, issues)))


def test_gates_required_fields_and_rules_may_name_declared_fields(tmp_path):
    model = load_model(write(tmp_path, MEDDICC + PIPELINE))
    assert list(model.custom_fields_of("opportunities")) == [
        "economic_buyer", "decision_criteria", "champion", "security_review_done", "seats"]
    assert model.custom_fields_of("opportunities")["economic_buyer"].description.startswith("MEDDICC E")
    assert model.stage("negotiation").required_fields == ["economic_buyer", "champion", "amount"]
    assert model.summary().endswith("2 hygiene rules, 3 custom metrics, 6 custom fields")


def test_without_the_declaration_the_same_model_is_refused_and_told_where_to_declare(tmp_path):
    issues = issues_in(tmp_path, PIPELINE)
    at(issues, line_of(PIPELINE, "required_fields:"), "required field 'economic_buyer' is not an opportunity field",
       "declare it under custom_fields.opportunities")
    at(issues, line_of(PIPELINE, "gate:"), "unknown field 'security_review_done'",
       "declare it under custom_fields.opportunities")
    at(issues, line_of(PIPELINE, "when: use_case"), "unknown field 'use_case'", "declare it under custom_fields.leads")


def test_expressions_are_checked_against_the_declared_type(tmp_path):
    text = MEDDICC + PIPELINE.replace("seats >= 10", "seats >= 'ten'").replace(
        "champion is null", "champion = true")
    issues = [i for i in issues_in(tmp_path, text) if i.is_error]
    at(issues, line_of(text, "gate:"), "cannot compare `seats` (integer) with `'ten'` (string)")
    at(issues, line_of(text, "champion = true"), "cannot compare `champion` (string) with `true` (boolean)")
    assert len(issues) == 2


def test_table_fields_and_lead_fields_include_the_declared_fields(tmp_path):
    model = load_model(write(tmp_path, MEDDICC + PIPELINE))
    deal = table_fields("opportunities", model)
    assert (deal["economic_buyer"], deal["security_review_done"], deal["seats"]) == ("string", "boolean", "integer")
    assert deal["amount"] == "number" and deal["days_in_stage"] == "number"  # canonical and derived still there
    assert "use_case" not in deal and "economic_buyer" not in table_fields("opportunities")  # no model: none
    leads = lead_fields({"fit": None}, model)
    assert (leads["use_case"], leads["fit_score"]) == ("string", "number")
    assert "use_case" not in lead_fields({"fit": None})


@pytest.mark.parametrize(("entry", "line", "words"), [
    # a name that is already a canonical field of the table
    ("  opportunities:\n    - name: amount\n      type: number\n", 3, ("'amount' is already a canonical field of "
                                                                         "opportunities (number)",)),
    # a field revops derives for the table
    ("  opportunities:\n    - name: days_in_stage\n      type: number\n", 3,
     ("'days_in_stage' is a field revops derives for opportunities", "days since the deal entered")),
    # a table that is not canonical, with a did-you-mean
    ("  opportunity:\n    - name: economic_buyer\n      type: string\n", 2,
     ("unknown table 'opportunity'", "did you mean 'opportunities'?")),
    # a type revops does not know
    ("  opportunities:\n    - name: security_review_done\n      type: bool\n", 4,
     ("unknown type 'bool'", "string, integer, number, boolean, date, timestamp", "did you mean 'boolean'?")),
    ("  opportunities:\n    - name: signed_on\n      type: datetime\n", 4, ("did you mean 'timestamp'?",)),
    # not a key
    ("  opportunities:\n    - name: Economic Buyer\n      type: string\n", 3, ("'Economic Buyer' is not a valid key",)),
    # a key the section does not have
    ("  opportunities:\n    - name: champion\n      type: string\n      requird: true\n", 5,
     ("unknown key 'requird'",)),
    ("  opportunities:\n    - name: champion\n", 3, ("missing required key 'type'",)),
])
def test_mistakes_in_the_section_point_at_their_line(tmp_path, entry, line, words):
    issues = issues_in(tmp_path, "custom_fields:\n" + entry)
    issue = at(issues, line, *words)
    assert issue.is_error and str(issue).startswith(f"{tmp_path / 'revops.yaml'}:{line}: ")
    assert "custom_fields." in issue.message
    with pytest.raises(ModelError):
        load_model(tmp_path / "revops.yaml")


def test_a_lead_field_may_not_take_the_name_of_a_scoring_group_s_score(tmp_path):
    issues = issues_in(tmp_path, """
        scoring:
          mql_threshold: 10
          groups:
            - key: product
              rules:
                - {key: trial, when: "source = 'trial'", points: 10}
        custom_fields:
          leads:
            - name: product_score
              type: number
        """)
    at(issues, 9, "'product_score' is a field revops derives for leads", "points of the scoring group 'product'")


def test_a_field_declared_twice_points_at_the_first(tmp_path):
    issues = issues_in(tmp_path, """
        custom_fields:
          opportunities:
            - name: champion
              type: string
            - name: champion
              type: string
        """)
    issue = at(issues, 5, "duplicate custom field of opportunities 'champion'")
    assert "first defined at line 3" in issue.message


def test_the_same_name_on_two_tables_is_two_fields(tmp_path):
    model = load_model(write(tmp_path, """
        custom_fields:
          opportunities: [{name: use_case, type: string}]
          leads: [{name: use_case, type: string}]
          accounts: [{name: use_case, type: integer}]
        """))
    assert table_fields("accounts", model)["use_case"] == "integer"
    assert table_fields("leads", model)["use_case"] == "string"


def test_an_empty_section_or_table_declares_nothing(tmp_path):
    assert load_model(write(tmp_path, "custom_fields:\n  opportunities:\n")).custom_fields == {"opportunities": []}
    assert load_model(write(tmp_path, "custom_fields:\n")).custom_fields == {}


def test_the_default_model_declares_the_handoff_fields_and_an_empty_section_is_left_out(tmp_path):
    default = load_model(None)
    declared = [f.name for f in default.custom_fields["opportunities"]]
    assert declared == list(default.handoffs.sales_to_cs.required_fields) == ["use_case", "stakeholders", "promised"]
    # declaring nothing is a model without the section: it hashes (and versions) as one
    none = load_model(write(tmp_path, "custom_fields: {}\n"))
    assert none.custom_fields == {} and "custom_fields" not in none.canonical_dict()
    assert "custom_fields" not in none.to_yaml()
    assert load_model(write(tmp_path, MEDDICC)).hash() != none.hash()


def test_a_model_with_custom_fields_round_trips_through_yaml(tmp_path):
    model = load_model(write(tmp_path, MEDDICC + PIPELINE))
    again = tmp_path / "again.yaml"
    again.write_text(model.to_yaml())
    assert load_model(again).hash() == model.hash()
