"""A small CRM built by hand: the same people and companies entered twice (or three times), and
look-alikes that are not the same — with the deals, activities and touches that point at them.

Duplicates (what a person would merge):
    accounts  acc_acme  "Acme, Inc."  acme.com          <- acc_acme2 "ACME Inc" www.acme.com
    contacts  con_ana   Ana Lopez     ana.lopez@acme.com <- con_ana2 (same address, upper case,
              padded), con_ana3 (Ana Lopes, moved to gmail, same phone)
              con_rob   Robert Smith  robert.smith@globex.de <- con_bob "Bob Smith" bob.smith@globex.de
    leads     lead_1    Kim Park      kim@umbrella.io    <- lead_2 "KIMBERLY park" kim@umbrella.io
Look-alikes (what a person would not merge):
    accounts  acc_globex "Globex GmbH" / acc_globex_labs "Globex Labs GmbH": one domain, two companies
    contacts  con_carlos Carlos Lopez at Acme (Ana's colleague); con_maria / con_mario Garcia at Initech
"""

from __future__ import annotations

from datetime import datetime

import pytest

T = datetime

ACCOUNTS = [
    {"account_id": "acc_acme", "name": "Acme, Inc.", "domain": "acme.com", "industry": "software", "employees": 120,
     "country": "US", "owner_id": "usr_1", "type": "customer", "created_at": T(2024, 1, 1), "updated_at": T(2025, 6, 1)},
    {"account_id": "acc_acme2", "name": "ACME Inc", "domain": "www.acme.com", "industry": None, "employees": None,
     "country": "US", "owner_id": None, "type": "prospect", "created_at": T(2025, 3, 1), "updated_at": T(2025, 3, 1)},
    {"account_id": "acc_globex", "name": "Globex GmbH", "domain": "globex.de", "industry": "manufacturing",
     "employees": 800, "country": "DE", "owner_id": "usr_2", "type": "customer", "created_at": T(2023, 5, 1),
     "updated_at": T(2025, 1, 1)},
    {"account_id": "acc_globex_labs", "name": "Globex Labs GmbH", "domain": "globex.de", "industry": "healthcare",
     "employees": 40, "country": "DE", "owner_id": "usr_3", "type": "prospect", "created_at": T(2024, 8, 1),
     "updated_at": T(2024, 8, 1)},
    {"account_id": "acc_initech", "name": "Initech LLC", "domain": "initech.com", "industry": "software",
     "employees": 300, "country": "US", "owner_id": "usr_1", "type": "prospect", "created_at": T(2024, 2, 1),
     "updated_at": T(2024, 2, 1)},
]

CONTACTS = [
    {"contact_id": "con_ana", "account_id": "acc_acme", "email": "ana.lopez@acme.com", "first_name": "Ana",
     "last_name": "Lopez", "title": "VP Sales", "phone": "+1 (555) 010-0100", "company": "Acme, Inc.",
     "source": "crm", "created_at": T(2024, 1, 2), "updated_at": T(2024, 1, 2)},
    {"contact_id": "con_ana2", "account_id": "acc_acme2", "email": " Ana.Lopez@ACME.com ", "first_name": "ANA",
     "last_name": "lopez", "title": None, "phone": None, "company": "ACME Inc", "source": "import",
     "created_at": T(2025, 1, 1), "updated_at": T(2025, 2, 1)},
    {"contact_id": "con_ana3", "account_id": None, "email": "ana.lopez@gmail.com", "first_name": "Ana",
     "last_name": "Lopes", "title": "Head of Sales", "phone": "555-010-0100", "company": "Acme",
     "source": "api", "created_at": T(2025, 4, 1), "updated_at": T(2025, 4, 1)},
    {"contact_id": "con_rob", "account_id": "acc_globex", "email": "robert.smith@globex.de", "first_name": "Robert",
     "last_name": "Smith", "title": "CFO", "phone": None, "company": "Globex GmbH", "source": "crm",
     "created_at": T(2023, 6, 1), "updated_at": T(2023, 6, 1)},
    {"contact_id": "con_bob", "account_id": "acc_globex", "email": "bob.smith@globex.de", "first_name": "Bob",
     "last_name": "Smith", "title": "Chief Financial Officer", "phone": "+49 30 1234567", "company": "Globex",
     "source": "import", "created_at": T(2024, 6, 1), "updated_at": T(2024, 6, 1)},
    {"contact_id": "con_carlos", "account_id": "acc_acme", "email": "carlos.lopez@acme.com", "first_name": "Carlos",
     "last_name": "Lopez", "title": "Engineer", "phone": "+1 555 777 0101", "company": "Acme, Inc.",
     "source": "crm", "created_at": T(2024, 3, 1), "updated_at": T(2024, 3, 1)},
    {"contact_id": "con_maria", "account_id": "acc_initech", "email": "maria.garcia@initech.com",
     "first_name": "Maria", "last_name": "Garcia", "title": "Analyst", "phone": "+1 555 300 1000",
     "company": "Initech LLC", "source": "crm", "created_at": T(2024, 2, 2), "updated_at": T(2024, 2, 2)},
    {"contact_id": "con_mario", "account_id": "acc_initech", "email": "mario.garcia@initech.com",
     "first_name": "Mario", "last_name": "Garcia", "title": "Director", "phone": "+1 555 300 2000",
     "company": "Initech LLC", "source": "crm", "created_at": T(2024, 2, 3), "updated_at": T(2024, 2, 3)},
]

LEADS = [
    {"lead_id": "lead_1", "email": "kim@umbrella.io", "first_name": "Kim", "last_name": "Park", "company": "Umbrella",
     "phone": "+1 555 900 0001", "source": "webinar", "status": "mql", "created_at": T(2025, 1, 1),
     "updated_at": T(2025, 1, 5)},
    {"lead_id": "lead_2", "email": "KIM@umbrella.io", "first_name": "KIMBERLY", "last_name": "park",
     "company": "Umbrella Corp", "phone": None, "source": "content", "status": "new", "created_at": T(2025, 2, 1),
     "updated_at": T(2025, 2, 1)},
    {"lead_id": "lead_3", "email": "lee@hooli.com", "first_name": "Lee", "last_name": "Chen", "company": "Hooli",
     "phone": None, "source": "webinar", "status": "new", "created_at": T(2025, 2, 1), "updated_at": T(2025, 2, 1)},
]

OPPORTUNITIES = [
    {"opportunity_id": "opp_1", "account_id": "acc_acme", "contact_id": "con_ana", "stage": "discovery",
     "amount": 10000.0, "owner_id": "usr_1", "created_at": T(2025, 1, 1)},
    {"opportunity_id": "opp_2", "account_id": "acc_acme2", "contact_id": "con_ana2", "lead_id": "lead_2",
     "stage": "proposal", "amount": 25000.5, "owner_id": "usr_1", "created_at": T(2025, 3, 2)},
]
ACTIVITIES = [
    {"activity_id": "act_1", "occurred_at": T(2025, 3, 3, 10, 30), "type": "call", "contact_id": "con_ana2",
     "account_id": "acc_acme2", "lead_id": "lead_2", "owner_id": "usr_1"},
    {"activity_id": "act_2", "occurred_at": T(2025, 3, 4), "type": "email", "contact_id": "con_bob",
     "account_id": "acc_globex"},
]
TOUCHES = [
    {"touch_id": "tch_1", "occurred_at": T(2025, 1, 3), "channel": "webinar", "lead_id": "lead_2",
     "contact_id": "con_ana3", "account_id": "acc_acme2"},
]


@pytest.fixture
def crm(gtm):
    """A store holding the hand-built CRM (a fresh copy per test: merges write to it)."""
    return gtm(accounts=ACCOUNTS, contacts=CONTACTS, leads=LEADS, opportunities=OPPORTUNITIES,
               activities=ACTIVITIES, touches=TOUCHES)


@pytest.fixture(scope="session")
def model():
    from revops.model import load_model

    return load_model(None)


def clustered_with(report, record_id: str) -> set[str]:
    """The records in ``record_id``'s cluster (itself alone when it is in none)."""
    for members in report.clusters.values():
        if record_id in members:
            return set(members)
    return {record_id}
