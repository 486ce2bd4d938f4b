"""Rules of the `handoffs` section: signal expressions, the SLAs and fields they name."""

from __future__ import annotations

from collections.abc import Iterator

from revops.model.events import resolve_event
from revops.model.issues import Path, RuleIssue
from revops.model.rules.common import check_expression, duplicates, hint
from revops.model.schema import RevenueModel
from revops.model.sections.handoffs import EXPANSION_FIELDS


def handoff_definitions(model: RevenueModel) -> Iterator[RuleIssue]:
    expansion, to_cs = model.handoffs.expansion, model.handoffs.sales_to_cs
    base = ("handoffs", "expansion")
    yield from duplicates(expansion.signals, "key", (*base, "signals"), "expansion signal key")
    extra = {name: ftype for name, (ftype, _) in EXPANSION_FIELDS.items()}
    yield from _sla(model, expansion.sla, (*base, "sla"), "opportunities")
    for i, signal in enumerate(expansion.signals):
        path = (*base, "signals", i)
        yield from check_expression(model, signal.when, "accounts", (*path, "when"), extra_fields=extra)
        if signal.sla is not None:
            yield from _sla(model, signal.sla, (*path, "sla"), "opportunities")
        elif expansion.sla is None:
            yield RuleIssue((*path, "sla"), f"signal {signal.key!r} names no SLA and handoffs.expansion has no "
                            "sla: the owner would be held to nothing", "warning")
    base = ("handoffs", "sales_to_cs")
    if to_cs.deals.strip():
        yield from check_expression(model, to_cs.deals, "opportunities", (*base, "deals"))
    seen: dict[str, int] = {}
    for i, name in enumerate(to_cs.required_fields):
        if name in seen:
            yield RuleIssue((*base, "required_fields", i), f"{name!r} is listed twice",
                            first=(*base, "required_fields", seen[name]))
        seen.setdefault(name, i)
    if to_cs.kickoff_sla is not None:
        found = list(_sla(model, to_cs.kickoff_sla, (*base, "kickoff_sla"), "opportunities"))
        yield from found
        sla = next((s for s in model.slas if s.key == to_cs.kickoff_sla), None)
        if not found and sla is not None and sla.start.strip() != "opportunity.closed_won":
            yield RuleIssue((*base, "kickoff_sla"), f"SLA {sla.key!r} starts at {sla.start!r}; the kickoff "
                            "SLA must start at opportunity.closed_won, when the handoff is made")


def _sla(model: RevenueModel, key: str | None, path: Path, table: str) -> Iterator[RuleIssue]:
    if key is None:
        return
    keys = [s.key for s in model.slas]
    if key not in keys:
        yield RuleIssue(path, f"no SLA {key!r} under slas" + hint(key, keys) + f"; SLAs: {', '.join(keys)}")
        return
    sla = model.sla(key)
    try:
        start_table = resolve_event(sla.start).table
    except ValueError:
        return  # sla_events reports it
    if start_table != table:
        yield RuleIssue(path, f"SLA {key!r} starts on {start_table} ({sla.start!r}); a handoff SLA must run on "
                        f"{table}, the records handoffs create")
