"""Routing's account_match node asks the identity engine: acronyms, first words of a longer name
and the tie-breakers reach the lead's route."""

from __future__ import annotations

from datetime import datetime

from revops.engines.routing.state import RoutingState
from tests.engines.routing.conftest import TUESDAY_11AM_NY, lead, make_router, model_with


def account_model(model):
    return model_with(model, nodes=[
        {"key": "start", "type": "start", "next": "account"},
        {"key": "account", "type": "account_match", "match_on": ["domain", "company"], "else": "flowchart"},
        {"key": "flowchart", "type": "queue", "queue": "flowchart"}])


ACCOUNTS = [
    {"account_id": "acc_ibm", "name": "International Business Machines Corp", "domain": "ibm.com", "owner_id": "smb_ny"},
    {"account_id": "acc_chevron", "name": "ChevronTexaco", "domain": None, "owner_id": "smb_chi"},
]


def test_a_lead_from_ibm_goes_to_the_owner_of_international_business_machines(model):
    router = make_router(account_model(model), accounts=ACCOUNTS)
    d = router.route(lead("L1", 20, 10, email="x@gmail.com", company="IBM"), TUESDAY_11AM_NY)
    assert d.assigned_to == "smb_ny"
    assert "by acronym 'ibm'" in d.reason


def test_a_lead_from_chevron_goes_to_the_owner_of_chevrontexaco(model):
    router = make_router(account_model(model), accounts=ACCOUNTS)
    d = router.route(lead("L2", 20, 10, email="x@gmail.com", company="Chevron"), TUESDAY_11AM_NY)
    assert d.assigned_to == "smb_chi"
    assert "by name_prefix 'chevron'" in d.reason


def test_routing_state_from_the_store_breaks_ties_by_open_deals(gtm, model):
    store = gtm(accounts=[
        {"account_id": "a_old", "name": "Globex", "domain": "globex.de", "owner_id": "smb_ny",
         "created_at": datetime(2020, 1, 1)},
        {"account_id": "a_busy", "name": "Globex GmbH", "domain": "globex.de", "owner_id": "smb_chi",
         "created_at": datetime(2024, 1, 1)}],
        opportunities=[{"opportunity_id": "o1", "account_id": "a_busy", "stage": "discovery"}])
    state = RoutingState.load(store, model, TUESDAY_11AM_NY)
    account, how, value = state.accounts.match({"email": "ana@globex.de"}, ("domain",))
    assert (account.account_id, how, value) == ("a_busy", "domain", "globex.de")
