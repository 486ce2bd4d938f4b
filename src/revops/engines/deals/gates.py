"""Stage gates: what a deal must hold to be in a pipeline stage.

Each stage of ``pipeline.stages`` requires its ``required_fields`` to be filled (not null, not
blank text) and every expression of its ``gate`` to be true. The requirements are read two
ways, from this one module, so the two can never disagree:

- per record, before a move (``StageRequirements.check``): `revops deal move` and
  ``POST /v1/opportunities/{id}/stage`` refuse a move into a stage whose requirements the deal
  would not meet;
- for every deal at once, vectorised (``missing_required_column``, ``failed_gates_column``):
  hygiene flags deals that sit in a stage without its requirements. Imported data is never
  refused for a gate; it shows up there instead.

A move forward that jumps over open stages *skips* them (``skipped_stages``): allowed, and
flagged in the move's answer and by the ``stage_skipped`` hygiene rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from revops.model.expressions import Expression, parse
from revops.model.expressions.functions import TRIM_CHARACTERS

MISSING_SEPARATOR = ", "
GATE_SEPARATOR = "; "


@dataclass(frozen=True)
class GateCheck:
    """What a deal lacks to be in ``stage``: empty required fields and gate expressions that
    do not hold (as written in revops.yaml)."""

    stage: str
    missing: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.missing and not self.failed


def is_filled(value: Any) -> bool:
    """A required field is filled when it is not null and, for text, not blank."""
    if value is None:
        return False
    if isinstance(value, float) and value != value:  # NaN from a frame
        return False
    return not (isinstance(value, str) and not value.strip(TRIM_CHARACTERS))


@dataclass(frozen=True)
class StageRequirements:
    stage: str
    required_fields: tuple[str, ...]
    gates: tuple[Expression, ...]

    @classmethod
    def of(cls, stage: Any) -> StageRequirements:
        return cls(stage.key, tuple(stage.required_fields),
                   tuple(parse(text.strip()) for text in stage.gate if text.strip()))

    @property
    def fields(self) -> frozenset[str]:
        """Every field the requirements read."""
        return frozenset(self.required_fields).union(*(g.fields for g in self.gates))

    def check(self, record: Mapping[str, Any], now: datetime) -> GateCheck:
        """The deal ``record`` (its fields and the derived fields its gates read) against the
        stage. A gate that is null (an empty field) does not hold."""
        missing = tuple(f for f in self.required_fields if not is_filled(record.get(f)))
        failed = tuple(g.text.strip() for g in self.gates if not g.matches(record, now))
        return GateCheck(self.stage, missing, failed)


def requirements(model: Any) -> dict[str, StageRequirements]:
    """Every pipeline stage's requirements, by stage key."""
    return {s.key: StageRequirements.of(s) for s in model.pipeline.stages}


def gate_fields(model: Any) -> frozenset[str]:
    """Every field the gates of the model read (canonical and derived)."""
    return frozenset().union(*(g.fields for r in requirements(model).values() for g in r.gates))


def skipped_stages(model: Any, from_stage: str | None, to_stage: str) -> list[str]:
    """Open stages a move from ``from_stage`` to ``to_stage`` jumps over. Only a move forward
    from an open stage into an open or won stage skips: a deal may be lost from any stage, and
    reopening a closed deal or moving back skips nothing."""
    stages = model.pipeline.stages
    index = {s.key: i for i, s in enumerate(stages)}
    if from_stage not in index or to_stage not in index:
        return []
    source, target = stages[index[from_stage]], stages[index[to_stage]]
    if source.is_closed or (target.is_closed and not target.is_won):
        return []
    return [s.key for s in stages[index[from_stage] + 1:index[to_stage]] if not s.is_closed]


# -- every deal at once ---------------------------------------------------------------------
def filled_column(value: ir.Value) -> ir.BooleanValue:
    """``is_filled`` over a column."""
    if value.type().is_string():
        return value.notnull() & (value.strip() != "")
    return value.notnull()


def missing_required_column(table: ir.Table, model: Any) -> ir.StringValue:
    """Per deal, the required fields of its stage that are empty, in the stage's order,
    comma-separated; null when none are."""
    branches = []
    for s in model.pipeline.stages:
        if not s.required_fields:
            continue
        parts = [ibis.ifelse(filled_column(table[f]), ibis.null("string"), ibis.literal(f))
                 for f in s.required_fields]
        branches.append((s.key, ibis.literal(MISSING_SEPARATOR).join(parts).nullif("")))
    if not branches:
        return ibis.null("string")
    return table.stage.cases(*branches, else_=ibis.null("string"))


def failed_gates_column(table: ir.Table, model: Any, now: datetime) -> ir.StringValue:
    """Per deal, the gate expressions of its stage that do not hold, '; '-separated; null when
    all hold. ``table`` carries every field the gates read."""
    branches = []
    for req in requirements(model).values():
        if not req.gates:
            continue
        parts = [ibis.ifelse(g.to_ibis(table, now).fill_null(False), ibis.null("string"),
                             ibis.literal(g.text.strip())) for g in req.gates]
        branches.append((req.stage, ibis.literal(GATE_SEPARATOR).join(parts).nullif("")))
    if not branches:
        return ibis.null("string")
    return table.stage.cases(*branches, else_=ibis.null("string"))
