"""An SLA's filter is an expression over the start event's table, checked at its line."""

from __future__ import annotations

from tests.model.test_model_validation import at, issues_in

KICKOFF = """
    slas:
      - key: closed_won_to_kickoff
        label: Closed Won to Kickoff
        start: opportunity.closed_won
        stop: opportunity.kickoff_held
        duration: 5
        unit: days
        owner_team: cs_ops
        filter: {filter}
    """


def test_a_filter_on_the_records_fields_is_accepted(tmp_path):
    issues = issues_in(tmp_path, KICKOFF.format(filter="type = 'new_business' and amount > 10000"))
    assert [i for i in issues if "filter" in i.message or i.line == 9] == []


def test_a_filter_naming_a_field_of_another_table_is_refused_at_its_line(tmp_path):
    # mql_at is a lead field; the kickoff SLA's records are opportunities
    issues = issues_in(tmp_path, KICKOFF.format(filter="mql_at is not null"))
    at(issues, 9, "mql_at")


def test_a_filter_that_does_not_parse_is_refused(tmp_path):
    issues = issues_in(tmp_path, KICKOFF.format(filter="type = = 'renewal'"))
    at(issues, 9, "cannot parse")
