"""Rules of the `workflows` section: expressions over the fields a run reads, the channels,
routing nodes, stages and environment variables steps name, cron schedules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from revops.errors import ExpressionError
from revops.model import fields as model_fields
from revops.model.issues import Path, RuleIssue
from revops.model.rules.alerts import _env
from revops.model.rules.common import duplicates, hint
from revops.model.schema import RevenueModel
from revops.store import schema as store_schema

RUN_FIELDS: dict[str, str] = {"signal_count": "integer", "event_type": "string", "event_at": "timestamp"}
"""What a run reads besides its record: signals counted, the event (or change) type and time."""
OWNER_WORDS = ("route", "owner", "manager", "account_owner")
SCORE_FIELDS = ("score", "fit_score", "intent_score", "engagement_score", "predicted_conversion")


def stored_fields(model: RevenueModel, table: str) -> dict[str, str]:
    """Fields a run's record holds: the table's stored columns and declared custom fields
    (not the fields engines derive, such as is_open: a run reads the record as stored)."""
    fields = {f.name: f.type for f in store_schema.table(table).fields}
    for name, ftype in model_fields.custom_field_types(model, table).items():
        fields.setdefault(name, ftype)
    return fields


def workflow_definitions(model: RevenueModel) -> Iterator[RuleIssue]:
    yield from duplicates(model.workflows, "key", ("workflows",), "workflow key")
    for i, w in enumerate(model.workflows):
        base: Path = ("workflows", i)
        table = w.trigger.table
        fields = {**stored_fields(model, table), **RUN_FIELDS}
        yield from _trigger(model, w, (*base, "trigger"))
        if w.when.strip():
            yield from _expression(w.when, fields, (*base, "when"), table)
        yield from _steps(model, w.steps, (*base, "steps"), table, fields)


def _trigger(model: RevenueModel, w: Any, path: Path) -> Iterator[RuleIssue]:
    kind, spec = w.trigger.kind, w.trigger.spec
    path = (*path, kind)
    if kind in ("event", "signals"):
        if spec.where.strip():  # an event's properties are whatever the sender sends: parse only
            yield from _expression(spec.where, None, (*path, "where"), "events")
    elif kind == "record":
        fields = stored_fields(model, spec.table)
        for j, name in enumerate(spec.fields):
            if name not in fields:
                yield RuleIssue((*path, "fields", j), f"{spec.table} has no field {name!r}" + hint(name, fields))
        if spec.where.strip():
            yield from _expression(spec.where, fields, (*path, "where"), spec.table)
    elif kind == "score":
        if spec.score not in SCORE_FIELDS:
            yield RuleIssue((*path, "score"), f"{spec.score!r} is not a lead score; use one of "
                            f"{', '.join(SCORE_FIELDS)}" + hint(spec.score, SCORE_FIELDS))
    elif kind == "schedule":
        from croniter import croniter

        five = len(spec.cron.split()) == 5 or spec.cron.strip().startswith("@")  # croniter also takes seconds
        if not five or not croniter.is_valid(spec.cron):
            yield RuleIssue((*path, "cron"), f"{spec.cron!r} is not a cron schedule: write five fields, minute "
                            "hour day-of-month month day-of-week (\"0 9 * * 1\": Mondays at 9:00)")
        if spec.where.strip():
            yield from _expression(spec.where, stored_fields(model, spec.table), (*path, "where"), spec.table)


def _steps(model: RevenueModel, steps: list[Any], path: Path, table: str, fields: dict[str, str]) -> Iterator[RuleIssue]:
    nodes = {n.key for n in model.routing.nodes}
    for j, step in enumerate(steps):
        kind, spec = step.kind, step.spec
        here: Path = (*path, j, kind)
        if kind == "if":
            yield from _expression(spec, fields, here, table)
            if not step.then and not step.else_:
                yield RuleIssue(here, "this `if` has neither `then` nor `else`: it decides nothing", "warning")
            yield from _steps(model, step.then, (*path, j, "then"), table, fields)
            yield from _steps(model, step.else_, (*path, j, "else"), table, fields)
            continue
        if kind == "wait":
            from revops.model.sections.workflows import duration_seconds

            if duration_seconds(spec) <= 0:
                yield RuleIssue(here, f"wait {spec}: a wait is longer than 0 (30m, 2h, 3d)")
        for attr in ("subject", "body", "name", "text"):
            text = getattr(spec, attr, None)
            if kind == "create_opportunity" and attr == "name":
                from revops.orchestration.actions.local import opportunity_name

                text = opportunity_name(text, table)
            if isinstance(text, str):
                yield from _template(text, fields, (*here, attr), table)
        owner = getattr(spec, "owner", None)
        if isinstance(owner, str):
            yield from _owner(owner, fields, nodes, (*here, "owner"), table)
        if kind == "assign" and table == "contacts":
            yield RuleIssue(here, "contacts have no owner: assign the contact's account (a workflow on accounts)")
        elif kind == "update_field":
            own = stored_fields(model, table)
            if spec.field not in own:
                yield RuleIssue((*here, "field"), f"{table} has no field {spec.field!r}" + hint(spec.field, own))
            elif spec.field == store_schema.table(table).key:
                yield RuleIssue((*here, "field"), f"{spec.field} is the record's id: a workflow cannot change it")
            else:
                yield from _value_fits(spec.value, fields, own[spec.field], spec.field, (*here, "value"))
            yield from _expression(spec.value, fields, (*here, "value"), table, boolean=False)
            yield from _vocabulary(model, table, spec.field, spec.value, (*here, "value"))
        elif kind == "create_opportunity":
            if spec.stage is not None and spec.stage not in {s.key for s in model.open_stages}:
                stages = [s.key for s in model.open_stages]
                yield RuleIssue((*here, "stage"), f"no open pipeline stage {spec.stage!r}" + hint(spec.stage, stages))
            if spec.amount.strip():
                yield from _expression(spec.amount, fields, (*here, "amount"), table, boolean=False)
        elif kind == "notify":
            for k, name in enumerate(spec.slack):
                if name not in model.alerts.slack:
                    yield RuleIssue((*here, "slack", k), f"no Slack channel {name!r} under alerts.slack"
                                    + hint(name, model.alerts.slack) + "; declare it there with its webhook_env")
            if (spec.email or spec.to_owner) and model.alerts.email is None:
                yield RuleIssue(here, "this step sends e-mail but alerts.email names no SMTP server")
            if not spec.slack and not spec.email and not spec.to_owner:
                yield RuleIssue(here, "this step notifies nobody: give slack, email or to_owner: true")
        elif kind == "webhook":
            yield from _env(spec.url_env, (*here, "url_env"), "the webhook URL")
            if spec.secret_env:
                yield from _env(spec.secret_env, (*here, "secret_env"), "the signing key")
        elif kind == "crm_update":
            for name, text in spec.fields.items():
                yield from _expression(text, fields, (*here, "fields", name), table, boolean=False)


_KINDS = {"integer": "number", "number": "number", "boolean": "boolean", "date": "time", "timestamp": "time"}


def _value_fits(text: str, fields: dict[str, str], field_type: str, name: str, path: Path) -> Iterator[RuleIssue]:
    """A number, true/false or time field takes a value of its kind (a text only for a time:
    '2026-01-01'); the store would refuse anything else at every try of the step."""
    from revops.model.expressions import parse

    try:
        given = parse(text).result_type(fields)
    except ExpressionError:
        return  # reported by _expression
    wanted = _KINDS.get(field_type)
    if given is None or wanted is None or _KINDS.get(given) == wanted or (wanted == "time" and given == "string"):
        return
    yield RuleIssue(path, f"{text!r} gives a value of type {given}, but {name} is of type {field_type}")


VOCABULARY_FIELDS = {("leads", "status"): "lifecycle_stage", ("opportunities", "stage"): "pipeline_stage",
                     ("opportunities", "forecast_category"): "forecast_category"}


def _vocabulary(model: RevenueModel, table: str, field: str, text: str, path: Path) -> Iterator[RuleIssue]:
    """A written value for a field whose values the model defines (a lead's lifecycle stage, a
    deal's stage or forecast category) must be one of them, as a key."""
    from revops.model.expressions import nodes as n
    from revops.model.expressions import parse

    vocabulary = VOCABULARY_FIELDS.get((table, field))
    if vocabulary is None:
        return
    try:
        tree = parse(text).tree
    except ExpressionError:
        return
    if isinstance(tree, n.Literal) and isinstance(tree.value, str):
        keys = sorted(set(model.vocabularies()[vocabulary].values()))
        if tree.value not in keys:
            words = vocabulary.replace("_", " ")
            yield RuleIssue(path, f"{tree.value!r} is not a {words} of the model: write one of its keys "
                            f"({', '.join(keys)})" + hint(tree.value, keys))


def _owner(spec: str, fields: dict[str, str], nodes: set[str], path: Path, table: str) -> Iterator[RuleIssue]:
    text = spec.strip()
    if text in OWNER_WORDS:
        return
    if text.startswith("route:"):
        node = text.split(":", 1)[1].strip()
        if node not in nodes:
            yield RuleIssue(path, f"no routing node {node!r}" + hint(node, nodes))
        return
    yield from _expression(text, fields, path, table, boolean=False,
                           note=f" (or one of {', '.join(OWNER_WORDS)}, route:NODE)")


def _template(text: str, fields: dict[str, str], path: Path, table: str) -> Iterator[RuleIssue]:
    from revops.orchestration.actions.base import template_fields

    if text.count("{") != text.count("}"):
        yield RuleIssue(path, f"{text!r}: a '{{' or '}}' is not closed; write a field as {{name}}")
    for name in template_fields(text):
        if name not in fields:
            yield RuleIssue(path, f"{{{name}}}: {table} has no field {name!r}" + hint(name, fields)
                            + f"; a text may name the record's fields and {', '.join(RUN_FIELDS)}")


def _expression(text: str, fields: dict[str, str] | None, path: Path, table: str, *, boolean: bool = True,
                note: str = "") -> Iterator[RuleIssue]:
    from revops.model.expressions import parse

    try:
        expression = parse(text)
    except ExpressionError as exc:
        yield RuleIssue(path, f"cannot parse {text!r}: {str(exc).splitlines()[0]}{note}")
        return
    if fields is None:
        return
    for issue in expression.check(fields, expect_boolean=boolean):
        severity = "warning" if str(getattr(issue, "severity", "error")).lower().endswith("warning") else "error"
        extra = f" (a run reads {table} as stored, with {', '.join(RUN_FIELDS)})" \
            if issue.message.startswith("unknown field") else ""
        yield RuleIssue(path, f"in {text!r}: {issue.message}{extra}{note}", severity)
