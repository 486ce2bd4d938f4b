"""Building the demo: deterministic, atomic, recorded."""

from __future__ import annotations

import pytest

from revops.demo import builder
from revops.demo.builder import build_demo
from revops.store import Store, schema
from tests.demo.conftest import TODAY, scalar, table_hash

HASHED = (("leads", "lead_id"), ("opportunity_history", "history_id"), ("subscriptions", "subscription_id"),
          ("contacts", "contact_id"), ("_routing_decisions", "decision_id"), ("_events", "event_id"))


def fingerprint(store: Store) -> tuple:
    return (store.row_counts((*schema.TABLE_NAMES, *schema.TRUTH_TABLES, "_routing_decisions", "_events")),
            tuple(table_hash(store, t, k) for t, k in HASHED))


def test_same_seed_and_today_give_the_same_company(tmp_path, demo_store):
    with Store(tmp_path / "again.duckdb") as again:
        build_demo(again, "small", 42, TODAY)
        assert fingerprint(again) == fingerprint(demo_store)


def test_another_seed_gives_another_company():
    with Store(":memory:") as a, Store(":memory:") as b:
        build_demo(a, "tiny", 1, TODAY)
        build_demo(b, "tiny", 2, TODAY)
        assert table_hash(a, "leads", "lead_id") != table_hash(b, "leads", "lead_id")


def test_every_canonical_table_is_filled(demo_store):
    counts = demo_store.row_counts((*schema.TABLE_NAMES, *schema.TRUTH_TABLES))
    assert {t for t, n in counts.items() if n == 0} == set()
    assert 4_500 <= counts["leads"] <= 5_500


def test_each_table_load_is_recorded_as_a_demo_run(demo_store):
    runs = demo_store.query("SELECT table_name, file, source_kind, inserted FROM _ingest_runs")
    by_table = {r["table_name"]: r for r in runs}
    assert by_table["leads"]["file"] == "demo:small:seed=42"
    assert by_table["leads"]["source_kind"] == "demo"
    assert by_table["leads"]["inserted"] == scalar(demo_store, "SELECT count(*) FROM leads")


def test_a_failed_build_leaves_the_previous_store_intact(tmp_path, monkeypatch):
    with Store(tmp_path / "keep.duckdb") as store:
        build_demo(store, "tiny", 7, TODAY)
        before = fingerprint(store)
        real = builder.append_chunk
        calls = {"n": 0}

        def flaky(store_, table, data):
            calls["n"] += 1
            if calls["n"] > 12:  # after several chunks have been written
                raise RuntimeError("killed mid-build")
            return real(store_, table, data)

        monkeypatch.setattr(builder, "append_chunk", flaky)
        with pytest.raises(RuntimeError, match="killed"):
            build_demo(store, "tiny", 8, TODAY)
        assert calls["n"] > 12
        assert fingerprint(store) == before


def test_a_rebuild_replaces_the_records_about_the_old_leads(tmp_path):
    with Store(tmp_path / "again.duckdb") as store:
        build_demo(store, "tiny", 1, TODAY)
        store.con.execute("INSERT INTO _lifecycle_events (lead_id, to_stage) VALUES ('lead_00000001', 'mql')")
        store.con.execute("INSERT INTO _score_history (lead_id, score) VALUES ('lead_00000001', 90)")
        second = build_demo(store, "tiny", 2, TODAY)
        assert scalar(store, "SELECT count(*) FROM _lifecycle_events") == 0
        assert scalar(store, "SELECT count(*) FROM _score_history") == 0
        # the second build's decisions only: not one of the first build's is left
        assert scalar(store, "SELECT count(*) FROM _routing_decisions") == second.rows["_routing_decisions"] > 0
