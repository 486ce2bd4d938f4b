"""Merging duplicates moves every reference to the survivor, in one transaction, and an undo puts
back exactly what was there."""

from __future__ import annotations

import pytest

from revops.engines.identity import apply_merges, find_duplicates, merges, undo_merge
from revops.engines.identity import merge as merge_module
from revops.engines.identity.errors import IdentityError

TABLES = ("accounts", "contacts", "leads", "opportunities", "activities", "touches")


def snapshot(store) -> dict[str, list[tuple]]:
    """Every row of the tables a merge may touch, in a stable order."""
    out = {}
    for table in TABLES:
        key = store.con.execute(f"SELECT * FROM {table} LIMIT 0").description[0][0]
        out[table] = store.con.execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall()
    return out


def one(store, sql, *params):
    return store.con.execute(sql, list(params)).fetchall()


def test_merging_accounts_repoints_contacts_deals_activities_and_touches(crm, model):
    report = find_duplicates(crm.con, model, "accounts")
    result = apply_merges(crm, report, model, by="ana")
    assert [m["survivor_id"] for m in result.merges] == ["acc_acme"]
    assert one(crm, "SELECT count(*) FROM accounts WHERE account_id = 'acc_acme2'") == [(0,)]
    for table in ("contacts", "opportunities", "activities", "touches"):
        assert one(crm, f"SELECT count(*) FROM {table} WHERE account_id = 'acc_acme2'") == [(0,)], table
    assert one(crm, "SELECT account_id FROM opportunities WHERE opportunity_id = 'opp_2'") == [("acc_acme",)]
    assert one(crm, "SELECT account_id FROM contacts WHERE contact_id = 'con_ana2'") == [("acc_acme",)]
    row = one(crm, "SELECT table_name, survivor_id, merged_id, merged_by, undone_at FROM _merges")
    assert row == [("accounts", "acc_acme", "acc_acme2", "ana", None)]


def test_the_survivor_is_filled_by_the_survivorship_rules(crm, model):
    report = find_duplicates(crm.con, model, "contacts")
    apply_merges(crm, report, model, by="ana")
    bob = crm.query("SELECT * FROM contacts WHERE contact_id IN ('con_bob', 'con_rob')")
    assert len(bob) == 1 and bob[0]["contact_id"] == "con_bob"  # most complete: it has a phone
    assert bob[0]["first_name"] == "Robert"  # most_complete: the longest first name
    assert bob[0]["title"] == "Chief Financial Officer"  # title: most_recent
    assert str(bob[0]["created_at"]) == "2023-06-01 00:00:00"  # the first record's creation
    assert one(crm, "SELECT contact_id FROM activities WHERE activity_id = 'act_2'") == [("con_bob",)]
    assert one(crm, "SELECT contact_id FROM opportunities WHERE opportunity_id = 'opp_2'") == [("con_ana",)]


def test_undo_restores_records_and_references_exactly(crm, model):
    before = snapshot(crm)
    for table in ("accounts", "contacts", "leads"):
        apply_merges(crm, find_duplicates(crm.con, model, table), model, by="ana")
    assert snapshot(crm) != before
    for m in merges(crm):  # newest first: later merges are undone before earlier ones
        undo_merge(crm, m["merge_id"], by="ana")
    assert snapshot(crm) == before
    assert one(crm, "SELECT count(*) FROM _merges WHERE undone_at IS NULL") == [(0,)]


def test_a_merge_is_undone_once(crm, model):
    merge_id = apply_merges(crm, find_duplicates(crm.con, model, "leads"), model, by="ana").merges[0]["merge_id"]
    undo_merge(crm, merge_id, by="ana")
    with pytest.raises(IdentityError, match="already undone"):
        undo_merge(crm, merge_id, by="ana")
    with pytest.raises(IdentityError, match="no merge 'mrg_nope'"):
        undo_merge(crm, "mrg_nope", by="ana")


def test_an_earlier_merge_waits_for_a_later_one_on_the_same_records(crm, model):
    report = find_duplicates(crm.con, model, "contacts")
    first = apply_merges(crm, report, model, by="ana", cluster_ids=["con_bob"]).merges[0]["merge_id"]
    # someone merges into the same survivor again later
    crm.con.execute("INSERT INTO contacts (contact_id, first_name, last_name, email) "
                    "VALUES ('con_bob3', 'Bobby', 'Smith', 'Robert.Smith@globex.de')")
    again = apply_merges(crm, find_duplicates(crm.con, model, "contacts"), model, by="ana", cluster_ids=["con_bob"])
    later = again.merges[0]["merge_id"]
    with pytest.raises(IdentityError, match=f"undo {later} first"):
        undo_merge(crm, first, by="ana")
    undo_merge(crm, later, by="ana")
    undo_merge(crm, first, by="ana")
    assert {r[0] for r in one(crm, "SELECT contact_id FROM contacts WHERE last_name = 'Smith'")} == \
        {"con_rob", "con_bob", "con_bob3"}


def test_a_merge_that_fails_half_way_changes_nothing(crm, model, monkeypatch):
    before = snapshot(crm)
    report = find_duplicates(crm.con, model, "accounts")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(merge_module, "_update_rows", broken)  # after the references moved
    with pytest.raises(RuntimeError, match="disk full"):
        apply_merges(crm, report, model, by="ana")
    assert snapshot(crm) == before
    assert one(crm, "SELECT count(*) FROM _merges") == [(0,)]


def test_references_are_read_from_the_schema(crm):
    refs = {(r.table, r.column) for r in merge_module.references(crm, "accounts")}
    assert {("contacts", "account_id"), ("opportunities", "account_id"), ("accounts", "parent_account_id"),
            ("leads", "converted_account_id"), ("activities", "account_id")} <= refs
    assert ("accounts", "account_id") not in refs
