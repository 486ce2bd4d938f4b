"""The store: canonical tables, recorded migrations, atomic transactions, documented model."""

from __future__ import annotations

from pathlib import Path

import pytest

from revops.errors import StoreError
from revops.store import Store, schema
from revops.store.describe import data_model_markdown


def test_a_new_store_has_every_canonical_table_with_its_types(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        for t in schema.TABLES.values():
            cols = store.columns(t.name)
            assert list(cols) == list(t.field_names)
            assert all(cols[f.name] == f.sql_type for f in t.fields)
        assert store.row_counts() == {t: 0 for t in schema.TABLE_NAMES}


def test_migrations_are_recorded_once(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        assert store.schema_version() >= 1
        first = store.query("SELECT version, applied_at FROM _schema_migrations ORDER BY version")
    with Store(db) as store:
        assert store.migrate() == []
        assert store.query("SELECT version, applied_at FROM _schema_migrations ORDER BY version") == first


def test_a_failed_transaction_changes_nothing(store):
    store.append("accounts", __import__("pyarrow").table({"account_id": ["a1"]}))
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.con.execute("INSERT INTO accounts (account_id) VALUES ('a2')")
            raise RuntimeError("killed")
    assert store.row_counts()["accounts"] == 1


def test_opening_a_missing_store_read_only_says_how_to_make_one(tmp_path):
    with pytest.raises(StoreError, match="revops demo"):
        Store(tmp_path / "nope.duckdb", read_only=True)


def test_the_data_model_document_matches_the_schema():
    doc = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"
    assert doc.read_text() == data_model_markdown(), "run: python -m revops.store.describe > docs/data-model.md"


def test_a_store_of_schema_3_gains_the_score_history_when_opened(tmp_path):
    db = tmp_path / "v3.duckdb"
    with Store(db) as store:  # made as schema 3 left it: no score history yet
        store.con.execute("DROP TABLE _score_history")
        store.con.execute("DELETE FROM _schema_migrations WHERE version = 4")
        store.append("leads", __import__("pyarrow").table({"lead_id": ["l1"], "score": [55.0]}))
    with Store(db) as store:
        assert 4 in {r[0] for r in store.con.execute("SELECT version FROM _schema_migrations").fetchall()}
        assert list(store.columns("_score_history")) == [
            "lead_id", "scored_at", "score", "fit", "intent", "engagement", "predicted_conversion",
            "model_version", "model_hash", "source"]
        assert store.row_counts(("leads",)) == {"leads": 1}  # the data stays
