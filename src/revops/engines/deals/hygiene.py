"""Pipeline hygiene: the model's ``hygiene.rules`` run over every deal at once.

    report = check_hygiene(store.ibis, model, HygieneRequest())
    report.findings   # [{"opportunity_id", "owner_id", "rule", "severity", "detail", "stage", "amount"}, ...]
    report.rules      # per rule: checked or why not, deals flagged, deals it could not judge

A rule flags a record when its ``when`` expression is true (null is not true), in the rule's
``stages`` if it names some. Rules over opportunities read the deal facts (``facts.py``):
the deal's fields and the derived ones, computed in one query over the store. A rule that
reads history (days in stage, pushes, skips) or activities the store does not have is *not
checked*, with the reason, rather than run on nulls; a deal whose own history is too short to
judge is counted as ``unknown`` for the rule. Rules over other tables read that table's fields
(and ``days_ago`` for activities and touches). A custom field the model declares is a field of
its table even before the store has its column: it reads as empty, and the rule's note says so.

``as_of``: today() and every age count from it, and history and activities after it are not
seen; given explicitly, each deal's stage, amount, close date, forecast category and owner are
taken from its history as of then (its other fields are as they are now).
"""

from __future__ import annotations

import difflib
import operator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import reduce
from typing import Any

import pyarrow as pa

from revops.engines.deals.facts import (
    ACTIVITY_FIELDS, DERIVED, HISTORY_FIELDS, MICROS_PER_DAY, Availability, FactsRequest, availability,
    custom_field_notes, deal_facts, with_custom_fields,
)
from revops.engines.deals.gates import filled_column, gate_fields
from revops.errors import DealError
from revops.model.expressions import Expression, parse
from revops.model.expressions import nodes as n
from revops.model.expressions.ibis_compiler import literal
from revops.model.fields import custom_field_types
from revops.store import schema
from revops.store.store import utcnow

SEVERITIES: tuple[str, ...] = ("critical", "warning", "info")
"""Most severe first."""
FINDING_COLUMNS: tuple[str, ...] = ("opportunity_id", "owner_id", "rule", "severity", "detail", "stage", "amount")
EVENT_TABLES = ("activities", "touches")
UNKNOWABLE = (HISTORY_FIELDS | ACTIVITY_FIELDS) - {"skipped_stages"}
"""Derived fields that are null when the store cannot tell (skipped_stages is null when none was skipped)."""


@dataclass(frozen=True)
class HygieneRequest:
    as_of: datetime | None = None
    """Naive UTC; None: now, with every deal as it is."""
    rules: tuple[str, ...] = ()
    """Rule keys to run (empty: every rule)."""
    owners: tuple[str, ...] = ()
    """Only deals owned by these users (empty: every deal)."""
    severities: tuple[str, ...] = ()
    """Only rules of these severities (empty: all)."""


@dataclass(frozen=True)
class RuleStatus:
    key: str
    label: str
    severity: str
    table: str
    checked: bool
    flagged: int = 0
    """Records the rule flags."""
    unknown: int = 0
    """Open deals in the rule's stages it could not judge: a derived field it reads is unknown for them."""
    note: str | None = None

    def row(self) -> dict[str, Any]:
        return {"rule": self.key, "label": self.label, "severity": self.severity, "table": self.table,
                "checked": self.checked, "flagged": self.flagged, "unknown": self.unknown, "note": self.note}


@dataclass
class HygieneReport:
    as_of: datetime
    findings: list[dict[str, Any]]
    rules: list[RuleStatus]
    deals: pa.Table
    """Every deal checked: opportunity_id, owner_id, stage, amount, is_open, and ``filled:<field>``
    for each field some stage requires."""
    required_fields: tuple[str, ...] = ()
    available: Availability | None = None
    at_risk_rules: tuple[str, ...] = field(default_factory=tuple)


def select_rules(model: Any, request: HygieneRequest) -> list[Any]:
    """The rules the request asks for; unknown keys or severities are a DealError."""
    rules = list(model.hygiene.rules)
    keys = [r.key for r in rules]
    for key in request.rules:
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise DealError(f"no hygiene rule {key!r} in the model{hint}; its rules: {', '.join(keys) or 'none'} "
                            "(hygiene.rules in revops.yaml)")
    for severity in request.severities:
        if severity not in SEVERITIES:
            raise DealError(f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}")
    return [r for r in rules if (not request.rules or r.key in request.rules)
            and (not request.severities or r.severity in request.severities)]


def fields_in_order(expression: Expression) -> list[str]:
    """The fields an expression reads, in the order it names them."""
    return list(dict.fromkeys(node.name for node in n.walk(expression.tree) if isinstance(node, n.FieldRef)))


def check_hygiene(con: Any, model: Any, request: HygieneRequest | None = None) -> HygieneReport:
    """Run the rules ``request`` asks for over the store behind the Ibis backend ``con``."""
    request = request or HygieneRequest()
    as_of = request.as_of or utcnow()
    rules = select_rules(model, request)
    available = availability(con)
    statuses: dict[str, RuleStatus] = {}
    deal_rules: list[tuple[Any, Expression, list[str]]] = []
    other_rules: list[tuple[Any, Expression, list[str]]] = []
    for rule in rules:
        expression = parse(rule.when)
        fields = fields_in_order(expression)
        if rule.table != "opportunities":
            other_rules.append((rule, expression, fields))
        elif (reason := available.missing_for(fields)) is not None:
            statuses[rule.key] = RuleStatus(rule.key, rule.label or rule.key, rule.severity, rule.table, False,
                                            note=f"not checked: {reason}")
        else:
            deal_rules.append((rule, expression, fields))
    required = tuple(dict.fromkeys(f for s in model.pipeline.stages for f in s.required_fields))
    custom = custom_field_notes(con, model, "opportunities")
    wanted = frozenset(f for _, _, fields in deal_rules for f in fields if f in DERIVED)
    facts = deal_facts(con, model, FactsRequest(as_of, wanted, reconstruct=request.as_of is not None), available)
    if request.owners:
        facts = facts.filter(facts.owner_id.isin(list(request.owners)))
    columns: dict[str, Any] = {c: facts[c] for c in ("opportunity_id", "owner_id", "stage", "amount", "is_open")}
    for f in required:
        columns[f"filled:{f}"] = filled_column(facts[f])
    shown: list[str] = []
    not_kept = fields_not_kept(con, model)
    decided_since = facts._decided_since if "_decided_since" in facts.columns else None
    for i, (rule, expression, fields) in enumerate(deal_rules):
        flag = expression.to_ibis(facts, as_of).fill_null(False)
        scope = facts.stage.isin(rule.stages).fill_null(False) if rule.stages else None
        judged = [f for f in fields if f in UNKNOWABLE]
        unknown = facts.is_open & reduce(operator.or_, [facts[f].isnull() for f in judged]) if judged else None
        if decided_since is not None and fields_read(model, fields) & not_kept:
            # today's next step or lost reason of a deal decided since is not what it was then
            flag = flag & ~decided_since
            unknown = decided_since if unknown is None else unknown | decided_since
        columns[f"flag:{i}"] = flag & scope if scope is not None else flag
        if unknown is not None:
            columns[f"unknown:{i}"] = unknown & scope if scope is not None else unknown
        shown.extend(f for f in fields if f not in shown)
    for f in shown:
        columns.setdefault(f"value:{f}", facts[f])
    data = facts.select(**columns).to_pyarrow()
    findings: list[dict[str, Any]] = []
    for i, (rule, expression, fields) in enumerate(deal_rules):
        rows = data.filter(data[f"flag:{i}"]).select(
            ["opportunity_id", "owner_id", "stage", "amount", *[f"value:{f}" for f in fields]]).to_pylist()
        for row in rows:
            findings.append({"opportunity_id": row["opportunity_id"], "owner_id": row["owner_id"], "rule": rule.key,
                             "severity": rule.severity, "detail": describe(rule, fields, row, as_of),
                             "stage": row["stage"], "amount": row["amount"]})
        unknown = sum(data[f"unknown:{i}"].to_pylist()) if f"unknown:{i}" in data.column_names else 0
        past = sorted(fields_read(model, fields) & not_kept) if decided_since is not None else []
        notes = [_unknown_note(unknown, [f for f in fields if f in UNKNOWABLE], past)] if unknown else []
        notes += [custom[f] for f in fields if f in custom]
        notes += [f"{f} is empty on every deal: is it in your CRM export (or its mapping)?" for f in fields
                  if f not in DERIVED and f not in custom and f not in past and data.num_rows
                  and data[f"value:{f}"].null_count == data.num_rows]
        note = "; ".join(notes) or None
        statuses[rule.key] = RuleStatus(rule.key, rule.label or rule.key, rule.severity, rule.table, True,
                                        len(rows), unknown, note)
    for rule, expression, fields in other_rules:
        found, statuses[rule.key] = _other_table(con, model, rule, expression, fields, as_of, request.owners)
        findings.extend(found)
    order = {r.key: i for i, r in enumerate(model.hygiene.rules)}
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (rank[f["severity"]], f["owner_id"] is None, f["owner_id"] or "",
                                 f["opportunity_id"] is None, f["opportunity_id"] or "", order[f["rule"]]))
    deals = data.select(["opportunity_id", "owner_id", "stage", "amount", "is_open",
                         *[f"filled:{f}" for f in required]])
    return HygieneReport(as_of, findings, [statuses[r.key] for r in rules], deals, required, available,
                         tuple(r.key for r in rules if r.at_risk))


FIXED_FIELDS = frozenset({"opportunity_id", "account_id", "name", "type", "product", "source", "created_at",
                          "lead_id", "campaign_id"})
"""Fields of a deal set when it is created: today's value is the value on any day it existed."""


def fields_not_kept(con: Any, model: Any) -> frozenset[str]:
    """Deal fields opportunity_history does not keep and that are not fixed at creation
    (next_step, contact_id, lost_reason, custom fields): only today's value is known. As of a
    past day it is read for the deals still as they were (open then and open now); for a deal
    decided since, today's value describes its close (an emptied next step, a lost reason)."""
    kept = set(schema.table("opportunities").history_fields) | FIXED_FIELDS
    columns = set(con.table("opportunities").columns) | set(custom_field_types(model, "opportunities"))
    return frozenset(c for c in columns if c not in kept and c not in DERIVED)


def fields_read(model: Any, fields: list[str]) -> set[str]:
    """The deal fields a rule reads: its own, and for the stage requirements the fields they read."""
    out = set(fields)
    if out & {"missing_required_fields", "failed_gates"}:
        out |= {f for st in model.pipeline.stages for f in st.required_fields} | set(gate_fields(model))
    return out


_WHY_UNKNOWN = {
    "days_in_stage": "the deal entered its stage before its history starts",
    "median_days_in_stage": "no deal has left the stage yet",
    "close_date_pushes": "the deal has no history",
    "days_since_last_activity": "no activity and no created_at",
}


def _unknown_note(count: int, fields: list[str], past: list[str] | None = None) -> str:
    why = [f"{f} unknown when {_WHY_UNKNOWN[f]}" for f in fields if f in _WHY_UNKNOWN]
    if past:
        why.append(f"{', '.join(past)} not kept in opportunity_history: unknown then for a deal decided since")
    return f"{count:,} open deal{'s' * (count != 1)} not judged ({'; '.join(why)})"


# -- details --------------------------------------------------------------------------------
def describe(rule: Any, fields: list[str], row: dict[str, Any], as_of: datetime) -> str:
    """``Label: what the deal holds that made the rule fire`` (boolean fields left out)."""
    parts = []
    for f in fields:
        phrase = _phrase(f, row.get(f"value:{f}"), row, as_of)
        if phrase:
            parts.append(phrase)
    if rule.stages:
        parts.append(f"in {row.get('stage')}")
    label = rule.label or rule.key
    return f"{label}: {'; '.join(parts)}" if parts else label


_DERIVED_PHRASES = {
    "days_since_last_activity": lambda v, row: f"last activity {v:.0f} days ago",
    "days_in_stage": lambda v, row: f"{v:.0f} days in {row.get('stage')}",
    "median_days_in_stage": lambda v, row: f"median {v:.0f} days",
    "close_date_pushes": lambda v, row: f"close date pushed {v} time{'s' * (v != 1)}",
    "skipped_stages": lambda v, row: f"skipped {v}",
    "missing_required_fields": lambda v, row: f"missing {v}",
    "failed_gates": lambda v, row: f"gate fails: {v}",
    "age_days": lambda v, row: f"{v:.0f} days old",
    "days_to_close": lambda v, row: f"{v:.0f} days to close",
    "days_ago": lambda v, row: f"{v:.0f} days ago",
    "stage_order": lambda v, row: f"stage {row.get('stage')}",
}


def _phrase(name: str, value: Any, row: dict[str, Any], as_of: datetime) -> str | None:
    if isinstance(value, bool) or name in ("is_open", "is_won"):
        return None
    if name in _DERIVED_PHRASES:
        return None if value is None else _DERIVED_PHRASES[name](value, row)
    words = name.replace("_", " ")
    if value is None:
        return f"{words} is empty"
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date) and not isinstance(value, datetime):
        days = (value - as_of.date()).days
        count = f"{abs(days)} day{'s' * (abs(days) != 1)}"
        when = "today" if days == 0 else f"{count} ago" if days < 0 else f"in {count}"
        return f"{words} {value.isoformat()} ({when})"
    if isinstance(value, datetime):
        return f"{words} {value:%Y-%m-%d %H:%M}"
    if isinstance(value, float):
        return f"{words} {value:,.2f}".rstrip("0").rstrip(".")
    return f"{words} {value}"


# -- rules over other tables ----------------------------------------------------------------
def _other_table(con: Any, model: Any, rule: Any, expression: Expression, fields: list[str], as_of: datetime,
                 owners: tuple[str, ...]) -> tuple[list[dict[str, Any]], RuleStatus]:
    label = rule.label or rule.key
    spec = schema.table(rule.table)
    t = with_custom_fields(con.table(rule.table), model, rule.table)
    if rule.table in EVENT_TABLES:
        t = t.mutate(days_ago=literal(as_of).delta(t.occurred_at, unit="microsecond") / MICROS_PER_DAY)
    lacking = [f for f in fields if f not in t.columns]
    if lacking:
        return [], RuleStatus(rule.key, label, rule.severity, rule.table, False,
                              note=f"not checked: hygiene does not compute {', '.join(lacking)} for {rule.table}")
    cond = expression.to_ibis(t, as_of).fill_null(False)
    if rule.stages and "stage" in t.columns:
        cond = cond & t.stage.isin(rule.stages).fill_null(False)
    if owners and "owner_id" in t.columns:
        cond = cond & t.owner_id.isin(list(owners))
    picked = {"record_id": t[spec.key].cast("string")}
    for c in ("opportunity_id", "owner_id", "stage", "amount"):
        if c in t.columns:
            picked[c] = t[c]
    picked.update({f"value:{f}": t[f] for f in fields})
    rows = t.filter(cond).select(**picked).to_pyarrow().to_pylist()
    custom = custom_field_notes(con, model, rule.table)
    note = "; ".join(custom[f] for f in fields if f in custom) or None
    found = [{"opportunity_id": r.get("opportunity_id"), "owner_id": r.get("owner_id"), "rule": rule.key,
              "severity": rule.severity,
              "detail": f"{rule.table} {r['record_id']}: " + describe(rule, fields, r, as_of),
              "stage": r.get("stage"), "amount": r.get("amount")} for r in rows]
    return found, RuleStatus(rule.key, label, rule.severity, rule.table, True, len(found), note=note)
