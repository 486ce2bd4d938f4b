"""The records of one table as the duplicate finder compares them: one row per record with its
id (``unique_id``) and normalised columns (``names``), the raw values left behind.

    contacts, leads: email_key (mailbox@domain, dots and case folded), email_local, email_named
                     (the mailbox unless it is just the first name), email_domain (free mail dropped), first_name (nicknames as the full name), last_name,
                     phone (last ten digits), company (compact name), account_id (contacts)
    accounts:        name_key, name_compact, name_first / name_second / name_last (words, for
                     blocking: a typo in one word leaves a pair of the others), domain, country,
                     industry, employees

Each normalisation runs once per distinct raw value and is broadcast back, so a million
contacts with a few hundred distinct first names cost a few hundred calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from revops.engines.identity import names
from revops.engines.identity.errors import IdentityError
from revops.store.store import quote

DEDUPE_TABLES: tuple[str, ...] = ("contacts", "leads", "accounts")


def _email(value: Any) -> tuple[str | None, str | None, str | None]:
    """(email_key, email_local, email_domain) of one address."""
    parts = names.email_parts(value)
    if parts is None:
        return None, None, None
    key = f"{parts.local_key}@{parts.domain}" if parts.domain else None
    return key, parts.local_key, names.business_domain(parts.domain)


def _word(name: Any, i: int, at_least: int = 2) -> str | None:
    """The i-th word of a normalised company name, when it has at least ``at_least`` words."""
    words = names.company_words(name)
    return words[i] if len(words) >= at_least else None


def _named_mailbox(local: pa.Array, first_name: pa.ChunkedArray) -> pa.Array:
    """The mailbox key when it says more than the first name ("analopez", "alopez"), else null:
    "ana@" is shared by too many people to bring records together on its own."""
    first = _by_distinct(pc.cast(first_name, pa.string()), names.person_key, pa.string())
    bare = pc.or_kleene(pc.equal(local, first), pc.less(pc.utf8_length(local), 4))
    return pc.if_else(pc.fill_null(bare, False), pa.nulls(len(local), pa.string()), local)


def _by_distinct(column: pa.ChunkedArray | pa.Array, fn: Callable[[Any], Any], type_: pa.DataType) -> pa.Array:
    """``fn`` over each distinct value of ``column``, broadcast back to every row."""
    distinct = pc.unique(column)
    mapped = pa.array([fn(v) for v in distinct.to_pylist()], type_)
    return pc.take(mapped, pc.index_in(column, distinct))


def _email_columns(column: pa.ChunkedArray) -> dict[str, pa.Array]:
    """email_key, email_local and email_domain, each address parsed once."""
    distinct = pc.unique(column)
    parsed = [_email(v) for v in distinct.to_pylist()]
    where = pc.index_in(column, distinct)
    return {name: pc.take(pa.array([p[i] for p in parsed], pa.string()), where)
            for i, name in enumerate(("email_key", "email_local", "email_domain"))}


PERSON_COLUMNS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    # output column: (source column, normalisation)
    "email_key": ("email", lambda v: _email(v)[0]),
    "email_local": ("email", lambda v: _email(v)[1]),
    "email_domain": ("email", lambda v: _email(v)[2]),
    "first_name": ("first_name", names.first_name_key),
    "last_name": ("last_name", names.person_key),
    "phone": ("phone", names.phone_key),
    "company": ("company", names.company_compact),
}
ACCOUNT_COLUMNS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "name_key": ("name", names.company_key),
    "name_compact": ("name", names.company_compact),
    "name_first": ("name", lambda v: _word(v, 0)),
    "name_second": ("name", lambda v: _word(v, 1)),
    "name_last": ("name", lambda v: _word(v, -1, at_least=3)),
    "domain": ("domain", names.business_domain),
    "country": ("country", lambda v: v.strip().upper() or None if isinstance(v, str) else None),
    "industry": ("industry", lambda v: names.person_key(v)),
}
KEYS: dict[str, str] = {"contacts": "contact_id", "leads": "lead_id", "accounts": "account_id"}


def check_table(table: str) -> str:
    if table not in DEDUPE_TABLES:
        raise IdentityError(f"cannot deduplicate {table!r}: choose one of {', '.join(DEDUPE_TABLES)}")
    return table


def prepared_records(con: Any, table: str, where: str | None = None) -> pa.Table:
    """The records of ``table`` in the store (a DuckDB connection), normalised for comparison."""
    check_table(table)
    key = KEYS[table]
    columns = ACCOUNT_COLUMNS if table == "accounts" else PERSON_COLUMNS
    sources = sorted({src for src, _ in columns.values()})
    extra = ["account_id"] if table == "contacts" else (["employees", "owner_id"] if table == "accounts" else [])
    present = _present_columns(con, table)
    select = [f"CAST({quote(key)} AS VARCHAR) AS unique_id"]
    for src in (*sources, *extra):
        select.append(f"{quote(src)}" if src in present else f"NULL AS {quote(src)}")
    sql = f"SELECT {', '.join(select)} FROM {quote(table)} WHERE {quote(key)} IS NOT NULL"
    if where:
        sql += f" AND ({where})"
    raw = con.sql(sql + f" ORDER BY {quote(key)}").to_arrow_table()
    return normalise(raw, table)


def normalise(raw: pa.Table, table: str) -> pa.Table:
    """``raw`` (unique_id and the table's source columns) with the normalised columns."""
    columns = ACCOUNT_COLUMNS if table == "accounts" else PERSON_COLUMNS
    out: dict[str, Any] = {"unique_id": raw["unique_id"]}
    if "email_key" in columns:
        out.update(_email_columns(pc.cast(raw["email"], pa.string())))
    for name, (src, fn) in columns.items():
        if name in out:
            continue
        source = raw[src] if src in raw.column_names else pa.nulls(raw.num_rows, pa.string())
        out[name] = _by_distinct(pc.cast(source, pa.string()), fn, pa.string())
    if table != "accounts":
        out["email_named"] = _named_mailbox(out["email_local"], raw["first_name"])
    if table == "contacts":
        out["account_id"] = pc.cast(raw["account_id"], pa.string())
    if table == "accounts":
        out["employees"] = pc.cast(raw["employees"], pa.float64())
        out["owner_id"] = pc.cast(raw["owner_id"], pa.string())
    return pa.table(out)


def _present_columns(con: Any, table: str) -> set[str]:
    rows = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                       "AND table_schema = 'main'", [table]).fetchall()
    if not rows:
        raise IdentityError(f"the store has no table {table!r}; build it with `revops demo` or `revops ingest`")
    return {r[0] for r in rows}
