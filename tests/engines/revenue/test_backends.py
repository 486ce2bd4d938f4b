"""The bridge, trailing retention and cohorts give the same rows on PySpark and PostgreSQL as
on DuckDB, for the hand-built histories (mid-month dates, overlaps, gaps, a credit).

    pytest -m spark tests/engines/revenue      pytest -m postgres tests/engines/revenue
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from revops.engines.metrics import MetricSession, backends
from revops.engines.revenue import cohort_table, mrr_bridge, trailing_retention
from revops.model import load_model
from revops.store import Store
from tests.conftest import backend_missing
from tests.engines.metrics.test_backends_agree import on_spark, postgres_url  # noqa: F401
from tests.engines.revenue.conftest import HISTORIES, SMB, TODAY
from tests.gtm import fill_store

REQUESTS = {
    "bridge by month": lambda s: mrr_bridge(s, period="month"),
    "bridge by quarter and segment": lambda s: mrr_bridge(s, period="quarter", by="segment", start="2025-02-01"),
    "retention over 3 months": lambda s: trailing_retention(s, months=3),
    "retention by segment": lambda s: trailing_retention(s, months=2, by="segment"),
    "logo cohorts": lambda s: cohort_table(s, months=6),
    "gross cohorts by segment": lambda s: cohort_table(s, basis="gross", months=4, by="segment"),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[Store]:
    accounts = sorted({s["account_id"] for s in HISTORIES})
    with Store(tmp_path_factory.mktemp("revenue-backends") / "store.duckdb") as s:
        fill_store(s, users=[{"user_id": "u1", "segment": "smb"}, {"user_id": "u2", "segment": "enterprise"}],
                   accounts=[{"account_id": a, "owner_id": "u1" if a in SMB else "u2"} for a in accounts],
                   subscriptions=HISTORIES)
        yield s


def assert_same_everywhere(duck: Any, other: Any) -> None:
    model = load_model(None)
    for label, request in REQUESTS.items():
        with MetricSession(duck, model, today=TODAY) as a, MetricSession(other, model, today=TODAY) as b:
            expected, actual = request(a), request(b)
        assert len(expected), label
        pd.testing.assert_frame_equal(actual.astype(object).where(actual.notna(), None),
                                      expected.astype(object).where(expected.notna(), None),
                                      check_dtype=False, obj=label)


@on_spark
@pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")
def test_spark_gives_the_same_revenue_tables_as_duckdb(store):
    if importlib.util.find_spec("pyspark") is None:
        backend_missing("PySpark is not installed: pip install 'revops[spark]'")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        backend_missing("Spark needs a Java runtime (17+): apt-get install openjdk-17-jre-headless")
    session = backends.spark_session("local[2]", **{"spark.sql.shuffle.partitions": "1"})
    try:
        backends.load_into_spark(store, session)
        assert_same_everywhere(store.ibis, backends.spark_backend(session))
    finally:
        session.stop()


@pytest.mark.postgres
def test_postgres_gives_the_same_revenue_tables_as_duckdb(store, postgres_url):  # noqa: F811
    pytest.importorskip("psycopg", reason="pip install 'revops[postgres]'")
    backends.load_into_postgres(store, postgres_url)
    assert_same_everywhere(store.ibis, backends.connect(postgres_url))
