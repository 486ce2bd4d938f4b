"""Routing mistakes in revops.yaml, each reported at the line to fix."""

from __future__ import annotations

from tests.model.test_model_validation import at, issues_in

GRAPH = """
routing:
  nodes:
    - key: start
      type: start
      next: smb
    - key: smb
      type: round_robin
      pool: role = 'ae'
      else: triage
    - key: triage
      type: queue
      queue: triage
  regions:
    NA: [US, CA]
    EMEA: [GB, DE]
  fallback:
    action: reassign_to_manager
    after: 4
    unit: business_hours
    reminder_before: 1
"""


def test_the_graph_is_valid(tmp_path):
    assert [i for i in issues_in(tmp_path, GRAPH) if i.is_error] == []


def test_a_pool_without_else_has_no_declared_default(tmp_path):
    at(issues_in(tmp_path, GRAPH.replace("      else: triage\n", "")), 6, "round_robin 'smb' has no else")


def test_a_country_in_two_regions(tmp_path):
    at(issues_in(tmp_path, GRAPH.replace("EMEA: [GB, DE]", "EMEA: [GB, US]")), 15, "US is in region 'NA' and in 'EMEA'")


def test_a_country_written_as_a_name(tmp_path):
    at(issues_in(tmp_path, GRAPH.replace("NA: [US, CA]", "NA: [US, Canada]")), 14, "'Canada' is not an ISO 3166")


def test_a_reminder_after_the_fallback(tmp_path):
    at(issues_in(tmp_path, GRAPH.replace("reminder_before: 1", "reminder_before: 5")), 20, "reminder_before 5")


def test_a_territory_matched_on_a_field_territories_do_not_have(tmp_path):
    text = GRAPH.replace("""    - key: smb
      type: round_robin
      pool: role = 'ae'
""", """    - key: smb
      type: territory
      match_on: [company_size]
""")
    at(issues_in(tmp_path, text), 8, "territories match on country, region, industry")


def test_a_pool_expression_over_a_field_users_lack(tmp_path):
    at(issues_in(tmp_path, GRAPH.replace("pool: role = 'ae'", "pool: title = 'ae'")), 8, "title")
