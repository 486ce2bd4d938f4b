"""The same duplicates found on Spark (Splink's SparkAPI) as on DuckDB."""

from __future__ import annotations

import pytest

from revops.engines.identity import find_duplicates

pytest.importorskip("pyspark")


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
@pytest.mark.parametrize("table", ["contacts", "accounts"])
def test_spark_finds_the_clusters_duckdb_finds(crm, model, table):
    on_duckdb = find_duplicates(crm.con, model, table)
    on_spark = find_duplicates(crm.con, model, table, backend="spark://local[2]")
    assert on_spark.clusters == on_duckdb.clusters
    assert [round(p.probability, 6) for p in on_spark.pairs] == [round(p.probability, 6) for p in on_duckdb.pairs]
