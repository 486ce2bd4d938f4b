"""One definition, one number, on every backend: the metric code run on PySpark and on
PostgreSQL gives the same values as on the DuckDB store, for every built-in metric.

A small demo company (seed 7, today 2026-06-30) is built once. Its tables are copied into
one local Spark session (started in another time zone on purpose: timestamps must keep
their naive UTC wall clock) and into a throwaway PostgreSQL server started here. Each
built-in metric (whatever ``registry.builtin()`` holds, so new metrics are covered as they
land) is compared without a period, by fiscal quarter, and by a dimension: same rows, and
values equal within 1e-9 relative.

    pytest -m spark       # the Spark comparisons (one SparkSession, ~2 minutes on 2 cores)
    pytest -m postgres    # the Postgres comparisons (needs Debian's postgresql package)
"""

from __future__ import annotations

import json
import math
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import date
from glob import glob
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from revops.demo.builder import build_demo
from revops.engines.metrics import backends, compute, explain
from revops.engines.metrics.registry import builtin
from revops.errors import MetricError, StoreError
from revops.model import load_model
from revops.store import Store
from tests.conftest import backend_missing, run_cli

TODAY = date(2026, 6, 30)
AS_OF = date(2026, 3, 31)
DIMENSIONS = ("source", "segment")
"""Tried in order for each metric's by-dimension comparison: the first it can be broken down by."""
AS_OF_METRICS = ("open_pipeline", "weighted_pipeline", "open_deal_count", "win_rate", "won_amount",
                 "time_in_stage_days", "stage_conversion_rate", "mql_count", "mql_to_sql_rate", "mrr", "nrr")
"""State rebuilt from history as of a past day: deals, stage spans, leads, subscriptions."""
BUILTIN = sorted(builtin())



def on_spark(test):
    """A Spark test: all of them on one xdist worker (`--dist loadgroup`), so one session;
    PySpark's notice that it does not fully support pandas 3 muted (the values are checked)."""
    for mark in (pytest.mark.spark, pytest.mark.xdist_group("spark"),
                 pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")):
        test = mark(test)
    return test


# -- the data and how results are compared ---------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Store]:
    store = Store(tmp_path_factory.mktemp("backends") / "demo.duckdb")
    build_demo(store, "small", seed=7, today=TODAY)
    # what real exports look like too: open deals without an amount (valued from comparable won
    # deals) and deals without stage history (open then, in a state nobody recorded, when asked
    # about a day before they closed)
    store.con.execute("UPDATE opportunities SET amount = NULL WHERE stage NOT IN ('closed_won', 'closed_lost') "
                      "AND hash(opportunity_id) % 5 = 0")
    store.con.execute("DELETE FROM opportunity_history WHERE opportunity_id IN (SELECT opportunity_id FROM "
                      "opportunities WHERE hash(opportunity_id) % 7 = 0)")
    yield store
    store.close()


@pytest.fixture(scope="module")
def model() -> Any:
    return load_model(None)


def outcome(con: Any, model: Any, names: str | list[str], **query: Any) -> pd.DataFrame | str:
    """The metric's rows, or the message of the MetricError it raised (a metric that cannot
    be broken down by a dimension must say so on every backend)."""
    try:
        frame = compute(con, model, names, today=TODAY, **query)
    except MetricError as exc:
        return f"MetricError: {exc}"
    return frame


def assert_same(expected: pd.DataFrame | str, actual: pd.DataFrame | str, label: str) -> None:
    """Same rows (metric, period, dimension values, in order) and values within 1e-9 relative."""
    if isinstance(expected, str) or isinstance(actual, str):
        assert actual == expected, label
        return
    assert list(actual.columns) == list(expected.columns), label
    keys = [c for c in expected.columns if c != "value"]
    want = expected.astype(object).where(expected.notna(), None)
    got = actual.astype(object).where(actual.notna(), None)
    assert got[keys].values.tolist() == want[keys].values.tolist(), f"{label}: different rows"
    for row, (a, b) in enumerate(zip(want["value"], got["value"])):
        same = (a is None and b is None) or (
            a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))
        assert same, f"{label}, row {want[keys].iloc[row].tolist()}: DuckDB {a} != {b}"


class Agreement:
    """Every built-in metric computed on DuckDB and on another backend, the metrics asked
    together per query shape as a dashboard asks for them (shared queries and cached facts
    included): no period, by fiscal quarter, and by the first of DIMENSIONS each metric can
    be broken down by. Where the metrics asked together fail on either backend, a metric is
    compared asked alone, so its own test names it (and ``batch_failures`` says why)."""

    def __init__(self, duck: Any, other: Any, model: Any) -> None:
        self.duck, self.other, self.model = duck, other, model
        self.dimension = {name: self._dimension(name) for name in BUILTIN}
        self._batches: dict[tuple[str, str], pd.DataFrame | Exception] = {}

    def _dimension(self, name: str) -> str | None:
        for dim in DIMENSIONS:
            if isinstance(outcome(self.duck, self.model, name, by=dim), pd.DataFrame):
                return dim
        return None

    def shapes(self, name: str) -> list[str]:
        """Metrics that no dimension of DIMENSIONS breaks down must refuse the last alike."""
        return ["whole", "by quarter", f"by {self.dimension[name] or DIMENSIONS[-1]}"]

    @staticmethod
    def query(shape: str) -> dict[str, str]:
        return {} if shape == "whole" else {"period": "quarter"} if shape == "by quarter" else {"by": shape[3:]}

    def asked_together(self, shape: str) -> list[str]:
        if shape in ("whole", "by quarter"):
            return BUILTIN
        return [n for n in BUILTIN if self.dimension[n] == shape[3:]]

    def batch(self, con: Any, shape: str) -> pd.DataFrame | Exception:
        key = (con.name, shape)
        if key not in self._batches:
            try:
                self._batches[key] = compute(con, self.model, self.asked_together(shape), today=TODAY,
                                             **self.query(shape))
            except Exception as exc:  # noqa: BLE001 - reported by batch_failures
                self._batches[key] = exc
        return self._batches[key]

    def pair(self, name: str, shape: str) -> tuple[pd.DataFrame | str, pd.DataFrame | str]:
        if name in self.asked_together(shape):
            both = self.batch(self.duck, shape), self.batch(self.other, shape)
            if all(isinstance(f, pd.DataFrame) for f in both):
                return tuple(f[f.metric == name].reset_index(drop=True) for f in both)  # type: ignore[return-value]
        query = self.query(shape)
        return outcome(self.duck, self.model, name, **query), outcome(self.other, self.model, name, **query)

    def assert_agrees(self, name: str) -> None:
        for shape in self.shapes(name):
            expected, actual = self.pair(name, shape)
            if name in self.asked_together(shape):
                assert isinstance(expected, pd.DataFrame) and len(expected), f"{name} {shape} on DuckDB: {expected}"
            assert_same(expected, actual, f"{name} {shape}")

    def batch_failures(self) -> dict[str, str]:
        shapes = dict.fromkeys(shape for name in BUILTIN for shape in self.shapes(name))
        return {f"{con.name} {shape}": repr(result)[:2000] for shape in shapes if self.asked_together(shape)
                for con in (self.duck, self.other)
                if isinstance(result := self.batch(con, shape), Exception)}


def assert_as_of_agrees(duck: Any, other: Any, model: Any) -> None:
    """The state rebuilt as of AS_OF (no `today`: the as-of day is "now" then)."""
    names = [n for n in AS_OF_METRICS if n in BUILTIN]
    then = compute(duck, model, names, as_of=AS_OF, period="quarter")
    assert_same(then, compute(other, model, names, as_of=AS_OF, period="quarter"), f"as of {AS_OF}")
    now = compute(duck, model, "open_pipeline", period="quarter", today=TODAY)
    then_pipeline = then[then.metric == "open_pipeline"]
    assert then_pipeline.value.sum() != now.value.sum(), "as of a past day, the open pipeline was another"


# -- Spark -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spark(demo) -> Iterator[Any]:
    """One local Spark session for the module, holding the demo's tables as temp views. It
    starts in New York time: loading must still keep timestamps' naive UTC wall clock."""
    if importlib.util.find_spec("pyspark") is None:
        backend_missing("PySpark is not installed: pip install 'revops[spark]'")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        backend_missing("Spark needs a Java runtime (17+): apt-get install openjdk-17-jre-headless")
    session = backends.spark_session("local[2]", **{
        "spark.sql.shuffle.partitions": "1", "spark.sql.session.timeZone": "America/New_York"})
    loaded = backends.load_into_spark(demo, session)
    assert {"opportunities", "opportunity_history", "leads", "subscriptions", "spend"} <= set(loaded)
    yield backends.spark_backend(session)
    session.stop()


@pytest.fixture(scope="module")
def on_spark_vs_duckdb(demo, spark, model) -> Agreement:
    return Agreement(demo.ibis, spark, model)


@on_spark
@pytest.mark.parametrize("name", BUILTIN)
def test_spark_gives_the_same_numbers_as_duckdb(on_spark_vs_duckdb, name):
    on_spark_vs_duckdb.assert_agrees(name)


@on_spark
def test_spark_computes_every_metric_asked_together(on_spark_vs_duckdb):
    assert on_spark_vs_duckdb.batch_failures() == {}


@on_spark
def test_spark_rebuilds_the_same_past_state_as_duckdb(demo, spark, model):
    assert_as_of_agrees(demo.ibis, spark, model)


@on_spark
def test_explain_shows_spark_sql_that_spark_runs(spark, model):
    info = explain(spark, model, "win_rate")
    assert info["backend"] == "pyspark"
    [(label, sql)] = [(q["query"], q["sql"]) for q in info["sql"]]
    assert label == "win_rate" and "`opportunities`" in sql
    [row] = spark.raw_sql(sql).collect()
    assert row["value"] == compute(spark, model, "win_rate", today=TODAY).value[0]


def stage_changes(con: Any) -> pd.DataFrame:
    t = con.table("opportunity_history")
    return t.select("history_id", "changed_at").order_by("history_id").execute()


@on_spark
def test_timestamps_keep_their_naive_utc_wall_clock_in_spark(demo, spark):
    assert stage_changes(spark).equals(stage_changes(demo.ibis))


@on_spark
def test_a_spark_url_reading_exported_parquet_gives_the_same_numbers(demo, spark, model, tmp_path):
    """The cluster path: the store exported to parquet, `spark://…?parquet=DIR` reads it.
    (The URL reuses the module's session, so its views become the parquet ones: same data.)"""
    written = backends.export_parquet(demo, tmp_path / "export")
    assert {p.name for p in written} >= {"opportunities", "opportunity_history", "leads", "_pipeline_snapshots"}
    con = backends.connect(f"spark://local[2]?parquet={tmp_path / 'export'}")
    assert con.name == "pyspark"
    assert stage_changes(con).equals(stage_changes(demo.ibis))
    assert_as_of_agrees(demo.ibis, con, model)


# -- Postgres --------------------------------------------------------------------------------
def _postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server of its own on a free loopback port, in a temporary folder, run
    as the postgres user when the tests run as root; stopped and removed afterwards."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        backend_missing("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="revops-pg-"))
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    folder.chmod(0o700)
    port = _free_port()
    data = folder / "data"

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], cwd=folder, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{args[0]} failed: {done.stdout}{done.stderr}"

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "revops", "--auth=trust", "-E", "UTF8", "--no-sync")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        yield f"postgresql://revops@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres(demo, postgres_url) -> Any:
    pytest.importorskip("psycopg", reason="pip install 'revops[postgres]'")
    loaded = backends.load_into_postgres(demo, postgres_url)
    assert {"opportunities", "opportunity_history", "leads", "subscriptions", "spend"} <= set(loaded)
    return backends.connect(postgres_url)


@pytest.fixture(scope="module")
def on_postgres_vs_duckdb(demo, postgres, model) -> Agreement:
    return Agreement(demo.ibis, postgres, model)


@pytest.mark.postgres
@pytest.mark.parametrize("name", BUILTIN)
def test_postgres_gives_the_same_numbers_as_duckdb(on_postgres_vs_duckdb, name):
    on_postgres_vs_duckdb.assert_agrees(name)


@pytest.mark.postgres
def test_postgres_computes_every_metric_asked_together(on_postgres_vs_duckdb):
    assert on_postgres_vs_duckdb.batch_failures() == {}


@pytest.mark.postgres
def test_postgres_rebuilds_the_same_past_state_as_duckdb(demo, postgres, model):
    assert_as_of_agrees(demo.ibis, postgres, model)


@pytest.mark.postgres
def test_revops_cli_pointed_at_postgres_prints_the_stores_numbers(demo, postgres, postgres_url, model,
                                                                 tmp_path):
    out = run_cli("--backend", postgres_url, "metrics", "win_rate", "won_amount", "--period", "quarter",
                  "--by", "source", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = pd.DataFrame(json.loads(out.stdout))
    expected = compute(demo.ibis, model, ["win_rate", "won_amount"], period="quarter", by="source", today=TODAY)
    # the CLI's "now" is the real today: closed-deal metrics do not depend on it
    assert_same(expected, rows, "revops --backend postgresql:// metrics")

    out = run_cli("explain", "win_rate", "--format", "json", cwd=tmp_path, env={"REVOPS_BACKEND": postgres_url})
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["backend"] == "postgres" and "opportunities" in info["sql"][0]["sql"]


# -- URLs ------------------------------------------------------------------------------------
def test_a_store_path_and_a_duckdb_url_name_the_same_store(tmp_path):
    path = tmp_path / "one.duckdb"
    with Store(path) as store:
        store.con.execute("INSERT INTO opportunities (opportunity_id, stage) VALUES ('o1', 'closed_won')")
    for url in (str(path), f"duckdb://{path}"):
        con = backends.connect(url)
        assert con.name == "duckdb" and con.table("opportunities").count().execute() == 1
        con.disconnect()


def test_an_unknown_backend_url_says_which_forms_exist(tmp_path):
    with pytest.raises(StoreError, match=r"spark://local\[2\].*postgresql://"):
        backends.connect("mysql://somewhere/db")
    with pytest.raises(StoreError, match="no store at"):
        backends.connect(f"duckdb://{tmp_path / 'missing.duckdb'}")
