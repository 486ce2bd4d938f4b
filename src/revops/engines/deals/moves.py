"""Moving a deal into a pipeline stage, through the stage's gate.

    result = move_deal(store, model, StageMove("opp_42", "negotiation", {"next_step": "Send MSA"}))
    result.to_dict()   # {"opportunity_id": "opp_42", "stage": "negotiation", "skipped_stages": [], ...}

A move, in one transaction:

1. the deal and the stage must exist (``MoveRefused`` unknown_opportunity, 404 / unknown_stage,
   422); the values given with it are typed as ingest types a file (``field_values``: 422);
2. the deal as it would be after the move must meet the stage's requirements (``gates``): its
   required fields filled, its gate expressions true. If not, the move is refused (stage_gate,
   409) with what is missing and what fails, and **nothing changes**;
3. the deal is updated (stage, the values given, ``updated_at``; its forecast category and
   probability follow the stage unless the rep set their own; a deal moved from an open stage
   into a closed one closes that day, its close date set to the company's date of the move
   unless the move sets one (``--set close_date=``); a custom field the model declares
   gets its column, of its declared type, the first time a move sets it), and a row is appended to
   opportunity_history when a tracked field changed (stage, amount, close date, forecast
   category, owner), with ``changed_by`` and ``source``;
4. stages jumped over on the way forward are named in the result (``skipped_stages``); the
   ``stage_skipped`` hygiene rule flags the deal too;
5. a deal entering a won stage gets its Sales-to-CS handoff record (``revops.engines.handoffs``)
   in the same transaction.

``move_deal`` takes the store's lock (the one the API's writer holds) and its own transaction;
``apply_move`` runs inside a transaction the caller holds (the API's group commit).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from revops.engines.deals.gates import requirements, skipped_stages
from revops.errors import DealError
from revops.ingest.custom_fields import ensure_columns, stored_types
from revops.model.fields import custom_field_types
from revops.store import schema
from revops.store.store import quote, utcnow

TRACKED = schema.table("opportunities").history_fields
FOLLOWS_STAGE = ("forecast_category", "probability")
"""Fields that follow the stage's default on a move unless the rep set their own value."""


class MoveRefused(DealError):
    """A move refused, with what a caller needs: ``kind``, an HTTP-style ``status`` and ``body``.

    kinds: ``stage_gate`` (409: the deal does not meet the stage's requirements),
    ``unknown_opportunity`` (404), ``unknown_stage`` and ``invalid_value`` (422),
    ``conflict`` (409: the deal changed while the move was checked; retry)."""

    def __init__(self, kind: str, detail: str, *, status: int, missing: tuple[str, ...] = (),
                 failed: tuple[str, ...] = (), errors: list[tuple[str, str, str]] | None = None) -> None:
        super().__init__(detail)
        self.kind, self.detail, self.status = kind, detail, status
        self.missing, self.failed = tuple(missing), tuple(failed)
        self.errors = errors or []

    def body(self) -> dict[str, Any]:
        """The JSON answer, the same from the CLI and the API."""
        if self.kind == "stage_gate":
            return {"error": "stage_gate", "missing": list(self.missing), "failed": list(self.failed)}
        return {"error": self.kind, "detail": self.detail,
                "errors": [{"field": f, "message": m, "type": t} for f, m, t in self.errors]}


@dataclass(frozen=True)
class StageMove:
    opportunity_id: str
    stage: str
    """The target stage's key (or its label, in any case)."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """Fields to set with the move: text (``--set``) or JSON values; empty clears a field."""
    changed_by: str | None = None
    source: str = "revops deal move"


@dataclass(frozen=True)
class MoveResult:
    opportunity_id: str
    stage: str
    from_stage: str | None
    skipped_stages: tuple[str, ...]
    changed_fields: tuple[str, ...]
    history_id: str | None
    """The opportunity_history row appended; None when no tracked field changed."""
    changed_at: datetime
    owner_before: str | None = None
    owner_after: str | None = None
    open_before: bool = False
    open_after: bool = False
    notes: tuple[str, ...] = ()
    """What the user should know beyond the answer (stored values of a declared custom field
    quarantined when its column took the declared type); not part of the JSON answer."""

    def to_dict(self) -> dict[str, Any]:
        return {"opportunity_id": self.opportunity_id, "stage": self.stage, "from_stage": self.from_stage,
                "skipped_stages": list(self.skipped_stages), "changed_fields": list(self.changed_fields),
                "history_id": self.history_id, "changed_at": self.changed_at}


def move_deal(store: Any, model: Any, move: StageMove, now: datetime | None = None) -> MoveResult:
    """Check and apply ``move`` in its own transaction, holding the store's writer lock."""
    import duckdb

    from revops.engines.routing.audit import store_lock

    with store_lock(store):
        try:
            with store.transaction():
                return apply_move(store.con, model, move, now or utcnow())
        except duckdb.TransactionException as exc:
            raise MoveRefused("conflict", f"{move.opportunity_id} changed while it was being moved ({exc}); "
                              "nothing was changed: retry", status=409) from None


def apply_move(con: Any, model: Any, move: StageMove, now: datetime) -> MoveResult:
    """Check ``move`` and write it on ``con``, inside the caller's transaction. Every check comes
    before the first write, so a refusal leaves nothing behind."""
    from revops.engines.deals.field_values import typed_values

    target = _target_stage(model, move.stage)
    declared = custom_field_types(model, "opportunities")
    before = _deal(con, move.opportunity_id, declared)
    values = typed_values(con, model, move.values)
    after = {**before, **values, "stage": target.key}
    source = _stage_or_none(model, before.get("stage"))
    for name in FOLLOWS_STAGE:
        if name not in values and name in before and _follows(before.get(name), source, target, name):
            after[name] = getattr(target, name)
    if target.is_closed and "close_date" not in values and not (source is not None and source.is_closed):
        after["close_date"] = closing_day(model, now)  # a deal closes the day it is closed
    skipped = tuple(skipped_stages(model, before.get("stage"), target.key))
    gate = requirements(model)[target.key]
    record = _gate_record(con, model, gate.fields, before, after, target, skipped, now)
    check = gate.check(record, now)
    if not check.passed:
        parts = ([f"missing {', '.join(check.missing)}"] if check.missing else []) + (
            [f"failed {'; '.join(check.failed)}"] if check.failed else [])
        raise MoveRefused("stage_gate", f"{move.opportunity_id} cannot enter {target.key}: {'; '.join(parts)}. "
                          "Nothing was changed.", status=409, missing=check.missing, failed=check.failed)
    changed = [k for k in after if k != "updated_at" and _differs(before.get(k), after[k])]
    changed.sort(key=lambda k: (k != "stage", k not in TRACKED))
    history_id = None
    notes: list[str] = []
    if changed:
        # a declared custom field set for the first time gets its column now, of its declared type
        columns = ensure_columns(con, "opportunities", {k: declared[k] for k in changed if k in declared},
                                 source=move.source, now=now)
        notes = [c.note for c in columns if c.note]
        _update(con, move.opportunity_id, before.get("stage"), {k: after[k] for k in changed}, now)
        tracked = [k for k in changed if k in TRACKED]
        if tracked:
            history_id = f"move:{uuid.uuid4().hex}"
            con.execute(
                "INSERT INTO opportunity_history (history_id, opportunity_id, changed_at, stage, amount, "
                "close_date, forecast_category, owner_id, changed_fields, changed_by, source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [history_id, move.opportunity_id, now, after.get("stage"), after.get("amount"),
                 after.get("close_date"), after.get("forecast_category"), after.get("owner_id"),
                 ",".join(tracked), move.changed_by, move.source])
        if target.is_closed and target.is_won:  # the Sales-to-CS handoff (revops.engines.handoffs)
            from revops.engines.handoffs.sales_to_cs import deal_won

            deal_won(con, model, move.opportunity_id, not (source is not None and source.is_closed and source.is_won),
                     now, move.source)
    return MoveResult(move.opportunity_id, target.key, before.get("stage"), skipped, tuple(changed), history_id,
                      now, owner_before=before.get("owner_id"), owner_after=after.get("owner_id"),
                      open_before=source is not None and source.is_open, open_after=target.is_open,
                      notes=tuple(notes))


# -- parts ------------------------------------------------------------------------------------
def closing_day(model: Any, now: datetime) -> date:
    """The company's calendar day at ``now`` (naive UTC): the close date of a deal closed then."""
    from zoneinfo import ZoneInfo

    return now.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(model.company.timezone)).date()


def _target_stage(model: Any, text: str) -> Any:
    from revops.ingest.validate import vocab_key

    stages = {s.key: s for s in model.pipeline.stages}
    key = vocab_key(str(text), model.vocabularies()["pipeline_stage"]) if str(text).strip() else None
    if key is None:
        import difflib

        close = difflib.get_close_matches(str(text).strip().lower(), list(stages), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        message = f"{text!r} is not a pipeline stage; {hint}stages: {', '.join(stages)}"
        raise MoveRefused("unknown_stage", message, status=422, errors=[("stage", message, "pipeline_stage")])
    return stages[key]


def _stage_or_none(model: Any, key: str | None) -> Any:
    return next((s for s in model.pipeline.stages if s.key == key), None)


def _deal(con: Any, opportunity_id: str, declared: dict[str, str]) -> dict[str, Any]:
    """The deal's columns; the ``declared`` custom fields (name -> type) as their declared type,
    empty when the store has no column for one yet."""
    stored = stored_types(con, "opportunities")
    recast = {n: t for n, t in declared.items() if n in stored and stored[n] != t}
    replace = (" REPLACE (" + ", ".join(f"TRY_CAST({quote(n)} AS {schema.SQL_TYPES[t]}) AS {quote(n)}"
                                        for n, t in recast.items()) + ")") if recast else ""
    cur = con.execute(f"SELECT *{replace} FROM opportunities WHERE opportunity_id = ? LIMIT 1", [opportunity_id])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        raise MoveRefused("unknown_opportunity", f"no opportunity {opportunity_id!r} in the store; check the id "
                          "(revops ingest opportunities loads deals)", status=404)
    deal = dict(zip(names, rows[0]))
    for name in declared:
        deal.setdefault(name, None)
    return deal


def _follows(current: Any, source: Any, target: Any, name: str) -> bool:
    """A forecast category or probability follows the stage when the deal has none (category),
    when it is the old stage's default (the rep did not set one), or when the deal closes."""
    if current is None:
        return name == "forecast_category"
    if target.is_closed:
        return True
    default = getattr(source, name) if source is not None else None
    if isinstance(current, float) and isinstance(default, (int, float)):
        return abs(current - default) < 1e-9
    return current == default


def _differs(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) > 1e-9
    return a != b


def _update(con: Any, opportunity_id: str, stage_before: str | None, changes: dict[str, Any], now: datetime) -> None:
    """Update the deal if it is still in the stage it was read in (compare-and-set)."""
    sets = ", ".join(f"{quote(k)} = ?" for k in changes)
    row = con.execute(
        f"UPDATE opportunities SET {sets}, updated_at = ? WHERE opportunity_id = ? "
        "AND stage IS NOT DISTINCT FROM ?", [*changes.values(), now, opportunity_id, stage_before]).fetchall()
    if not row or not row[0][0]:
        raise MoveRefused("conflict", f"{opportunity_id} left {stage_before} while it was being moved; nothing was "
                          "changed: retry", status=409)


def _gate_record(con: Any, model: Any, fields: frozenset[str], before: dict[str, Any], after: dict[str, Any],
                 target: Any, skipped: tuple[str, ...], now: datetime) -> dict[str, Any]:
    """The deal as it would be after the move, with the derived fields the gate reads."""
    record = dict(after)
    order = {s.key: i for i, s in enumerate(model.pipeline.stages, 1)}
    record.update(is_open=target.is_open, is_won=target.is_closed and target.is_won,
                  stage_order=order[target.key], skipped_stages=", ".join(skipped) or None,
                  age_days=_days_between(now, record.get("created_at")),
                  days_to_close=_days_to(record.get("close_date"), now))
    entering = before.get("stage") != target.key
    if entering:
        record["days_in_stage"] = 0.0
    history_based = {"median_days_in_stage", "close_date_pushes", "days_since_last_activity"}
    if not entering:
        history_based.add("days_in_stage")
    if fields & history_based:
        record.update(_derived_now(con, model, before["opportunity_id"], fields & history_based, target.key, now))
        old_close, new_close = before.get("close_date"), after.get("close_date")
        if "close_date_pushes" in fields and old_close is not None and new_close is not None \
                and new_close > old_close:
            record["close_date_pushes"] = (record.get("close_date_pushes") or 0) + 1
    return record


def _derived_now(con: Any, model: Any, opportunity_id: str, fields: set[str], stage: str, now: datetime) -> dict[str, Any]:
    import ibis

    from revops.engines.deals.facts import FactsRequest, availability, deal_facts, stage_medians

    # Ibis on a cursor of its own: from_connection changes settings of the connection it is given
    # (replacement scans off), and the API's writer relies on them. The cursor reads what is
    # committed, which is what the deal's history and activities are.
    cursor = con.cursor()
    try:
        backend = ibis.duckdb.from_connection(cursor)
        available = availability(backend)
        out: dict[str, Any] = {}
        if "median_days_in_stage" in fields:
            out["median_days_in_stage"] = stage_medians(backend, now).get(stage) if available.history else None
        rest = fields - {"median_days_in_stage"}
        if rest:
            facts = deal_facts(backend, model, FactsRequest(now, frozenset(rest), opportunity_ids=(opportunity_id,)),
                               available).to_pyarrow().to_pylist()
            if facts:
                out.update({k: facts[0].get(k) for k in rest})
        return out
    finally:
        cursor.close()


def _days_between(now: datetime, then: Any) -> float | None:
    if then is None:
        return None
    if not isinstance(then, datetime):
        then = datetime(then.year, then.month, then.day)
    return (now - then).total_seconds() / 86400


def _days_to(close: Any, now: datetime) -> float | None:
    if close is None:
        return None
    day = close.date() if isinstance(close, datetime) else close
    return float((day - now.date()).days) if isinstance(day, date) else None
