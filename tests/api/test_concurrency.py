"""Fifty clients at once: the round-robin pool never goes past its daily cap, no lead is
assigned twice, and a rep deactivated mid-day gets no lead after the change is answered."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.api.conftest import pool_model, serving, stored

CLIENTS = 50
AES = ("ent_na", "mm_ae_na", "smb_chi", "smb_ny")  # the org's four users with role 'ae'


def test_fifty_clients_never_exceed_the_cap_nor_assign_a_lead_twice(org_db, default_model):
    model = pool_model(default_model, cap_per_day=5)  # 4 AEs x 5 = 20 leads to reps, then triage
    own = {c: [f"L{c:02d}-{i}" for i in range(8)] for c in range(CLIENTS)}
    with serving(org_db, model) as api:
        def client(c: int) -> list[tuple[str, bytes]]:
            # its own 8 leads, then the first 4 of the next client's again: racing duplicates
            ids = own[c] + own[(c + 1) % CLIENTS][:4]
            answers = []
            with httpx.Client(base_url=api.base_url, timeout=60, headers=api.headers) as own_connection:
                for lead_id in ids:
                    r = own_connection.post("/v1/leads", json={"lead_id": lead_id, "company_size": 100,
                                                               "country": "US"})
                    assert r.status_code == 200, r.text
                    answers.append((lead_id, r.content))
            return answers

        with ThreadPoolExecutor(CLIENTS) as pool:
            answered = [a for batch in pool.map(client, range(CLIENTS)) for a in batch]
    by_lead: dict[str, set[bytes]] = {}
    for lead_id, body in answered:
        by_lead.setdefault(lead_id, set()).add(body)
    assert len(by_lead) == CLIENTS * 8 and all(len(bodies) == 1 for bodies in by_lead.values())

    owners = Counter(r["owner_id"] for r in stored(org_db, "SELECT owner_id FROM leads"))
    assert owners == {**{ae: 5 for ae in AES}, "triage": CLIENTS * 8 - 20}
    per_lead = stored(org_db, "SELECT lead_id, count(*) AS n, min(assigned_to) AS who FROM _routing_decisions "
                              "GROUP BY lead_id")
    assert len(per_lead) == CLIENTS * 8 and {r["n"] for r in per_lead} == {1}
    held = {r["lead_id"]: r["owner_id"] for r in stored(org_db, "SELECT lead_id, owner_id FROM leads")}
    assert all(held[r["lead_id"]] == r["who"] for r in per_lead)  # the store agrees with the audit


def test_a_rep_deactivated_mid_day_gets_no_lead_after_the_change_is_answered(org_db, default_model):
    model = pool_model(default_model)  # no caps: every AE takes turns
    started: dict[str, float] = {}
    answered: dict[str, float] = {}
    change: dict[str, float] = {}
    with serving(org_db, model) as api:
        def client(c: int) -> None:
            with httpx.Client(base_url=api.base_url, timeout=60, headers=api.headers) as own_connection:
                for i in range(40):
                    lead_id = f"C{c:02d}-{i}"
                    started[lead_id] = time.monotonic()
                    r = own_connection.post("/v1/leads", json={"lead_id": lead_id, "country": "US"})
                    answered[lead_id] = time.monotonic()
                    assert r.status_code == 200, r.text

        with ThreadPoolExecutor(20) as pool:
            futures = [pool.submit(client, c) for c in range(20)]
            while len(answered) < 60:  # mid-day: some leads in, more to come
                time.sleep(0.01)
            change["sent"] = time.monotonic()
            r = api.patch("/v1/users/smb_ny", json={"active": False})
            change["answered"] = time.monotonic()
            for f in futures:
                f.result()
        user = api.get("/v1/users/smb_ny").json()
    assert r.status_code == 200 and r.json()["active"] is False
    assert user["active"] is False and user["routing"]["available"] is False
    owner = {row["lead_id"]: row["owner_id"] for row in stored(org_db, "SELECT lead_id, owner_id FROM leads")}
    before = [lead for lead, t in answered.items() if t < change["sent"]]
    after = [lead for lead, t in started.items() if t > change["answered"]]
    assert before and after, "leads must be sent both before and after the change"
    assert "smb_ny" in {owner[lead] for lead in before}  # in the rotation until then
    # after the change: the other three AEs, and triage once they hold 50 open leads (overflow)
    assert {owner[lead] for lead in after} <= {"ent_na", "mm_ae_na", "smb_chi", "triage"}
    assert stored(org_db, "SELECT active FROM users WHERE user_id = 'smb_ny'")[0]["active"] is False


def test_a_deactivated_rep_stays_out_after_a_restart(org_db, default_model):
    model = pool_model(default_model)
    with serving(org_db, model) as api:
        first = [api.post("/v1/leads", json={"lead_id": f"A{i}"}).json()["assigned_to"] for i in range(4)]
        assert api.patch("/v1/users/smb_ny", json={"active": False}).status_code == 200
    with serving(org_db, model) as api:
        later = [api.post("/v1/leads", json={"lead_id": f"B{i}"}).json()["assigned_to"] for i in range(6)]
    assert sorted(first) == sorted(AES)
    assert "smb_ny" not in later and set(later) == {"ent_na", "mm_ae_na", "smb_chi"}


def test_user_changes_are_checked(org_db):
    with serving(org_db) as api:
        unknown = api.patch("/v1/users/nobody", json={"active": False})
        typo = api.patch("/v1/users/smb_ny", json={"actve": False})
        back = api.patch("/v1/users/smb_ny", json={"out_of_office": True})
    assert unknown.status_code == 404 and "nobody" in unknown.json()["detail"]
    assert typo.status_code == 422 and [e["field"] for e in typo.json()["errors"]] == ["actve"]
    assert back.status_code == 200 and back.json()["out_of_office"] is True
