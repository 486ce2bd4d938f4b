"""Lead-to-account matching: which account a person belongs to, by which method, how sure."""

from __future__ import annotations

from datetime import datetime

import pytest

from revops.engines.identity import match_account
from revops.engines.identity.accounts import AccountMatcher, jaro_winkler
from revops.engines.identity.names import acronym, company_key, company_tokens

ACCOUNTS = [
    {"account_id": "acc_acme", "name": "Acme, Inc.", "domain": "https://www.acme.com/", "owner_id": "u1"},
    {"account_id": "acc_ibm", "name": "International Business Machines Corporation", "domain": "ibm.com",
     "owner_id": "u2"},
    {"account_id": "acc_chevron", "name": "ChevronTexaco Corp", "domain": "chevrontexaco.com", "owner_id": "u3"},
    {"account_id": "acc_siemens", "name": "Siemens AG", "domain": "siemens.de", "owner_id": "u4"},
    {"account_id": "acc_barnes", "name": "Barnes & Noble", "domain": None, "owner_id": "u5"},
    {"account_id": "acc_societe", "name": "Société Générale SA", "domain": "societegenerale.fr", "owner_id": "u6"},
    {"account_id": "acc_gmail", "name": "Gmail Resellers", "domain": "gmail.com", "owner_id": "u7"},
    {"account_id": "acc_umbrella", "name": "Umbrella Pharmaceuticals", "domain": None, "owner_id": "u8"},
]


@pytest.fixture(scope="module")
def matcher():
    return AccountMatcher(ACCOUNTS)


@pytest.mark.parametrize("company, email, account, method", [
    (None, "ana@acme.com", "acc_acme", "domain"),
    ("Someone Else Ltd", "ana@eu.acme.com", "acc_acme", "domain"),          # a subdomain's parent
    ("Acme, Inc.", "ana@gmail.com", "acc_acme", "name_exact"),             # free mail never matches
    ("ACME inc", None, "acc_acme", "name_normalised"),
    ("Barnes and Noble", None, "acc_barnes", "name_normalised"),           # "&" read as "and"
    ("Societe Generale", None, "acc_societe", "name_normalised"),          # accents
    ("IBM", None, "acc_ibm", "acronym"),
    ("Chevron", None, "acc_chevron", "name_prefix"),                       # ChevronTexaco read as two words
    ("Siemens Healthineers", None, "acc_siemens", "name_prefix"),          # the other way round
    ("Umbrela Pharmaceuticals", None, "acc_umbrella", "fuzzy"),            # a typo
    ("Initech", "bob@initech.com", None, "none"),
])
def test_each_method_finds_its_account(matcher, company, email, account, method):
    found = matcher.match(company, email)
    assert (found.account_id, found.method) == (account, method)


def test_confidence_falls_with_each_method(matcher):
    order = [matcher.match(None, "a@acme.com"), matcher.match("Acme, Inc."), matcher.match("ACME"),
             matcher.match("IBM"), matcher.match("Chevron"), matcher.match("Umbrela Pharmaceuticals")]
    confidences = [m.confidence for m in order]
    assert confidences == sorted(confidences, reverse=True) and len(set(confidences)) == len(confidences)
    assert all(0 < c <= 1 for c in confidences)
    assert matcher.match("Initech").confidence == 0


def test_free_mail_domains_never_name_a_company(matcher):
    assert matcher.match(None, "someone@gmail.com").method == "none"
    extra = AccountMatcher(ACCOUNTS, free_mail=["acme.com"])
    assert extra.match(None, "ana@acme.com").method == "none"


def test_a_short_name_does_not_match_every_longer_one():
    matcher = AccountMatcher([{"account_id": "a1", "name": "Chevronics"}, {"account_id": "a2", "name": "GE Healthcare"}])
    assert matcher.match("Chevron").method == "none"  # "chevron" is not a word of "Chevronics", nor a typo
    assert matcher.match("GE").method == "none"        # shorter than min_prefix_length
    assert AccountMatcher([{"account_id": "a2", "name": "GE Healthcare"}], min_prefix_length=2).match("GE").method \
        == "name_prefix"


def test_a_longer_name_needs_three_words_for_its_initials():
    assert acronym("International Business Machines") == "ibm"
    assert acronym("Acme Labs") is None
    assert acronym("The Bank of New York Mellon") == "bnym"  # "the" and "of" are not initials


def test_names_are_normalised_and_split_on_camel_case():
    assert company_key("Acme, Inc.") == company_key("ACME Inc") == company_key("acme") == "acme"
    assert company_key("Summit Made Supply Pty Ltd") == "summit made supply"
    assert company_tokens("ChevronTexaco Corp") == ["chevron", "texaco"]
    assert jaro_winkler("martha", "marhta") == pytest.approx(0.961, abs=1e-3)


def acc(account_id, **extra):
    return {"account_id": account_id, "name": "Globex GmbH", "domain": "globex.de", **extra}


@pytest.mark.parametrize("accounts, winner", [
    ([acc("a1"), acc("a2", owner_id="u1")], "a2"),                                      # an owner
    ([acc("a1", owner_id="u1"), acc("a2", owner_id="u2", open_opportunities=2)], "a2"),  # open deals
    ([acc("a1", owner_id="u", last_activity_at=datetime(2025, 1, 1)),
      acc("a2", owner_id="u", last_activity_at=datetime(2026, 1, 1))], "a2"),           # recent activity
    ([acc("a1", owner_id="u", type="prospect"), acc("a2", owner_id="u", type="customer")], "a2"),
    ([acc("a2", owner_id="u", created_at=datetime(2024, 1, 1)),
      acc("a1", owner_id="u", created_at=datetime(2023, 1, 1))], "a1"),                 # the oldest
])
def test_ties_are_broken_by_owner_deals_activity_type_and_age(accounts, winner):
    found = AccountMatcher(accounts).match(None, "x@globex.de")
    assert (found.account_id, found.candidates) == (winner, 2)
    assert found.confidence == pytest.approx(0.88)  # 0.98 less the tie


def test_domain_beats_name():
    matcher = AccountMatcher([{"account_id": "by_name", "name": "Globex", "owner_id": "u1", "type": "customer"},
                              {"account_id": "by_domain", "name": "Globex Holdings", "domain": "globex.de"}])
    assert matcher.match("Globex", "x@globex.de").account_id == "by_domain"


def test_the_store_accounts_are_matched_with_their_deals_and_activity(crm, model):
    found = match_account(crm.con, model, company="acme")
    assert found.method == "name_normalised" and found.candidates == 2  # acc_acme and its duplicate
    assert found.account_id == "acc_acme"  # it has an owner
    assert match_account(crm.con, model, email="x@globex.de").account_id == "acc_globex"  # owner + activity
