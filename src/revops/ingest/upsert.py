"""Upsert by id: insert new records, update changed ones, leave identical ones alone,
and append opportunity_history for every change of a tracked field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from revops.ingest.validate import TYPED
from revops.store import schema
from revops.store.store import quote

WINNERS = "_ingest_winners"
CHANGES = "_ingest_changes"


@dataclass
class UpsertCounts:
    inserted: int
    updated: int
    unchanged: int
    superseded: int   # earlier rows of an id that appears more than once in the file


def upsert(con: duckdb.DuckDBPyConnection, table: schema.Table, fields: list[str], *, run_id: str,
           now: datetime, feed: bool = False) -> UpsertCounts:
    """Apply the good rows of ``_ingest_typed`` to ``table``; the last row of an id wins.
    ``feed``: also write each inserted and changed record, before and after, to the audit log
    (the change feed record and score workflows read)."""
    key = quote(table.key)
    target = quote(table.name)
    cols = [quote(f) for f in fields]
    valid, distinct = con.execute(
        f"SELECT count(*), count(DISTINCT {key}) FROM {TYPED} WHERE NOT _bad").fetchone()
    latest = (f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _row DESC) = 1"
              if distinct < valid else "")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {WINNERS} AS SELECT * EXCLUDE (_bad) FROM {TYPED} "
                f"WHERE NOT _bad {latest}")
    winners = distinct
    diff = " OR ".join(f"w.{c} IS DISTINCT FROM t.{c}" for c in cols if c != key) or "false"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHANGES} AS "
        f"SELECT w.{key} AS _key, t.{key} IS NULL AS _new, ({diff}) AS _changed "
        f"FROM {WINNERS} w LEFT JOIN {target} t ON w.{key} = t.{key}"
    )
    inserted, updated = con.execute(
        f"SELECT count(*) FILTER (WHERE _new), count(*) FILTER (WHERE NOT _new AND _changed) FROM {CHANGES}"
    ).fetchone()
    if table.history_fields:
        _append_history(con, table, fields, run_id=run_id, now=now)
    if feed and (inserted or updated):
        _feed_changes(con, table, fields, run_id=run_id, now=now)
    if updated:
        sets = ", ".join(f"{c} = w.{c}" for c in cols if c != key)
        con.execute(
            f"UPDATE {target} AS t SET {sets} FROM {WINNERS} w "
            f"WHERE t.{key} = w.{key} AND w.{key} IN (SELECT _key FROM {CHANGES} WHERE NOT _new AND _changed)"
        )
    if inserted:
        collist = ", ".join(cols)
        only_new = "" if inserted == winners else f"WHERE {key} IN (SELECT _key FROM {CHANGES} WHERE _new)"
        con.execute(f"INSERT INTO {target} ({collist}) SELECT {collist} FROM {WINNERS} {only_new}")
    unchanged = winners - inserted - updated
    return UpsertCounts(int(inserted), int(updated), int(unchanged), int(valid - winners))


def _append_history(con: duckdb.DuckDBPyConnection, table: schema.Table, fields: list[str], *,
                    run_id: str, now: datetime) -> None:
    """One opportunity_history row per new deal and per deal whose tracked fields changed."""
    key = quote(table.key)
    tracked = [f for f in table.history_fields]
    present = set(fields)
    state = []
    changed_terms = []
    for f in tracked:
        qf = quote(f)
        if f in present:
            state.append(f"w.{qf} AS {qf}")
            changed_terms.append(f"CASE WHEN t.{key} IS NOT NULL AND w.{qf} IS DISTINCT FROM t.{qf} "
                                 f"THEN '{f}' END")
        else:
            state.append(f"t.{qf} AS {qf}")
    changed_list = f"list_filter([{', '.join(changed_terms)}], lambda x: x IS NOT NULL)" if changed_terms else "[]"
    when = "w.updated_at" if "updated_at" in present else "NULL"
    con.execute(
        f"INSERT INTO opportunity_history (history_id, opportunity_id, changed_at, {', '.join(tracked)}, "
        f"changed_fields, source) "
        f"SELECT '{run_id}:' || w.{key}, w.{key}, COALESCE({when}, ?), {', '.join(state)}, "
        f"CASE WHEN t.{key} IS NULL THEN 'created' ELSE array_to_string(ch, ',') END, 'ingest:{run_id}' "
        f"FROM (SELECT w.*, {changed_list} AS ch FROM {WINNERS} w LEFT JOIN {quote(table.name)} t "
        f"ON w.{key} = t.{key}) w LEFT JOIN {quote(table.name)} t ON w.{key} = t.{key} "
        f"WHERE t.{key} IS NULL OR len(w.ch) > 0",
        [now],
    )


def _feed_changes(con: duckdb.DuckDBPyConnection, table: schema.Table, fields: list[str], *, run_id: str,
                  now: datetime) -> None:
    """One ``_audit_log`` row per inserted or changed record: the loaded fields before (null for
    a new record) and after, as JSON, in the transaction of the load."""
    from revops.access.audit import audit_changes

    key = quote(table.key)
    singular = {"opportunities": "opportunity", "activities": "activity"}.get(table.name, table.name.rstrip("s"))
    audit_changes(
        con, now, entity=table.name, action=f"'{singular}.' || CASE WHEN c._new THEN 'create' ELSE 'update' END",
        record_id=f"w.{key}", before={f: f"t.{quote(f)}" for f in fields}, after={f: f"w.{quote(f)}" for f in fields},
        source=f"ingest:{run_id}", new="c._new",
        rows=f"FROM {WINNERS} w JOIN {CHANGES} c ON c._key = w.{key} LEFT JOIN {quote(table.name)} t "
             f"ON t.{key} = w.{key} WHERE c._new OR c._changed ORDER BY w._row")
