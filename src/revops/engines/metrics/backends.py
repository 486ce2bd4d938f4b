"""Where metrics run: an Ibis backend holding the canonical GTM tables, named by a URL.

The metric code is one set of Ibis expressions; this module only finds the tables. A URL
(``revops --backend URL`` or ``$REVOPS_BACKEND``) names one of:

| URL | backend | where the tables come from |
| --- | --- | --- |
| ``duckdb:///path/store.duckdb`` or a plain path | DuckDB | the revops store file, read-only |
| ``spark://local[2]``, ``spark://HOST:PORT``, ``spark://yarn``, ``spark://`` | PySpark | a Spark database (``?database=NAME`` or ``$REVOPS_SPARK_DATABASE``) or a folder of parquet files (``?parquet=DIR`` or ``$REVOPS_SPARK_PARQUET``) written by ``export_parquet`` |
| ``postgresql://user:pass@host:port/db`` (``?schema=NAME``) | Postgres | tables with the canonical names, e.g. written by ``load_into_postgres`` |

``spark://`` with nothing after it uses the session ``spark-submit`` (or a notebook) already
configured. Other query parameters of a Spark URL that start with ``spark.`` are passed to
the session as configuration (``spark://host:7077?spark.executor.memory=4g``).

Timestamps are naive UTC everywhere: the Spark session's time zone is set to UTC, so a
``TIMESTAMP`` read or loaded into Spark shows the same wall-clock value as in the store.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from revops.errors import StoreError
from revops.store import schema
from revops.store.store import Store, quote

# Every table a metric may read: the canonical GTM tables, the pipeline snapshots and the
# routing decisions.
EXPORTED_TABLES: tuple[str, ...] = (*schema.TABLE_NAMES, "_pipeline_snapshots", "_routing_decisions")

SPARK_LOCAL_CONF = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}


def connect(url: str | os.PathLike[str]) -> Any:
    """The Ibis backend ``url`` names, holding the canonical tables (see the module doc)."""
    text = str(url)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in ("", "duckdb"):
        return _duckdb(text[len("duckdb://"):] if scheme else text)
    if scheme == "spark":
        return _spark(text[len("spark://"):])
    if scheme in ("postgres", "postgresql"):
        return _postgres(text)
    raise StoreError(f"unknown backend {text!r}; use a store path, duckdb:///path/store.duckdb, "
                     "spark://local[2], spark://HOST:PORT or postgresql://user:pass@host:port/db")


# -- DuckDB ----------------------------------------------------------------------------------
def _duckdb(path: str) -> Any:
    if not path:
        raise StoreError("name the store file: duckdb:///path/store.duckdb or a plain path")
    return Store(path, read_only=True).ibis


# -- Spark -----------------------------------------------------------------------------------
def _split_query(rest: str) -> tuple[str, dict[str, str]]:
    target, _, query = rest.partition("?")
    return target.strip("/"), dict(parse_qsl(query))


def _spark(rest: str) -> Any:
    _require("pyspark", "spark")
    from pyspark.sql import SparkSession

    target, params = _split_query(rest)
    builder = SparkSession.builder.appName("revops").config("spark.sql.session.timeZone", "UTC")
    if target:
        local = target.startswith("local")
        master = target if local or target == "yarn" or "://" in target else f"spark://{target}"
        builder = builder.master(master)
        for key, value in (SPARK_LOCAL_CONF.items() if local else ()):
            builder = builder.config(key, value)
    for key, value in params.items():
        if key.startswith("spark."):
            builder = builder.config(key, value)
    session = builder.getOrCreate()
    database = params.get("database") or os.environ.get("REVOPS_SPARK_DATABASE")
    parquet = params.get("parquet") or os.environ.get("REVOPS_SPARK_PARQUET")
    if database:
        if not session.catalog.databaseExists(database):
            raise StoreError(f"Spark has no database {database!r} (from ?database= or "
                             "REVOPS_SPARK_DATABASE); it must hold the canonical tables")
        session.catalog.setCurrentDatabase(database)
    elif parquet:
        load_parquet_views(session, parquet)
    return spark_backend(session)


def spark_backend(session: Any) -> Any:
    """The Ibis backend over a SparkSession that metrics run on: ``ibis.pyspark.connect``
    with the fixes of ``_spark_backend_class``. Sets the session's time zone to UTC."""
    return _spark_backend_class()().connect(session)


@lru_cache(maxsize=1)
def _spark_backend_class() -> type:
    """Ibis 12's PySpark backend with two fixes metrics need:

    - the in-memory tables an expression reads (``ibis.memtable``: month spines, quota
      spans) are registered before the expression is cached, as ``execute`` does; Ibis
      caches without them and Spark then finds no such view;
    - a filtered median (``x.median(where=…)``, what metrics sharing one query compile to)
      filters its values only: Ibis also wraps the 0.5 in the filter, and Spark rejects a
      percentage that is not a constant.
    """
    backend = _require("pyspark", "spark")
    from ibis.backends.sql.compilers.base import NULL
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    class RevopsPySparkCompiler(PySparkCompiler):
        def visit_Median(self, op, *, arg, where):
            return self.f.percentile(arg if where is None else self.if_(where, arg, NULL), 0.5)

        def visit_ApproxMedian(self, op, *, arg, where):
            return self.f.approx_percentile(arg if where is None else self.if_(where, arg, NULL), 0.5)

    class RevopsPySparkBackend(backend):
        compiler = RevopsPySparkCompiler()

        def _create_cached_table(self, name, expr):
            self._run_pre_execute_hooks(expr)
            return super()._create_cached_table(name, expr)

    return RevopsPySparkBackend


def spark_session(master: str = "local[2]", **conf: str) -> Any:
    """A SparkSession for revops: UTC session time zone; small and UI-less when local."""
    _require("pyspark", "spark")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName("revops")
    settings = {"spark.sql.session.timeZone": "UTC",
                **(SPARK_LOCAL_CONF if master.startswith("local") else {}), **conf}
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _naive_utc(frame: Any) -> Any:
    """Spark reads naive timestamps as TIMESTAMP_NTZ; the metrics compare them with
    TIMESTAMP literals, so they become TIMESTAMP (same wall clock, the session being UTC)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampNTZType

    ntz = [f.name for f in frame.schema.fields if isinstance(f.dataType, TimestampNTZType)]
    if not ntz:
        return frame
    return frame.select(*(F.col(c).cast("timestamp").alias(c) if c in ntz else F.col(c)
                          for c in frame.columns))


def load_into_spark(store: Store, session: Any, tables: Iterable[str] = EXPORTED_TABLES) -> list[str]:
    """Copy tables of a DuckDB store into Spark temp views with the same names, columns
    (custom ones included) and types. Returns the names loaded (tables the store lacks are
    skipped). For a store that fits in the driver's memory: tests, demos, trials."""
    session.conf.set("spark.sql.session.timeZone", "UTC")
    loaded = []
    for name in tables:
        if not store.columns(name):
            continue
        _naive_utc(session.createDataFrame(_arrow(store, name))).createOrReplaceTempView(name)
        loaded.append(name)
    return loaded


def _arrow(store: Store, name: str) -> Any:
    """A table of the store as Arrow, read on a cursor of its own: DuckDB refuses relation
    reads on a connection that still holds an unfinished ``execute`` result."""
    cursor = store.con.cursor()
    try:
        return cursor.sql(f"SELECT * FROM {quote(name)}").to_arrow_table()
    finally:
        cursor.close()


export_to_spark = load_into_spark


def export_parquet(store: Store, directory: str | os.PathLike[str],
                   tables: Iterable[str] = EXPORTED_TABLES) -> list[Path]:
    """Write each table of the store to ``directory/<table>/part-0.parquet`` (the layout
    Spark writes itself), for a Spark cluster to read (``spark://HOST:PORT?parquet=DIR``)
    or to load into a Spark database. Returns the table folders written."""
    import pyarrow.parquet as pq

    written = []
    for name in tables:
        if not store.columns(name):
            continue
        folder = Path(directory) / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(_arrow(store, name), folder / "part-0.parquet")
        written.append(folder)
    return written


def load_parquet_views(session: Any, directory: str | os.PathLike[str]) -> list[str]:
    """A temp view for each table folder (or ``<table>.parquet`` file) in ``directory``,
    named after it. Returns the view names."""
    session.conf.set("spark.sql.session.timeZone", "UTC")
    root = Path(directory)
    if not root.is_dir():
        raise StoreError(f"no parquet folder {str(directory)!r} (from ?parquet= or REVOPS_SPARK_PARQUET); "
                         "write one with revops.engines.metrics.backends.export_parquet")
    names = []
    for path in sorted(root.iterdir()):
        if not (path.is_dir() or path.suffix == ".parquet"):
            continue
        name = path.name if path.is_dir() else path.stem
        _naive_utc(session.read.parquet(str(path))).createOrReplaceTempView(name)
        names.append(name)
    return names


# -- Postgres --------------------------------------------------------------------------------
_PG_TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "DOUBLE": "double precision",
             "FLOAT": "real", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp",
             "SMALLINT": "smallint", "TINYINT": "smallint"}


@lru_cache(maxsize=1)
def _postgres_backend_class() -> type:
    """Ibis' Postgres backend with the one cast Postgres lacks: a boolean becomes a number
    only through integer (``CAST(true AS BIGINT)`` is an error there, ``CAST(CAST(true AS
    INT) AS BIGINT)`` is not). Metrics write ``flag.cast("int64").sum()``, valid Ibis that
    DuckDB and Spark run as it is."""
    backend = _require("postgres", "postgres")
    import ibis.expr.datatypes as dt
    from ibis.backends.sql.compilers.postgres import PostgresCompiler

    class PortablePostgresCompiler(PostgresCompiler):
        def visit_Cast(self, op, *, arg, to):
            if op.arg.dtype.is_boolean() and to.is_numeric() and not to.is_int32():
                arg = self.cast(arg, dt.int32)
            return super().visit_Cast(op, arg=arg, to=to)

        visit_TryCast = visit_Cast

    class RevopsPostgresBackend(backend):
        compiler = PortablePostgresCompiler()

    return RevopsPostgresBackend


def _pg_parts(url: str) -> tuple[str, str | None]:
    """(libpq URL without revops' own parameters, schema)."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    schema_name = params.pop("schema", None)
    conninfo = parts._replace(scheme="postgresql", query=urlencode(params)).geturl()
    return conninfo, schema_name


def _postgres(url: str) -> Any:
    backend = _postgres_backend_class()
    parts = urlsplit(url)
    _, schema_name = _pg_parts(url)
    kwargs: dict[str, Any] = {"host": parts.hostname or "localhost", "port": parts.port or 5432,
                              "database": parts.path.lstrip("/") or None, "schema": schema_name}
    if parts.username:
        kwargs["user"] = unquote(parts.username)
    if parts.password:
        kwargs["password"] = unquote(parts.password)
    try:
        return backend().connect(**kwargs)
    except Exception as exc:
        raise StoreError(f"cannot connect to Postgres at {parts.hostname}:{parts.port or 5432}: {exc}") from None


def load_into_postgres(store: Store, url: str, tables: Iterable[str] = EXPORTED_TABLES) -> list[str]:
    """Copy tables of a DuckDB store into Postgres (replacing tables of the same names),
    in the URL's ``?schema=`` or the default one. Returns the names loaded."""
    import psycopg

    conninfo, schema_name = _pg_parts(url)
    loaded = []
    with psycopg.connect(conninfo) as pg, pg.cursor() as cur:
        if schema_name:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema_name)}")
        prefix = f"{quote(schema_name)}." if schema_name else ""
        for name in tables:
            columns = store.columns(name)
            if not columns:
                continue
            target = prefix + quote(name)
            cols = ", ".join(f"{quote(c)} {_PG_TYPES.get(t, 'text')}" for c, t in columns.items())
            cur.execute(f"DROP TABLE IF EXISTS {target}")
            cur.execute(f"CREATE TABLE {target} ({cols})")
            names = ", ".join(quote(c) for c in columns)
            casts = ", ".join(quote(c) if t in _PG_TYPES else f"CAST({quote(c)} AS VARCHAR)"
                              for c, t in columns.items())
            rows = store.con.execute(f"SELECT {casts} FROM {quote(name)}")
            with cur.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                while batch := rows.fetchmany(10_000):
                    for row in batch:
                        copy.write_row(row)
            loaded.append(name)
    return loaded


# -- optional dependencies -------------------------------------------------------------------
def _require(backend: str, extra: str) -> type:
    """Ibis' backend class, loaded as ``ibis.<backend>`` loads it (importing its driver and
    registering its options), or an error naming the install command."""
    import importlib

    import ibis

    try:
        getattr(ibis, backend)
        return importlib.import_module(f"ibis.backends.{backend}").Backend
    except ImportError as exc:
        raise StoreError(f"the {backend} backend needs extra packages: pip install 'revops[{extra}]' "
                         f"({exc})") from None
