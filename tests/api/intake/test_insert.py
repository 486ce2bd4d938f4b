"""The intake's inserts (``TableAppenders``) work on any connection of the store, including one an
Ibis backend was made from, inside the batch's transaction, and a failed insert leaves nothing
behind for the next batch."""

from __future__ import annotations

from datetime import datetime

import pytest

from revops.api.intake.appenders import TableAppenders
from revops.store import Store
from tests.api.conftest import user

USER_COLUMNS = ("user_id", "name", "role", "active")


def _rows(*users: dict) -> list[tuple]:
    return [tuple(u[c] for c in USER_COLUMNS) for u in users]


def test_intake_inserts_rows_on_a_connection_an_ibis_backend_was_made_from(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        assert store.ibis is not None  # the metrics layer, scoring and gates read through it
        TableAppenders(store.con).insert("users", USER_COLUMNS, _rows(user("u1"), user("u2")))
        assert [r["user_id"] for r in store.query("SELECT user_id FROM users ORDER BY user_id")] == ["u1", "u2"]


def test_inserts_roll_back_with_the_batch_and_the_next_batch_reuses_the_appender(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        appenders = TableAppenders(store.con)
        with pytest.raises(RuntimeError), store.transaction():
            appenders.insert("users", USER_COLUMNS, _rows(user("gone")))
            raise RuntimeError("the commit failed")
        with store.transaction():
            appenders.insert("users", USER_COLUMNS, _rows(user("kept")))
        assert [r["user_id"] for r in store.query("SELECT user_id FROM users")] == ["kept"]


def test_a_row_that_does_not_convert_leaves_no_rows_for_the_next_insert(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        appenders = TableAppenders(store.con)
        columns = ("lead_id", "created_at")
        with pytest.raises(Exception), store.transaction():
            appenders.insert("leads", columns, [("L1", datetime(2024, 3, 1)), ("L2", "not a time")])
        with store.transaction():
            appenders.insert("leads", columns, [("L3", datetime(2024, 3, 2))])
        assert store.query("SELECT lead_id, created_at FROM leads") == [
            {"lead_id": "L3", "created_at": datetime(2024, 3, 2)}]


def test_columns_not_named_take_their_default(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        appenders = TableAppenders(store.con)
        columns = ("audit_id", "changed_at", "role", "action", "entity", "entity_id", "source")
        row = ("a1", datetime(2024, 3, 1), "admin", "lead.create", "leads", "L1", "test")
        appenders.insert("_audit_log", columns, [row])
        appenders.insert("_audit_log", columns, [("a2", *row[1:])])
        found = store.query("SELECT audit_id, before, seq FROM _audit_log ORDER BY seq")
        assert [(r["audit_id"], r["before"]) for r in found] == [("a1", None), ("a2", None)]
        assert found[1]["seq"] == found[0]["seq"] + 1  # the audit sequence, as workflows read it
