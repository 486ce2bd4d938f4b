"""`revops dedupe` and `revops match-account` as a user runs them on the hand-built CRM of
tests/engines/identity/conftest.py."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.conftest import run_cli
from tests.engines.identity.conftest import ACCOUNTS, ACTIVITIES, CONTACTS, LEADS, OPPORTUNITIES, TOUCHES
from tests.gtm import store_with


@pytest.fixture
def db(tmp_path) -> str:
    path = tmp_path / "crm.duckdb"
    store_with(path, accounts=ACCOUNTS, contacts=CONTACTS, leads=LEADS, opportunities=OPPORTUNITIES,
               activities=ACTIVITIES, touches=TOUCHES).close()
    return str(path)


def revops(db: str, *args: str):
    out = run_cli("--db", db, *args)
    assert out.returncode == 0, out.stderr
    return out


def rows_of(db: str, sql: str) -> list[tuple]:
    with duckdb.connect(db, read_only=True) as con:
        return con.execute(sql).fetchall()


def test_json_rows_carry_cluster_record_and_probability(db):
    rows = json.loads(revops(db, "dedupe", "--table", "contacts", "--format", "json").stdout)
    assert all({"cluster_id", "record_id", "match_probability", "reasons"} <= set(r) for r in rows)
    clusters: dict[str, set[str]] = {}
    for r in rows:
        clusters.setdefault(r["cluster_id"], set()).add(r["record_id"])
        assert 0.9 <= r["match_probability"] <= 1
    assert clusters == {"con_ana": {"con_ana", "con_ana2", "con_ana3"}, "con_bob": {"con_bob", "con_rob"}}


def test_a_dry_run_changes_nothing(db):
    revops(db, "dedupe", "--table", "accounts")
    assert rows_of(db, "SELECT count(*) FROM accounts") == [(len(ACCOUNTS),)]


def test_the_table_lists_pairs_with_their_reasons(db):
    out = revops(db, "dedupe", "--table", "contacts").stdout
    assert "Duplicates in contacts" in out and "same e-mail address" in out
    assert "Dry run: nothing merged" in out


def test_apply_merges_and_undo_puts_everything_back(db):
    before = rows_of(db, "SELECT * FROM accounts ORDER BY account_id"), \
        rows_of(db, "SELECT * FROM opportunities ORDER BY opportunity_id")
    rows = json.loads(revops(db, "dedupe", "--table", "accounts", "--apply", "--format", "json").stdout)
    merge_id = rows[0]["merge_id"]
    assert merge_id.startswith("mrg_") and {r["merge_id"] for r in rows} == {merge_id}
    assert rows_of(db, "SELECT account_id FROM opportunities WHERE opportunity_id = 'opp_2'") == [("acc_acme",)]
    listed = json.loads(revops(db, "dedupe", "merges", "--format", "json").stdout)
    assert [m["merge_id"] for m in listed] == [merge_id]
    undone = json.loads(revops(db, "dedupe", "--undo", merge_id, "--format", "json").stdout)
    assert undone["restored"] == ["acc_acme2"]
    assert (rows_of(db, "SELECT * FROM accounts ORDER BY account_id"),
            rows_of(db, "SELECT * FROM opportunities ORDER BY opportunity_id")) == before
    again = run_cli("--db", db, "dedupe", "--undo", merge_id)
    assert again.returncode == 1 and "already undone" in again.stderr


def test_match_account_gives_account_confidence_and_method(db):
    found = json.loads(revops(db, "match-account", "--company", "ACME", "--email", "ana@gmail.com",
                              "--format", "json").stdout)
    assert {k: found[k] for k in ("account_id", "method")} == {"account_id": "acc_acme", "method": "name_normalised"}
    assert 0 < found["confidence"] <= 1
    by_domain = json.loads(revops(db, "match-account", "--email", "x@initech.com", "--format", "json").stdout)
    assert (by_domain["account_id"], by_domain["method"]) == ("acc_initech", "domain")
    nothing = json.loads(revops(db, "match-account", "--company", "Hooli", "--format", "json").stdout)
    assert nothing == {**nothing, "account_id": None, "confidence": 0.0, "method": "none"}


def test_match_account_needs_a_name_or_an_email(db):
    out = run_cli("--db", db, "match-account")
    assert out.returncode == 1 and "give a company name, an e-mail address or both" in out.stderr


def test_only_three_tables_can_be_deduplicated(db):
    assert run_cli("--db", db, "dedupe", "--table", "opportunities").returncode == 2


def test_weights_show_every_level_of_the_model(db):
    levels = json.loads(revops(db, "dedupe", "weights", "--table", "contacts", "--format", "json").stdout)
    same_address = next(r for r in levels if r["label"] == "same e-mail address")
    assert same_address["comparison"] == "email" and same_address["weight"] > 10
    assert {r["comparison"] for r in levels} == {"email", "first_name", "last_name", "phone", "company"}
