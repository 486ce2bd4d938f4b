"""What the rules share: did-you-mean, duplicate keys, and checking one expression."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any

from revops.model import fields as model_fields
from revops.model.issues import Path, RuleIssue
from revops.model.schema import RevenueModel


def hint(word: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def check_expression(model: RevenueModel, text: str, table: str, path: Path, *,
                     expect_boolean: bool = True, extra_fields: dict[str, str] | None = None) -> list[RuleIssue]:
    """Issues with one expression over ``table``: it does not parse, names unknown fields,
    is not a test, or compares a stage / category field with a value the model lacks.
    ``extra_fields`` (name -> type): fields an engine derives for this use beyond the table's."""
    from revops.errors import ExpressionError
    from revops.model.expressions import parse

    try:
        expression = parse(text)
    except ExpressionError as exc:
        reason = str(exc).splitlines()[0].removeprefix("cannot parse the expression: ")
        where = f" at character {exc.position + 1}" if exc.position is not None else ""
        return [RuleIssue(path, f"cannot parse {text!r}{where}: {reason}")]
    fields = {**(extra_fields or {}), **_expression_fields(model, table)}
    found = []
    for issue in expression.check(fields, expect_boolean=expect_boolean):
        severity = "warning" if str(getattr(issue, "severity", "error")).lower().endswith("warning") else "error"
        extra = declare_hint(issue.message, table) if issue.message.startswith("unknown field") else ""
        found.append(RuleIssue(path, f"in {text!r}: {issue.message}{extra}", severity))
    if not found:
        found.extend(_vocabulary_values(model, expression, table, path))
    return found


def declare_hint(message: str, table: str) -> str:
    """After a message about an unknown field (not a time word such as now): where a field of
    one's own goes."""
    if message.endswith("()?"):
        return ""
    where = f"declare it under custom_fields.{table}"
    return f" Or, if it is a field of your CRM, {where}." if message.endswith("?") else \
        f"; if it is a field of your CRM, {where}"


def _expression_fields(model: RevenueModel, table: str) -> dict[str, str]:
    if table == "leads":
        return model_fields.lead_fields({g.key: g for g in model.scoring.groups}, model)
    return model_fields.table_fields(table, model)


def _vocabulary_values(model: RevenueModel, expression: Any, table: str, path: Path) -> Iterator[RuleIssue]:
    """`stage = 'closed won'` never matches: stored values are keys (closed_won)."""
    from revops.model.expressions import nodes as n
    from revops.store.schema import table as store_table

    vocab_of = {f.name: f.vocabulary for f in store_table(table).fields if f.vocabulary}
    if not vocab_of:
        return
    spellings = model.vocabularies()
    for node in n.walk(expression.tree):
        pairs: list[tuple[str, Any]] = []
        if isinstance(node, n.Comparison) and node.op in ("=", "!="):
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(a, n.FieldRef) and isinstance(b, n.Literal):
                    pairs.append((a.name, b.value))
        elif isinstance(node, n.InList) and isinstance(node.operand, n.FieldRef):
            pairs.extend((node.operand.name, i.value) for i in node.items if isinstance(i, n.Literal))
        for field, value in pairs:
            vocab = vocab_of.get(field)
            if vocab is None or not isinstance(value, str):
                continue
            keys = set(spellings[vocab].values())
            if value in keys:
                continue
            key = spellings[vocab].get(value.strip().lower())
            if key is not None:
                yield RuleIssue(path, f"in {expression.text!r}: {field} holds keys; write {key!r}, "
                                f"not {value!r}")
            else:
                yield RuleIssue(path, f"in {expression.text!r}: {value!r} is not a {vocab.replace('_', ' ')}"
                                f" ({', '.join(sorted(keys))})" + hint(value, keys))


def duplicates(items: list[Any], attr: str, base: Path, what: str) -> Iterator[RuleIssue]:
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        key = getattr(item, attr)
        if key in first:
            yield RuleIssue((*base, i, attr), f"duplicate {what} {key!r}", first=(*base, first[key], attr))
        else:
            first[key] = i
