"""The intake's inserts work on any connection of the store, including one an Ibis backend was
made from (which turns off DuckDB's lookup of Python variables by name)."""

from __future__ import annotations

from revops.api.intake.batch import _insert
from revops.store import Store
from tests.api.conftest import user
from tests.gtm import rows_table


def test_intake_inserts_rows_on_a_connection_an_ibis_backend_was_made_from(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        assert store.ibis is not None  # the metrics layer, scoring and gates read through it
        _insert(store.con, "users", rows_table("users", [user("u1"), user("u2")]))
        assert [r["user_id"] for r in store.query("SELECT user_id FROM users ORDER BY user_id")] == ["u1", "u2"]
