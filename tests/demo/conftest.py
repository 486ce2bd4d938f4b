from __future__ import annotations

from datetime import date

import pytest

from revops.demo.builder import build_demo
from revops.store import Store

TODAY = date(2026, 5, 15)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """The small demo company (seed 42, today 2026-05-15), built once for the session."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    store = Store(path)
    build = build_demo(store, "small", 42, TODAY)
    store.build = build  # type: ignore[attr-defined]
    yield store
    store.close()


def scalar(store: Store, sql: str):
    return store.con.execute(sql).fetchone()[0]


def table_hash(store: Store, table: str, key: str) -> str:
    return scalar(store, f"SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY {key})) FROM {table} t")
