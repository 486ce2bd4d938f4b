"""Dimensions: how ``--by segment`` or ``where industry = 'saas'`` finds its column.

A fact (the rows a metric aggregates) has its own columns, custom attributes included, and
links to the records it belongs to: a deal links to its owner (users) and its account. A
name resolves, first match wins, to

1. a column of the fact itself (``source``, ``type``, a custom attribute);
2. a link's key by the link's name (``owner`` -> owner_id, ``account`` -> account_id);
3. ``<link>_<column>`` of a linked table (``owner_region``, ``account_employees``);
4. a column of a linked table, links tried in order (``team``, ``segment`` and ``region``
   from the owner; ``industry`` and ``country`` from the account).

Linked columns are joined only when asked for, one left join per link.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ibis.expr.types as ir

from revops.engines.metrics.context import MetricContext
from revops.errors import MetricError


@dataclass(frozen=True)
class Link:
    name: str
    """How the dimension is named: owner, account."""
    key: str
    """Column of the fact holding the linked record's id."""
    table: str
    """Canonical table linked to."""
    table_key: str


OWNER = Link("owner", "owner_id", "users", "user_id")
ACCOUNT = Link("account", "account_id", "accounts", "account_id")

_HIDDEN = ("__",)  # columns the engine adds for itself are not dimensions


def _visible(columns: Iterable[str]) -> list[str]:
    return [c for c in columns if not c.startswith(_HIDDEN)]


def available(ctx: MetricContext, fact: ir.Table, links: tuple[Link, ...]) -> list[str]:
    """Every name the fact can be broken down or filtered by."""
    names = _visible(fact.columns)
    for link in links:
        if link.key in fact.columns:
            names.append(link.name)
            linked = [c for c in ctx.columns(link.table) if c != link.table_key]
            names += [f"{link.name}_{c}" for c in linked]
            names += [c for c in linked if c not in names]
    return list(dict.fromkeys(names))


def resolve(ctx: MetricContext, fact: ir.Table, links: tuple[Link, ...], names: Iterable[str],
            metric: str) -> ir.Table:
    """``fact`` with a column for every name in ``names`` (joined in when linked)."""
    wanted: dict[Link, dict[str, str]] = {}
    for name in dict.fromkeys(names):
        if name in fact.columns:
            continue
        found = _find(ctx, fact, links, name)
        if found is None:
            options = ", ".join(sorted(available(ctx, fact, links)))
            raise MetricError(f"metric {metric!r} cannot be broken down or filtered by {name!r}; "
                              f"it can by: {options}")
        link, column = found
        if column is None:
            fact = fact.mutate(**{name: fact[link.key]})
        else:
            wanted.setdefault(link, {})[name] = column
    for link, columns in wanted.items():
        other = ctx.table(link.table)
        key = f"__key_{link.name}"
        right = other.select(**{key: other[link.table_key]}, **{n: other[c] for n, c in columns.items()})
        fact = fact.left_join(right, fact[link.key] == right[key]).drop(key)
    return fact


def _find(ctx: MetricContext, fact: ir.Table, links: tuple[Link, ...],
          name: str) -> tuple[Link, str | None] | None:
    usable = [link for link in links if link.key in fact.columns]
    for link in usable:
        if name == link.name:
            return link, None
    for link in usable:
        prefix = f"{link.name}_"
        if name.startswith(prefix) and name[len(prefix):] in ctx.columns(link.table):
            return link, name[len(prefix):]
    for link in usable:
        if name in ctx.columns(link.table) and name != link.table_key:
            return link, name
    return None
