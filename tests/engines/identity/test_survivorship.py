"""What a merge keeps: the survivor by its rule, each field by its own."""

from __future__ import annotations

from datetime import datetime

import pytest

from revops.engines.identity.survivorship import field_value, merged_record, survivor
from revops.model.sections.identity import DedupeRules, SourcePriority

OLD_CRM = {"contact_id": "c1", "first_name": "Bob", "email": "bob@acme.com", "phone": None, "title": "CFO",
           "source": "crm", "created_at": datetime(2023, 1, 1), "updated_at": datetime(2023, 1, 1)}
NEW_IMPORT = {"contact_id": "c2", "first_name": "Robert", "email": " ROBERT.SMITH@ACME.COM ", "phone": "+1 555 0100",
              "title": "Chief Financial Officer", "source": "import", "created_at": datetime(2024, 1, 1),
              "updated_at": datetime(2024, 6, 1)}
API = {"contact_id": "c3", "first_name": "R.", "email": None, "phone": "555 0199", "title": None, "source": "api",
       "created_at": datetime(2024, 3, 1), "updated_at": datetime(2025, 1, 1)}
CLUSTER = [OLD_CRM, NEW_IMPORT, API]


@pytest.mark.parametrize("rule, expected", [
    ("most_complete", "c2"),  # every field filled
    ("most_recent", "c3"),    # updated last
    ("oldest", "c1"),         # created first
    (SourcePriority(source_priority=["crm", "import", "api"]), "c1"),
    (SourcePriority(source_priority=["api"]), "c3"),
])
def test_the_survivor_follows_its_rule(rule, expected):
    assert survivor(CLUSTER, DedupeRules(survivor=rule), "contact_id")["contact_id"] == expected


def test_most_complete_keeps_the_longest_value():
    assert field_value("first_name", CLUSTER, OLD_CRM, "most_complete", "contact_id") == "Robert"
    # spaces do not count, and a tie keeps the survivor's spelling
    twins = [{**OLD_CRM, "first_name": "ANA"}, {**NEW_IMPORT, "first_name": " Ana "}]
    assert field_value("first_name", twins, twins[0], "most_complete", "contact_id") == "ANA"


def test_most_recent_takes_the_latest_record_that_has_a_value():
    assert field_value("phone", CLUSTER, OLD_CRM, "most_recent", "contact_id") == "555 0199"
    assert field_value("title", CLUSTER, OLD_CRM, "most_recent", "contact_id") == "Chief Financial Officer"


def test_source_priority_takes_the_most_trusted_source_that_has_a_value():
    rule = SourcePriority(source_priority=["crm", "import", "api"])
    assert field_value("title", CLUSTER, API, rule, "contact_id") == "CFO"
    assert field_value("phone", CLUSTER, API, rule, "contact_id") == "+1 555 0100"  # crm has none


def test_the_merged_record_keeps_its_id_and_the_first_creation_day():
    rules = DedupeRules(survivor="most_recent", fields={"default": "most_complete", "title": "oldest"})
    chosen = survivor(CLUSTER, rules, "contact_id")
    merged = merged_record(CLUSTER, chosen, rules, "contact_id")
    assert merged["contact_id"] == "c3"
    assert merged["created_at"] == datetime(2023, 1, 1)
    assert merged["first_name"] == "Robert"
    assert merged["title"] == "CFO"
    assert merged["email"] == " ROBERT.SMITH@ACME.COM "  # the longest, as written
