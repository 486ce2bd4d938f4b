"""Data quality on hand-built records: each part of the score counts what docs/quality.md
says it counts, rules come from the model (null passes, `when` picks the records), per owner
and as of a moment."""

from __future__ import annotations

import json
import textwrap
from datetime import date, datetime

import pytest

from revops.engines.quality import QualityCheck
from revops.model import load_model, validate_file
from revops.model.schema import RevenueModel
from tests.conftest import run_cli

AS_OF = datetime(2026, 5, 12, 12, 0)


def model_with(**data_quality) -> RevenueModel:
    data = load_model(None).model_dump(mode="json", by_alias=True)
    data["data_quality"] = {**data["data_quality"], **data_quality}
    return RevenueModel.model_validate(data)


def contact(cid, email, owner_account="a1", **kw):
    return {"contact_id": cid, "account_id": owner_account, "email": email, "first_name": "Ana", "last_name": "Lee",
            "title": "VP", "phone": "1", "created_at": datetime(2026, 1, 1), "updated_at": datetime(2026, 5, 1), **kw}


@pytest.fixture
def store(gtm):
    return gtm(
        accounts=[{"account_id": "a1", "name": "Acme", "domain": "acme.com", "owner_id": "u1", "segment": "smb",
                   "created_at": datetime(2025, 1, 1)},
                  {"account_id": "a2", "name": "Beta", "domain": "https://www.beta.io/", "owner_id": "u2",
                   "created_at": datetime(2025, 1, 1)},
                  {"account_id": "a3", "name": "Beta Inc", "domain": "beta.io", "owner_id": "u2", "segment": "mm",
                   "created_at": datetime(2025, 2, 1)}],
        contacts=[contact("c1", "ana@acme.com"), contact("c2", "ANA@acme.com "), contact("c3", "bo@acme_com"),
                  contact("c4", None, "a2", phone=None, title=None, updated_at=datetime(2024, 1, 1)),
                  contact("c5", "late@acme.com", created_at=datetime(2026, 6, 1))],
        opportunities=[
            {"opportunity_id": "o1", "account_id": "a1", "owner_id": "u1", "name": "Acme new", "stage": "proposal",
             "amount": 1000.0, "close_date": date(2026, 4, 30), "created_at": datetime(2026, 1, 1),
             "last_activity_at": datetime(2026, 5, 10)},
            {"opportunity_id": "o2", "account_id": "a1", "owner_id": "u1", "name": "Acme new", "stage": "closed_lost",
             "amount": None, "close_date": date(2026, 3, 1), "created_at": datetime(2026, 1, 2)},
            {"opportunity_id": "o3", "account_id": "a2", "owner_id": "u2", "name": "Beta", "stage": "discovery",
             "amount": None, "close_date": date(2026, 6, 30), "created_at": datetime(2026, 2, 1),
             "last_activity_at": datetime(2026, 3, 1), "updated_at": datetime(2026, 3, 1)}])


def by_table(scores):
    return {s.table: s for s in scores}


def test_each_part_counts_what_it_says(store):
    check = QualityCheck(store.con, model_with(completeness={"contacts": ["email", "phone"]}), as_of=AS_OF)
    contacts = by_table(check.scores())["contacts"]
    # c5 was created after the moment: four contacts
    assert contacts.records == 4
    # c3's e-mail breaks contact_email_format; c4's null e-mail passes (null passes)
    assert (contacts.violations, contacts.validity) == (1, 0.75)
    # email filled 3 of 4, phone 3 of 4
    assert contacts.completeness == 0.75
    # c2 repeats c1's e-mail once trimmed and lower-cased
    assert (contacts.duplicates, contacts.uniqueness) == (1, 0.75)
    # c4 was last updated in 2024: stale after 365 days
    assert (contacts.stale, contacts.freshness) == (1, 0.75)
    w = check.dq.weights
    assert contacts.score == round(100 * 0.75 * (w.validity + w.completeness + w.uniqueness + w.freshness), 1)


def test_rules_apply_to_the_records_their_when_picks(store):
    check = QualityCheck(store.con, load_model(None), as_of=AS_OF)
    counts = {r["rule"]: r for r in check.rule_counts()}
    # open deals o1 (close date passed) and o3 (no amount); the lost deal o2 is not checked
    assert (counts["open_deal_close_date_ahead"]["checked"], counts["open_deal_close_date_ahead"]["broken"]) == (2, 1)
    assert (counts["open_deal_amount"]["checked"], counts["open_deal_amount"]["broken"]) == (2, 1)
    assert counts["account_segment"]["broken"] == 1  # a2
    found = {(v["record_id"], v["rule"]) for v in check.violations()}
    assert found == {("o1", "open_deal_close_date_ahead"), ("o3", "open_deal_amount"), ("a2", "account_segment"),
                     ("c3", "contact_email_format")}
    assert check.violations()[0]["severity"] == "critical"


def test_duplicate_accounts_share_a_bare_domain_and_deals_an_account_and_name(store):
    scores = by_table(QualityCheck(store.con, load_model(None), as_of=AS_OF).scores())
    assert scores["accounts"].duplicates == 1  # beta.io entered twice
    assert scores["opportunities"].duplicates == 1  # "Acme new" twice on a1


def test_freshness_counts_open_deals_only_by_their_last_touch(store):
    deals = by_table(QualityCheck(store.con, load_model(None), as_of=AS_OF).scores())["opportunities"]
    # o1 touched 2 days ago, o3 70 days ago (stale after 30); the lost o2 is not expected to move
    assert (deals.stale, deals.freshness) == (1, 0.5)


def test_by_owner_every_part_is_the_owners(store):
    rows = [s for s in QualityCheck(store.con, load_model(None), as_of=AS_OF).scores(by_owner=True)
            if s.table == "contacts"]
    owners = {s.owner_id: s for s in rows}
    assert owners["u1"].records == 3 and owners["u2"].records == 1  # contacts: their account's owner
    assert owners["u2"].violations == 0 and owners["u1"].violations == 1


def test_a_rule_of_ones_own_counts(store):
    model = model_with(rules=[{"key": "vp_only", "table": "contacts", "rule": "title = 'VP'",
                               "message": "only VPs"}])
    check = QualityCheck(store.con, model, as_of=AS_OF)
    assert [r["rule"] for r in check.rule_counts()] == ["vp_only"]
    assert {v["record_id"] for v in check.violations()} == set()  # c4's null title passes


def test_mistakes_in_the_quality_section_are_reported_at_their_line(tmp_path):
    path = tmp_path / "revops.yaml"
    path.write_text(textwrap.dedent("""
        data_quality:
          rules:
            - key: x
              table: deals
              rule: amount > 0
            - key: y
              table: opportunities
              rule: amonut > 0
          completeness:
            leads: [emial]
          weights: {validity: 0.5, completeness: 0.5, uniqueness: 0.5, freshness: 0}
    """).lstrip("\n"))
    by_line = {i.line: i.message for i in validate_file(path)}
    assert "not 'deals'" in by_line[4]
    assert "amonut" in by_line[8]
    assert "leads has no field 'emial'" in by_line[10] and "did you mean 'email'" in by_line[10]
    assert "sum to 1.5" in by_line[11]


def test_quality_commands_as_a_user_runs_them(store):
    db = str(store.path)
    store.close()
    out = run_cli("--db", db, "quality", "score", "--as-of", "2026-05-12", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [r["table"] for r in json.loads(out.stdout)] == ["leads", "contacts", "accounts", "opportunities"]
    out = run_cli("--db", db, "quality", "violations", "--rule", "account_segment", "--format", "json")
    assert [r["record_id"] for r in json.loads(out.stdout)] == ["a2"]
    bad = run_cli("--db", db, "quality", "violations", "--rule", "nope")
    assert bad.returncode == 1 and "no data quality rule 'nope'" in bad.stderr


def test_an_empty_table_has_no_score_and_undated_records_are_not_stale(gtm):
    store = gtm(accounts=[{"account_id": "a1", "name": "Acme", "segment": "smb"}])
    scores = by_table(QualityCheck(store.con, load_model(None), as_of=AS_OF).scores())
    assert scores["leads"].score is None and scores["leads"].validity is None
    assert scores["accounts"].freshness is None and scores["accounts"].stale == 0  # no date: unknown
    assert scores["accounts"].score is not None


def test_completeness_of_deals_counts_the_open_ones(store):
    check = QualityCheck(store.con, model_with(completeness={"opportunities": ["amount"]}), as_of=AS_OF)
    # open o1 has an amount, open o3 has none; the lost o2's missing amount no longer matters
    assert by_table(check.scores())["opportunities"].completeness == 0.5


def test_a_past_moment_reads_the_deals_as_they_stood_then(gtm):
    store = gtm(
        opportunities=[{"opportunity_id": "o1", "account_id": "a", "owner_id": "u", "stage": "closed_won",
                        "amount": 10.0, "close_date": date(2026, 3, 1), "created_at": datetime(2026, 1, 1)}],
        opportunity_history=[{"history_id": "h1", "opportunity_id": "o1", "stage": "discovery", "amount": None,
                              "close_date": date(2026, 2, 1), "changed_at": datetime(2026, 1, 1)},
                             {"history_id": "h2", "opportunity_id": "o1", "stage": "closed_won", "amount": 10.0,
                              "close_date": date(2026, 3, 1), "changed_at": datetime(2026, 3, 1)}])
    then = QualityCheck(store.con, load_model(None), as_of=datetime(2026, 2, 15), now=datetime(2026, 5, 1))
    found = {(v["record_id"], v["rule"], v["value"]) for v in then.violations()}
    # on Feb 15 the deal was open in discovery, its close date passed and no amount yet
    assert found == {("o1", "open_deal_close_date_ahead", "close_date=2026-02-01"),
                     ("o1", "open_deal_amount", "amount=null")}
    now = QualityCheck(store.con, load_model(None), as_of=datetime(2026, 5, 1), now=datetime(2026, 5, 1))
    assert now.violations() == []


def test_a_pattern_that_is_no_regular_expression_is_caught_by_validate(tmp_path):
    path = tmp_path / "revops.yaml"
    path.write_text("data_quality:\n  rules:\n    - key: x\n      table: leads\n      rule: matches(email, '([a-z')\n")
    [issue] = [i for i in validate_file(path) if "regular expression" in i.message]
    assert issue.line == 5 and "'([a-z'" in issue.message
