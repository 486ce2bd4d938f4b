"""Ingest accounts for every row: stored, updated, unchanged or quarantined with a reason."""

from __future__ import annotations

import pytest

from revops.errors import IngestError
from revops.ingest.pipeline import ingest_file, list_quarantine


def counts(result):
    return (result.inserted, result.updated, result.unchanged, result.quarantined)


def test_every_row_of_a_file_with_broken_rows_is_accounted_for(store, write):
    f = write("opps.csv",
              "opportunity_id,stage,amount,close_date\n"
              "o1,discovery,100,2024-01-31\n"
              "o2,proposal,not money,2024-02-01\n"          # bad amount
              "o3,negotiation,300,2024-02-01,extra\n"       # too many values
              "o4,closed_won,400,2024-02-30\n"              # impossible date
              ",closed_won,500,2024-03-01\n"                # no id
              "o6,closed_lost,600,2024-03-01\n")
    r = ingest_file(store, "opportunities", f)
    assert r.rows_read == 6
    assert r.rows_read == r.inserted + r.updated + r.unchanged + r.quarantined
    assert counts(r) == (2, 0, 0, 4)
    q = {(e["row"], e["column"]) for e in list_quarantine(store)}
    assert q == {(2, "amount"), (3, None), (4, "close_date"), (5, "opportunity_id")}
    stored = {row["opportunity_id"] for row in store.query("SELECT opportunity_id FROM opportunities")}
    assert stored == {"o1", "o6"}


def test_quarantine_entries_say_what_where_and_why(store, write):
    f = write("opps.csv", "opportunity_id,amount\no1,12abc\n")
    ingest_file(store, "opportunities", f)
    [entry] = list_quarantine(store, "opportunities")
    assert entry["table"] == "opportunities"
    assert entry["file"] == str(f)
    assert entry["row"] == 1
    assert entry["column"] == "amount"
    assert entry["value"] == "12abc"
    assert "not a number" in entry["reason"]


def test_reingesting_the_same_file_changes_nothing(store, write):
    f = write("leads.csv", "lead_id,email,company_size\nl1,a@x.com,10\nl2,b@y.com,20\n")
    first = ingest_file(store, "leads", f)
    before = store.query("SELECT * FROM leads ORDER BY lead_id")
    second = ingest_file(store, "leads", f)
    assert counts(first) == (2, 0, 0, 0)
    assert counts(second) == (0, 0, 2, 0)
    assert store.query("SELECT * FROM leads ORDER BY lead_id") == before


def test_a_changed_opportunity_updates_and_appends_history(store, write):
    v1 = write("v1.csv", "opportunity_id,stage,amount,close_date,owner_id\n"
                         "o1,discovery,1000,2024-03-31,u1\no2,proposal,50,2024-03-31,u2\n")
    v2 = write("v2.csv", "opportunity_id,stage,amount,close_date,owner_id\n"
                         "o1,proposal,1200,2024-04-30,u1\no2,proposal,50,2024-03-31,u2\n")
    ingest_file(store, "opportunities", v1)
    r = ingest_file(store, "opportunities", v2)
    assert counts(r) == (0, 1, 1, 0)
    row = store.query("SELECT stage, amount, close_date FROM opportunities WHERE opportunity_id = 'o1'")[0]
    assert (row["stage"], row["amount"], str(row["close_date"])) == ("proposal", 1200.0, "2024-04-30")
    history = store.query("SELECT stage, amount, changed_fields FROM opportunity_history "
                          "WHERE opportunity_id = 'o1' ORDER BY changed_at, changed_fields")
    assert [h["stage"] for h in history] == ["discovery", "proposal"]
    assert set(history[1]["changed_fields"].split(",")) == {"stage", "amount", "close_date"}
    assert store.query("SELECT count(*) AS n FROM opportunity_history WHERE opportunity_id = 'o2'")[0]["n"] == 1


def test_history_uses_the_record_timestamp_when_the_file_has_one(store, write):
    f = write("o.csv", "opportunity_id,stage,updated_at\no1,discovery,2024-01-02 10:00:00\n")
    ingest_file(store, "opportunities", f)
    [h] = store.query("SELECT changed_at FROM opportunity_history")
    assert str(h["changed_at"]) == "2024-01-02 10:00:00"


def test_duplicate_ids_in_one_file_the_later_row_wins(store, write):
    f = write("a.csv", "account_id,name\na1,First\na2,Other\na1,Second\n")
    r = ingest_file(store, "accounts", f)
    assert r.rows_read == 3
    assert counts(r) == (2, 1, 0, 0)
    assert store.query("SELECT name FROM accounts WHERE account_id = 'a1'") == [{"name": "Second"}]


def test_fixing_the_file_and_ingesting_again_clears_its_quarantine(store, write):
    f = write("o.csv", "opportunity_id,amount\no1,oops\no2,5\n")
    ingest_file(store, "opportunities", f)
    assert len(list_quarantine(store)) == 1
    f.write_text("opportunity_id,amount\no1,7\no2,5\n")
    r = ingest_file(store, "opportunities", f)
    assert list_quarantine(store) == []
    assert counts(r) == (1, 0, 1, 0)


def test_unknown_stage_is_quarantined_with_the_valid_stages(store, write):
    f = write("o.csv", "opportunity_id,stage\no1,Closed Won\no2,Maybe Later\n")
    r = ingest_file(store, "opportunities", f)
    assert counts(r) == (1, 0, 0, 1)
    [entry] = list_quarantine(store)
    assert "Maybe Later" in entry["reason"]
    for key in ("discovery", "qualification", "solution", "proposal", "negotiation", "closed_won", "closed_lost"):
        assert key in entry["reason"]
    assert store.query("SELECT stage FROM opportunities") == [{"stage": "closed_won"}]


def test_invalid_email_is_quarantined(store, write):
    f = write("l.csv", "lead_id,email\nl1,Ann@Example.COM\nl2,not-an-email\n")
    r = ingest_file(store, "leads", f)
    assert counts(r) == (1, 0, 0, 1)
    assert store.query("SELECT email FROM leads") == [{"email": "ann@example.com"}]


def test_only_ids_and_essential_dates_are_required(store, write):
    f = write("s.csv", "subscription_id,start_date,mrr\ns1,2024-01-01,\ns2,,10\n")
    r = ingest_file(store, "subscriptions", f)
    assert counts(r) == (1, 0, 0, 1)
    assert "missing required field start_date" in list_quarantine(store)[0]["reason"]
    missing_col = write("s2.csv", "subscription_id,mrr\ns1,5\n")
    with pytest.raises(IngestError, match="start_date"):
        ingest_file(store, "subscriptions", missing_col)
