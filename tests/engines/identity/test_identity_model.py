"""The `identity:` section of revops.yaml: thresholds and survivorship, checked with file:line."""

from __future__ import annotations

import textwrap

from revops.model import load_model, validate_file
from revops.model.sections.identity import SourcePriority


def issues_in(tmp_path, text: str) -> list[str]:
    path = tmp_path / "revops.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return [f"{i.line}: {i.message}" for i in validate_file(path)]


def test_the_default_model_has_thresholds_and_survivorship_per_table():
    identity = load_model(None).identity
    for table in ("contacts", "leads", "accounts"):
        rules = identity.rules(table)
        assert 0.5 <= rules.review_threshold < rules.match_threshold <= 1
        assert "default" in rules.fields
    assert identity.accounts.survivor == "oldest"
    assert identity.account_matching.fuzzy_threshold == 0.92


def test_a_company_sets_its_own_rules(tmp_path):
    path = tmp_path / "revops.yaml"
    path.write_text(textwrap.dedent("""
        identity:
          contacts:
            match_threshold: 0.97
            survivor: {source_priority: [crm, import]}
            fields:
              default: most_recent
              phone: {source_priority: [crm]}
    """))
    rules = load_model(path).identity.contacts
    assert rules.match_threshold == 0.97
    assert rules.survivor == SourcePriority(source_priority=["crm", "import"])
    assert rules.fields["phone"].source_priority == ["crm"]
    assert load_model(path).identity.accounts.match_threshold == 0.9  # the rest keeps its defaults


def test_mistakes_are_reported_at_their_line(tmp_path):
    found = issues_in(tmp_path, """
        identity:
          accounts:
            fields:
              ownr_id: oldest
              name: {source_priority: [crm]}
              account_id: most_recent
    """)
    assert any(f.startswith("4: ") and "no field 'ownr_id'" in f and "did you mean 'owner_id'" in f for f in found)
    assert any(f.startswith("5: ") and "accounts have no source column" in f for f in found)
    assert any(f.startswith("6: ") and "keeps its own" in f for f in found)


def test_the_review_threshold_sits_below_the_match_threshold(tmp_path):
    found = issues_in(tmp_path, """
        identity:
          leads:
            match_threshold: 0.8
            review_threshold: 0.9
    """)
    assert any(f.startswith("2: ") and "review_threshold (0.9) is above match_threshold (0.8)" in f for f in found)


def test_an_unknown_rule_is_refused(tmp_path):
    found = issues_in(tmp_path, """
        identity:
          contacts:
            fields:
              title: longest
    """)
    assert any(f.startswith("4: ") for f in found), found
