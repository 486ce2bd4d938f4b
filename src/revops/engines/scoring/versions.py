"""Conversion models kept in the store, one row per version in ``_scoring_models``.

A training adds a version and makes it the one active model; older versions stay (with
their metrics) so a retrain can be compared with the last and rolled back with
``activate``. The model column holds a pickled dict of plain values (LightGBM's text model,
the calibration curve, the feature spec): loading it needs no revops class.
"""

from __future__ import annotations

import json
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from revops.errors import TrainingError
from revops.store import Store
from revops.store.store import utcnow

TABLE = "_scoring_models"
BLOB_FORMAT = 1


@dataclass
class ModelVersion:
    version: int
    trained_at: datetime
    algorithm: str
    features: list[str]
    metrics: dict[str, Any]
    n_train: int
    n_test: int
    active: bool


def save_version(store: Store, *, algorithm: str, features: list[str], metrics: dict[str, Any],
                 n_train: int, n_test: int, bundle: dict[str, Any]) -> int:
    """Store a trained model as the next version and make it the active one (atomically)."""
    blob = pickle.dumps({"format": BLOB_FORMAT, **bundle}, protocol=pickle.HIGHEST_PROTOCOL)
    with store.transaction() as con:
        version = int(con.execute(f"SELECT coalesce(max(version), 0) + 1 FROM {TABLE}").fetchall()[0][0])
        con.execute(f"UPDATE {TABLE} SET active = false WHERE active")
        con.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, true)",
                    [version, utcnow(), algorithm, json.dumps(features), json.dumps(metrics),
                     n_train, n_test, blob])
    return version


def list_versions(store: Store) -> list[ModelVersion]:
    if not store.has_table(TABLE):
        return []
    rows = store.con.execute(
        f"SELECT version, trained_at, algorithm, features, metrics, n_train, n_test, active "
        f"FROM {TABLE} ORDER BY version").fetchall()
    return [ModelVersion(v, t, a, json.loads(f or "[]"), json.loads(m or "{}"), int(nt or 0),
                         int(ns or 0), bool(act)) for v, t, a, f, m, nt, ns, act in rows]


def get_version(store: Store, version: int | None = None) -> ModelVersion | None:
    """``version``, or the active one when None; None when there is no such model."""
    for v in reversed(list_versions(store)):
        if (version is None and v.active) or v.version == version:
            return v
    return None


def activate(store: Store, version: int) -> ModelVersion:
    """Make an earlier (or later) version the active model again."""
    if get_version(store, version) is None:
        known = ", ".join(str(v.version) for v in list_versions(store)) or "none"
        raise TrainingError(f"no conversion model version {version} in {store.path}; versions: {known}")
    with store.transaction() as con:
        con.execute(f"UPDATE {TABLE} SET active = (version = ?)", [version])
    return get_version(store, version)  # type: ignore[return-value]


_cache: OrderedDict[tuple[str, int, str], dict[str, Any]] = OrderedDict()
_cache_lock = threading.Lock()


def active_bundle(store: Store) -> tuple[int, dict[str, Any]] | None:
    """(version, unpickled bundle) of the active model, cached per store file and version so a
    server scoring one lead at a time reads the blob once."""
    try:
        row = store.con.execute(
            f"SELECT version, trained_at FROM {TABLE} WHERE active ORDER BY version DESC LIMIT 1").fetchall()
    except duckdb.CatalogException:  # a store from before the lead engine (opened read-only)
        return None
    if not row:
        return None
    row = row[0]
    key = (str(store.path.resolve() if str(store.path) != ":memory:" else id(store)), int(row[0]), str(row[1]))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return key[1], _cache[key]
    blob = store.con.execute(f"SELECT model FROM {TABLE} WHERE version = ?", [row[0]]).fetchall()[0][0]
    bundle = pickle.loads(bytes(blob))
    if bundle.get("format") != BLOB_FORMAT:
        raise TrainingError(f"conversion model version {row[0]} was stored in format "
                            f"{bundle.get('format')!r}, this revops reads {BLOB_FORMAT}; "
                            "retrain with `revops score train`")
    with _cache_lock:
        _cache[key] = bundle
        while len(_cache) > 4:
            _cache.popitem(last=False)
    return key[1], bundle
