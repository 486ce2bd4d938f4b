"""A trained duplicate model for one table: a Splink linker over the prepared records, on DuckDB
(a scratch in-memory database, so the store file never holds Splink's work tables) or on Spark.

Training, in Fellegi-Sunter terms:

1. how often two records picked at random are the same entity (lambda), from rules that admit
   (almost) only true duplicates and the share of duplicates they are thought to find;
2. u, how often each comparison level is seen between two *different* entities, by sampling
   random pairs;
3. m, how often each level is seen between two records of *one* entity, by expectation
   maximisation over the pairs of each training blocking rule in turn.

A table smaller than ``min_records_to_train`` keeps the prior weights and the prior lambda of
``settings`` (duplicates are rare: strong evidence is needed): a hand-built store of twenty
contacts has too few pairs to learn from.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from revops.engines.identity.errors import IdentityError
from revops.engines.identity.settings import TableSettings, table_settings

U_PAIRS = 2e6
"""Random pairs sampled to estimate u; more is slower and barely changes the weights."""
EM_PAIRS = 2e6
"""At most this many blocked pairs per EM training rule."""
SEED = 42

Progress = Callable[[str], None]


@dataclass
class TrainedModel:
    table: str
    linker: Any
    settings: TableSettings
    backend: str
    records: int
    trained: bool
    """False: the prior weights (the table is smaller than min_records_to_train)."""

    def levels(self) -> list[dict[str, Any]]:
        """Every comparison level with its weights: comparison, gamma, label, m, u, bayes_factor."""
        out = []
        for comparison in self.linker._settings_obj.comparisons:
            for level in comparison.comparison_levels:
                if level.is_null_level:
                    continue
                out.append({"comparison": comparison.output_column_name, "gamma": level.comparison_vector_value,
                            "label": level.label_for_charts, "m": level.m_probability,
                            "u": level.u_probability, "bayes_factor": level._bayes_factor})
        return out


def database_api(backend: str | None) -> tuple[Any, str]:
    """(Splink database API, its name): a fresh in-memory DuckDB by default, Spark for spark://…"""
    if not backend or backend.startswith(("duckdb", "/", ".")) or "://" not in backend:
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect()
        threads = os.cpu_count() or 2
        con.execute(f"SET threads = {threads}")
        con.execute("SET preserve_insertion_order = false")
        return DuckDBAPI(con), "duckdb"
    if backend.startswith("spark://"):
        return _spark_api(backend[len("spark://"):]), "spark"
    raise IdentityError(f"duplicates cannot be found on {backend!r}: use the store (DuckDB, the default) or "
                        "spark://local[2], spark://HOST:PORT")


def _spark_api(rest: str) -> Any:
    try:
        from splink.backends.spark import SparkAPI, similarity_jar_location
    except ImportError as exc:  # pragma: no cover - pyspark missing
        raise IdentityError("Spark needs pyspark: pip install 'revops[spark]'") from exc
    from revops.engines.metrics.backends import spark_session

    master, _, _query = rest.partition("?")
    session = spark_session(master.strip("/") or "local[2]", **{"spark.jars": similarity_jar_location()})
    if not session.sparkContext.getCheckpointDir():  # Splink checkpoints to cut long lineages
        session.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="revops-splink-"))
    return SparkAPI(spark_session=session)


def register(db_api: Any, records: pa.Table, name: str) -> Any:
    """The prepared records as a Splink frame on the backend."""
    if type(db_api).__name__.startswith("Spark"):
        frame = db_api.spark.createDataFrame(records.to_pandas())
        return db_api.register(frame, table_name=name)
    return db_api.register(records, table_name=name)


def train(records: pa.Table, table: str, *, backend: str | None = None, min_records: int = 500,
          progress: Progress | None = None) -> TrainedModel:
    """A linker over ``records`` (from ``prepare.prepared_records``) with trained weights."""
    from splink import Linker

    say = progress or (lambda _msg: None)
    db_api, name = database_api(backend)
    settings = table_settings(table)
    frame = register(db_api, records, f"revops_{table}")
    linker = Linker(frame, settings.settings, log_level=logging.ERROR)
    trained = records.num_rows >= min_records
    if trained:
        say("estimating how many duplicates there are")
        _estimate_lambda(linker, settings, records.num_rows)
        say("estimating u (random pairs)")
        linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=SEED)
        for rule in settings.training_rules:
            say("estimating m by expectation maximisation")
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=EM_PAIRS)
    return TrainedModel(table, linker, settings, name, records.num_rows, trained)


def _estimate_lambda(linker: Any, settings: TableSettings, n: int) -> None:
    """lambda from the sure rules; at least one pair in the table, at most one in ten."""
    pairs = max(n * (n - 1) / 2, 1)
    try:
        linker.training.estimate_probability_two_random_records_match(list(settings.sure_rules),
                                                                      recall=settings.sure_recall)
    except Exception:  # noqa: BLE001 - no sure pair at all: Splink refuses a lambda of 0
        pass
    obj = linker._settings_obj
    value = obj._probability_two_random_records_match
    obj._probability_two_random_records_match = min(max(value, 1 / pairs), 0.1)
