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
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from revops.errors import StoreError
from revops.store import schema
from revops.store.store import Store, quote

# Every table a metric may read: the canonical GTM tables and the pipeline snapshots.
EXPORTED_TABLES: tuple[str, ...] = (*schema.TABLE_NAMES, "_pipeline_snapshots")

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
    return Store(path or ":memory:", read_only=True).ibis


# -- Spark -----------------------------------------------------------------------------------
def _split_query(rest: str) -> tuple[str, dict[str, str]]:
    target, _, query = rest.partition("?")
    return target.strip("/"), dict(parse_qsl(query))


def _spark(rest: str) -> Any:
    ibis_pyspark = _require("pyspark", "spark")
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
    return ibis_pyspark.connect(session)


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
        if not store.has_table(name):
            continue
        data = store.con.execute(f"SELECT * FROM {quote(name)}").to_arrow_table()
        _naive_utc(session.createDataFrame(data)).createOrReplaceTempView(name)
        loaded.append(name)
    return loaded


export_to_spark = load_into_spark


def export_parquet(store: Store, directory: str | os.PathLike[str],
                   tables: Iterable[str] = EXPORTED_TABLES) -> list[Path]:
    """Write each table of the store to ``directory/<table>.parquet``, for a Spark cluster
    to read (``spark://HOST:PORT?parquet=DIR``) or to load into a Spark database."""
    import pyarrow.parquet as pq

    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in tables:
        if not store.has_table(name):
            continue
        path = out_dir / f"{name}.parquet"
        pq.write_table(store.con.execute(f"SELECT * FROM {quote(name)}").to_arrow_table(), path)
        written.append(path)
    return written


def load_parquet_views(session: Any, directory: str) -> list[str]:
    """Temp views named after each ``<table>.parquet`` file (or folder) in ``directory``,
    which may be any path Spark reads (local, hdfs://, s3a://…) when it lists locally."""
    session.conf.set("spark.sql.session.timeZone", "UTC")
    root = Path(directory)
    if not root.is_dir():
        raise StoreError(f"no parquet folder {directory!r} (from ?parquet= or REVOPS_SPARK_PARQUET); "
                         "write one with revops.engines.metrics.backends.export_parquet")
    names = []
    for path in sorted(root.glob("*.parquet")):
        _naive_utc(session.read.parquet(str(path))).createOrReplaceTempView(path.stem)
        names.append(path.stem)
    return names


# -- Postgres --------------------------------------------------------------------------------
_PG_TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "DOUBLE": "double precision",
             "FLOAT": "real", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp",
             "SMALLINT": "smallint", "TINYINT": "smallint"}


def _postgres_compiler() -> Any:
    """Ibis' Postgres compiler, plus the one cast Postgres lacks: a boolean becomes a number
    only through integer (``CAST(true AS BIGINT)`` is an error there, ``CAST(CAST(true AS
    INT) AS BIGINT)`` is not). Metrics write ``flag.cast("int64").sum()``, valid Ibis that
    DuckDB and Spark run as it is."""
    import ibis.expr.datatypes as dt
    from ibis.backends.sql.compilers.postgres import PostgresCompiler

    class PortablePostgresCompiler(PostgresCompiler):
        def visit_Cast(self, op, *, arg, to):
            if op.arg.dtype.is_boolean() and to.is_numeric() and not to.is_int32():
                arg = self.cast(arg, dt.int32)
            return super().visit_Cast(op, arg=arg, to=to)

        visit_TryCast = visit_Cast

    return PortablePostgresCompiler()


def _pg_parts(url: str) -> tuple[str, str | None]:
    """(libpq URL without revops' own parameters, schema)."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    schema_name = params.pop("schema", None)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    conninfo = parts._replace(scheme="postgresql", query=query).geturl()
    return conninfo, schema_name


def _postgres(url: str) -> Any:
    ibis_postgres = _require("postgres", "postgres")
    parts = urlsplit(url)
    _, schema_name = _pg_parts(url)
    kwargs: dict[str, Any] = {"host": parts.hostname or "localhost", "port": parts.port or 5432,
                              "database": parts.path.lstrip("/") or None, "schema": schema_name}
    if parts.username:
        kwargs["user"] = unquote(parts.username)
    if parts.password:
        kwargs["password"] = unquote(parts.password)
    try:
        con = ibis_postgres.connect(**kwargs)
    except Exception as exc:
        raise StoreError(f"cannot connect to Postgres at {parts.hostname}:{parts.port or 5432}: {exc}") from None
    con.compiler = _postgres_compiler()
    return con


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
            rows = store.con.execute(f"SELECT {casts} FROM {quote(name)}").fetchall()
            with cur.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            loaded.append(name)
    return loaded


# -- optional dependencies -------------------------------------------------------------------
def _require(backend: str, extra: str) -> Any:
    """Ibis' backend module (which imports its driver), or an error naming the install command."""
    import ibis

    try:
        return getattr(ibis, backend)
    except Exception as exc:
        raise StoreError(f"the {backend} backend needs extra packages: pip install 'revops[{extra}]' "
                         f"({exc})") from None
