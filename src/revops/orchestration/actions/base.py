"""What every action shares: the run it belongs to, the effect it writes, how it fails, texts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from revops.errors import RevopsError
from revops.model.sections.workflows import Workflow


class ActionError(RevopsError):
    """A step that could not be done. ``retryable``: trying again later may help (a timeout, a
    5xx); otherwise the step goes straight to the dead-letter queue with this message."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class RunInfo:
    run_id: str
    workflow: Workflow
    subject_table: str
    subject_id: str
    triggered_at: datetime
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Effect:
    """What a local step writes, in the transaction that marks it done."""

    result: dict[str, Any]
    inserts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Rows to insert, by table."""
    statements: list[tuple[str, list[Any]]] = field(default_factory=list)
    """UPDATE statements with their parameters."""
    audits: list[tuple[Any, ...]] = field(default_factory=list)
    """``_audit_log`` rows (the record before and after)."""
    decisions: list[Any] = field(default_factory=list)
    """Routing decisions to store in ``_routing_decisions``."""

    def insert(self, table: str, row: dict[str, Any]) -> None:
        self.inserts.setdefault(table, []).append(row)


_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def template_fields(text: str) -> list[str]:
    return _FIELD.findall(text)


def render(text: str, scope: dict[str, Any]) -> str:
    """``{field}`` replaced by the record's value (empty when null); other text as written."""
    return _FIELD.sub(lambda m: _show(scope.get(m.group(1))), text)


def _show(value: Any) -> str:
    if value is None or value != value:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
