"""Which record of a cluster survives a merge, and what each of its fields holds afterwards.

Survivor (``identity.<table>.survivor``):
    most_complete   the record with the most fields filled (then the oldest, then the lowest id)
    most_recent     the most recently updated record (updated_at, else created_at)
    oldest          the first created record: the id other systems have known longest
    source_priority the record from the most trusted source (records.source), then the most recent

Fields (``identity.<table>.fields``, ``default`` for the rest):
    most_complete   the longest value any record has ("Robert" over "Bob"; spaces and case aside,
                    a tie keeps the survivor's); for numbers, dates and flags: the survivor's
                    value, else the value of the most complete record having one
    most_recent     the value of the most recently updated record having one
    oldest          the value of the first created record having one
    source_priority the value of the most trusted source having one

The id is always the survivor's; ``created_at`` becomes the cluster's earliest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from revops.engines.identity.prepare import KEYS
from revops.model.sections.identity import DedupeRules, SourcePriority
from revops.store.store import quote

Record = dict[str, Any]
_EARLY = datetime.min
_LATE = datetime.max


def filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip()) and value == value


def completeness(record: Record, key: str) -> int:
    return sum(1 for name, value in record.items() if name != key and filled(value))


def _updated(record: Record) -> datetime:
    value = record.get("updated_at") or record.get("created_at")
    return value if isinstance(value, datetime) else _EARLY


def _created(record: Record) -> datetime:
    value = record.get("created_at")
    return value if isinstance(value, datetime) else _LATE


def _source_rank(record: Record, order: Sequence[str]) -> int:
    source = record.get("source")
    return order.index(source) if source in order else len(order)


def rank_records(records: Sequence[Record], rule: Any, key: str) -> list[Record]:
    """``records`` best first by a survivor rule (a rule name or a SourcePriority)."""
    by_id = sorted(records, key=lambda r: str(r[key]))
    if isinstance(rule, SourcePriority):
        order = list(rule.source_priority)
        newest_first = sorted(by_id, key=_updated, reverse=True)
        return sorted(newest_first, key=lambda r: _source_rank(r, order))
    if rule == "most_recent":
        return sorted(by_id, key=_updated, reverse=True)
    if rule == "oldest":
        return sorted(by_id, key=_created)
    return sorted(sorted(by_id, key=_created), key=lambda r: -completeness(r, key))


def survivor(records: Sequence[Record], rules: DedupeRules, key: str) -> Record:
    return rank_records(records, rules.survivor, key)[0]


def field_value(name: str, records: Sequence[Record], chosen: Record, rule: Any, key: str) -> Any:
    """The value field ``name`` takes in the survivor ``chosen`` under ``rule``."""
    having = [r for r in records if filled(r.get(name))]
    if not having:
        return chosen.get(name)
    if rule == "most_complete":
        if all(isinstance(r[name], str) for r in having):
            survivors_first = sorted(having, key=lambda r: r is not chosen)
            return max(survivors_first, key=lambda r: len(r[name].strip()))[name]
        if filled(chosen.get(name)):
            return chosen[name]
        return rank_records(having, "most_complete", key)[0][name]
    return rank_records(having, rule, key)[0][name]


def merged_record(records: Sequence[Record], chosen: Record, rules: DedupeRules, key: str) -> Record:
    """The survivor as it is after the merge: every field filled by its rule."""
    default = rules.fields.get("default", "most_complete")
    out: Record = {}
    for name in chosen:
        if name == key:
            out[name] = chosen[name]
        elif name == "created_at":
            stamps = [r["created_at"] for r in records if isinstance(r.get("created_at"), datetime)]
            out[name] = min(stamps) if stamps else chosen.get(name)
        else:
            out[name] = field_value(name, records, chosen, rules.fields.get(name, default), key)
    return out


def fetch_records(con: Any, table: str, ids: Iterable[str]) -> dict[str, Record]:
    """Full rows (custom columns too) of ``ids`` in ``table``, by id."""
    key = KEYS[table]
    wanted = pa.table({"record_id": pa.array(sorted(set(ids)), pa.string())})
    con.register("_identity_ids", wanted)
    try:
        cur = con.execute(f"SELECT t.* FROM {quote(table)} t JOIN _identity_ids i "
                          f"ON CAST(t.{quote(key)} AS VARCHAR) = i.record_id")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.unregister("_identity_ids")
    return {str(r[key]): r for r in rows}


def order_clusters(con: Any, table: str, groups: list[list[str]], rules: DedupeRules) -> dict[str, list[str]]:
    """Each group as {survivor id: [survivor, the others by id]}."""
    if not groups:
        return {}
    key = KEYS[table]
    records = fetch_records(con, table, (i for g in groups for i in g))
    out: dict[str, list[str]] = {}
    for group in groups:
        present = [records[i] for i in group if i in records]
        if len(present) < 2:
            continue
        chosen = str(survivor(present, rules, key)[key])
        out[chosen] = [chosen, *sorted(i for i in group if i != chosen and i in records)]
    return dict(sorted(out.items()))
