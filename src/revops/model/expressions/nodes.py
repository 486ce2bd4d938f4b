"""The typed syntax tree of the expression language, independent of sqlglot.

Every node carries ``position``: the character offset in the expression text where
it starts (``None`` when unknown), so issues can point at the right place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal as Kind

ComparisonOp = Kind["=", "!=", "<", "<=", ">", ">="]
ArithmeticOp = Kind["+", "-", "*", "/"]


@dataclass(frozen=True, slots=True)
class Node:
    position: int | None = field(default=None, kw_only=True, compare=False)


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A constant: int, float, str, bool, date, datetime or None (null)."""

    value: Any


@dataclass(frozen=True, slots=True)
class FieldRef(Node):
    """A record field. ``quoted`` is true when written in double quotes."""

    name: str
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Logical(Node):
    op: Kind["and", "or"]
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Comparison(Node):
    op: ComparisonOp
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Arithmetic(Node):
    op: ArithmeticOp
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class InList(Node):
    operand: Node
    items: tuple[Node, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull(Node):
    operand: Node
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Between(Node):
    operand: Node
    low: Node
    high: Node
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Like(Node):
    operand: Node
    pattern: Node
    case_insensitive: bool = False
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A call of a function of the catalogue (``functions.FUNCTIONS``); name is lower case."""

    name: str
    args: tuple[Node, ...]


BOOLEAN_NODES = (Not, Logical, Comparison, InList, IsNull, Between, Like)


def children(node: Node) -> tuple[Node, ...]:
    match node:
        case Not(operand=o) | Negate(operand=o) | IsNull(operand=o):
            return (o,)
        case Logical(left=a, right=b) | Comparison(left=a, right=b) | Arithmetic(left=a, right=b):
            return (a, b)
        case InList(operand=o, items=items):
            return (o, *items)
        case Between(operand=o, low=lo, high=hi):
            return (o, lo, hi)
        case Like(operand=o, pattern=p):
            return (o, p)
        case Call(args=args):
            return args
    return ()


def with_children(node: Node, new: tuple[Node, ...] | list[Node]) -> Node:
    """A copy of the node with its children (in ``children`` order) replaced."""
    match node:
        case Not() | Negate() | IsNull():
            return replace(node, operand=new[0])
        case Logical() | Comparison() | Arithmetic():
            return replace(node, left=new[0], right=new[1])
        case InList():
            return replace(node, operand=new[0], items=tuple(new[1:]))
        case Between():
            return replace(node, operand=new[0], low=new[1], high=new[2])
        case Like():
            return replace(node, operand=new[0], pattern=new[1])
        case Call():
            return replace(node, args=tuple(new))
    return node


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def is_constant(node: Node) -> bool:
    """True when the value does not depend on the record (it may depend on ``now``)."""
    return not any(isinstance(n, FieldRef) for n in walk(node))


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def precedence(node: Node) -> int:
    match node:
        case Logical(op=op) | Arithmetic(op=op):
            return _PRECEDENCE[op]
        case Not():
            return _PRECEDENCE["not"]
        case Negate():
            return _PRECEDENCE["neg"]
        case Comparison() | InList() | IsNull() | Between() | Like():
            return _PRECEDENCE["compare"]
    return 9


def render(node: Node) -> str:
    """The node written back in the expression language (used in messages)."""

    def sub(child: Node, strict: bool = False) -> str:
        text = render(child)
        weaker = precedence(child) < precedence(node) or (strict and precedence(child) == precedence(node))
        return f"({text})" if weaker else text

    match node:
        case Literal(value=v):
            return render_value(v)
        case FieldRef(name=name, quoted=quoted):
            return f'"{name}"' if quoted else name
        case Not(operand=o):
            return f"not ({render(o)})" if precedence(o) < 9 else f"not {render(o)}"
        case Negate(operand=o):
            return f"-{sub(o)}"
        case Logical(op=op, left=a, right=b) | Arithmetic(op=op, left=a, right=b):
            return f"{sub(a)} {op} {sub(b, strict=op in ('-', '/'))}"
        case Comparison(op=op, left=a, right=b):
            return f"{sub(a, True)} {op} {sub(b, True)}"
        case InList(operand=o, items=items, negated=neg):
            return f"{sub(o, True)} {'not in' if neg else 'in'} ({', '.join(render(i) for i in items)})"
        case IsNull(operand=o, negated=neg):
            return f"{sub(o, True)} is {'not null' if neg else 'null'}"
        case Between(operand=o, low=lo, high=hi, negated=neg):
            return f"{sub(o, True)} {'not between' if neg else 'between'} {sub(lo, True)} and {sub(hi, True)}"
        case Like(operand=o, pattern=p, case_insensitive=ci, negated=neg):
            word = ("not " if neg else "") + ("ilike" if ci else "like")
            return f"{sub(o, True)} {word} {sub(p, True)}"
        case Call(name=name, args=args):
            return f"{name}({', '.join(render(a) for a in args)})"
    raise TypeError(f"not an expression node: {node!r}")


def render_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        return f"timestamp('{value.isoformat(sep=' ')}')"
    if isinstance(value, date):
        return f"date('{value.isoformat()}')"
    return repr(value)
