"""Lead-to-account matching and territory matching."""

from __future__ import annotations

import pytest

from revops.engines.routing.accounts import AccountIndex, company_key, domain_key
from tests.engines.routing.conftest import TUESDAY_11AM_NY, lead, make_router, model_with, user

ACCOUNTS = [
    {"account_id": "acc_acme", "name": "Acme, Inc.", "domain": "https://www.acme.com/", "owner_id": "smb_ny"},
    {"account_id": "acc_globex", "name": "Globex GmbH", "domain": "globex.de", "owner_id": "smb_chi"},
    {"account_id": "acc_orphan", "name": "Initech LLC", "domain": "initech.com", "owner_id": None},
]


@pytest.mark.parametrize("name, key", [
    ("Acme, Inc.", "acme"), ("ACME Inc", "acme"), ("acme", "acme"), ("The Acme Company", "acme"),
    ("Globex GmbH", "globex"), ("Summit Made Supply Pty Ltd", "summit made supply"),
    ("Barnes & Noble", "barnes and noble"), ("S.A.", None), ("", None), (None, None),
])
def test_company_names_are_normalised_before_matching(name, key):
    assert company_key(name) == key


def test_domains_come_bare_from_urls_and_emails():
    assert domain_key("https://www.Acme.com/pricing") == "acme.com"
    assert domain_key("Ana.Lopez@ACME.com") == "acme.com"


def account_model(model, match_on):
    return model_with(model, nodes=[
        {"key": "start", "type": "start", "next": "account"},
        {"key": "account", "type": "account_match", "match_on": match_on, "else": "flowchart"},
        {"key": "flowchart", "type": "queue", "queue": "flowchart"}])


def test_a_lead_from_a_known_domain_goes_to_the_account_owner(model):
    router = make_router(account_model(model, ["domain"]), accounts=ACCOUNTS)
    d = router.route(lead("L1", 20, 10, email="ana@acme.com"), TUESDAY_11AM_NY)
    assert (d.assigned_to, d.path) == ("smb_ny", ["start", "account"])
    assert "account acc_acme Acme, Inc. by domain 'acme.com'" in d.reason


def test_a_lead_matches_by_company_name_when_its_email_is_free_mail(model):
    router = make_router(account_model(model, ["domain", "company"]), accounts=ACCOUNTS)
    d = router.route(lead("L2", 20, 10, email="boss@gmail.com", company="GLOBEX gmbh."), TUESDAY_11AM_NY)
    assert d.assigned_to == "smb_chi"
    assert "by company 'globex'" in d.reason


def test_free_mail_never_matches_an_account_and_the_lead_follows_else(model):
    accounts = ACCOUNTS + [{"account_id": "acc_g", "name": "G", "domain": "gmail.com", "owner_id": "smb_ny"}]
    router = make_router(account_model(model, ["domain"]), accounts=accounts)
    d = router.route(lead("L3", 20, 10, email="someone@gmail.com"), TUESDAY_11AM_NY)
    assert (d.assigned_to, d.path) == ("flowchart", ["start", "account", "flowchart"])


def test_an_account_without_owner_or_with_an_unavailable_owner_follows_else(model):
    router = make_router(account_model(model, ["domain"]), accounts=ACCOUNTS)
    assert router.route(lead("L4", 20, 10, email="x@initech.com"), TUESDAY_11AM_NY).assigned_to == "flowchart"
    users = [user("smb_ny", out_of_office=True)]
    d = make_router(account_model(model, ["domain"]), users, accounts=ACCOUNTS).route(
        lead("L5", 20, 10, email="x@acme.com"), TUESDAY_11AM_NY)
    assert d.assigned_to == "flowchart"
    assert d.candidates() == [{"node": "account", "user_id": "smb_ny", "outcome": "skipped", "why": "out of office"}]


def test_duplicate_accounts_prefer_the_one_with_an_owner():
    index = AccountIndex([{"account_id": "a1", "name": "Acme", "domain": "acme.com", "owner_id": None},
                          {"account_id": "a2", "name": "Acme Inc", "domain": "acme.com", "owner_id": "u1"}])
    assert index.match({"email": "x@acme.com"}, ("domain",))[0].account_id == "a2"


# -- territories ---------------------------------------------------------------------------------
TERRITORIES = [
    {"territory_id": "t_emea", "region": "EMEA", "segment": "enterprise", "owner_id": "emea_owner"},
    {"territory_id": "t_dach", "region": "EMEA", "segment": "enterprise", "countries": "DE,AT,CH",
     "owner_id": "dach_owner"},
    {"territory_id": "t_dach_health", "region": "EMEA", "segment": "enterprise", "countries": "DE",
     "industry": "Healthcare", "owner_id": "health_owner"},
    {"territory_id": "t_smb_de", "region": "EMEA", "segment": "smb", "countries": "DE", "owner_id": "smb_owner"},
]
OWNERS = [user(u, region="EMEA", timezone="Europe/Berlin") for u in
          ("emea_owner", "dach_owner", "health_owner", "smb_owner")]


def territory_model(model, match_on, segment="enterprise"):
    return model_with(model, nodes=[
        {"key": "start", "type": "start", "next": "territory"},
        {"key": "territory", "type": "territory", "segment": segment, "match_on": match_on,
         "assign_to": "owner", "else": "triage"},
        {"key": "triage", "type": "queue", "queue": "triage"}])


@pytest.mark.parametrize("country, industry, owner", [
    ("DE", "software", "dach_owner"),      # the country list beats the region
    ("DE", "healthcare", "health_owner"),  # an industry territory beats a general one
    ("FR", "healthcare", "emea_owner"),    # no country list holds FR: the EMEA region territory
    ("US", "software", "triage"),          # no enterprise territory for NA: else
])
def test_the_most_specific_territory_of_the_segment_wins(model, country, industry, owner):
    router = make_router(territory_model(model, ["country", "industry"]), OWNERS, territories=TERRITORIES, teams=[])
    d = router.route(lead("L", 90, 5000, country, industry=industry), TUESDAY_11AM_NY)
    assert d.assigned_to == owner


def test_territories_of_another_segment_are_not_considered(model):
    router = make_router(territory_model(model, ["country"], segment="smb"), OWNERS, territories=TERRITORIES, teams=[])
    assert router.route(lead("L", 90, 5000, "DE"), TUESDAY_11AM_NY).assigned_to == "smb_owner"
    # FR is in no SMB country list; the region's only SMB territory takes it rather than triage.
    assert router.route(lead("L", 90, 5000, "FR"), TUESDAY_11AM_NY).assigned_to == "smb_owner"
    assert router.route(lead("L", 90, 5000, "JP"), TUESDAY_11AM_NY).assigned_to == "triage"
