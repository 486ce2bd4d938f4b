"""Rules on the definitions themselves: company, lifecycle, pipeline, forecast categories, SLAs."""

from __future__ import annotations

import re

from collections.abc import Iterator

from revops.model.events import resolve_event
from revops.model.fields import DERIVED_FIELDS, custom_field_types
from revops.model.issues import RuleIssue
from revops.model.rules.common import check_expression, declare_hint, duplicates, hint
from revops.model.schema import RevenueModel
from revops.model.sections.forecast import FORECAST_KEYS
from revops.model.sections.lifecycle import LIFECYCLE_KEYS


# -- company ---------------------------------------------------------------------------------
def company_timezone(model: RevenueModel) -> Iterator[RuleIssue]:
    import zoneinfo

    tz = model.company.timezone
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        yield RuleIssue(("company", "timezone"),
                        f"unknown time zone {tz!r}; use an IANA name such as 'America/New_York'"
                        + hint(tz, zoneinfo.available_timezones()))


def company_business_hours(model: RevenueModel) -> Iterator[RuleIssue]:
    hours = model.company.business_hours
    if hours.end_time <= hours.start_time:
        yield RuleIssue(("company", "business_hours", "end"),
                        f"business hours end {hours.end} is not after start {hours.start}")
    seen: set = set()
    for i, day in enumerate(model.company.holidays):
        if day in seen:
            yield RuleIssue(("company", "holidays", i), f"holiday {day} is listed twice", "warning")
        seen.add(day)


# -- custom fields ---------------------------------------------------------------------------
def custom_fields(model: RevenueModel) -> Iterator[RuleIssue]:
    """Declared per canonical table, each name new to its table: not a canonical field, not a
    field the engines derive (nor a lead's ``<group>_score``), not declared twice."""
    from revops.store.schema import TABLES

    for table, declared in model.custom_fields.items():
        base = ("custom_fields", table)
        if table not in TABLES:
            yield RuleIssue(base, f"unknown table {table!r}; custom fields are declared under a canonical "
                            f"table: {', '.join(TABLES)}" + hint(table, TABLES))
            continue
        yield from duplicates(declared, "name", base, f"custom field of {table}")
        canonical = {f.name: f for f in TABLES[table].fields}
        derived = dict(DERIVED_FIELDS.get(table, {}))
        if table == "leads":
            derived.update({f"{g.key}_score": ("number", f"points of the scoring group {g.key!r}")
                            for g in model.scoring.groups})
        for i, f in enumerate(declared):
            path = (*base, i, "name")
            if f.name in canonical:
                yield RuleIssue(path, f"{f.name!r} is already a canonical field of {table} "
                                f"({canonical[f.name].type}); use it as it is, or give your field another name")
            elif f.name in derived:
                what = derived[f.name][1].rstrip(".")
                yield RuleIssue(path, f"{f.name!r} is a field revops derives for {table} ({what[:1].lower()}"
                                f"{what[1:]}); give your field another name")


# -- lifecycle -------------------------------------------------------------------------------
def lifecycle_stages(model: RevenueModel) -> Iterator[RuleIssue]:
    stages = model.lifecycle.stages
    yield from duplicates(stages, "key", ("lifecycle", "stages"), "lifecycle stage key")
    keys = {s.key for s in stages}
    for missing in (k for k in LIFECYCLE_KEYS if k not in keys):
        yield RuleIssue(("lifecycle", "stages"), f"lifecycle stage {missing!r} is missing; every model "
                        f"has {', '.join(LIFECYCLE_KEYS)}")
    for i, s in enumerate(stages):
        if s.key == "recycled" and s.recycle_after_days is None:
            yield RuleIssue(("lifecycle", "stages", i), "recycled needs recycle_after_days: the days "
                            "without progress after which a lead goes back to nurture")
        if s.key != "recycled" and s.recycle_after_days is not None:
            yield RuleIssue(("lifecycle", "stages", i, "recycle_after_days"),
                            "recycle_after_days applies only to the recycled stage")


def lifecycle_criteria(model: RevenueModel) -> Iterator[RuleIssue]:
    for i, s in enumerate(model.lifecycle.stages):
        path = ("lifecycle", "stages", i, "entry_criteria")
        if not s.entry_criteria.strip():
            if s.key != "new":
                yield RuleIssue(path, f"lifecycle stage {s.key!r} has no entry criteria", "warning")
            continue
        yield from check_expression(model, s.entry_criteria, "leads", path)


def mql_matches_threshold(model: RevenueModel) -> Iterator[RuleIssue]:
    for i, s in enumerate(model.lifecycle.stages):
        if s.key != "mql" or "score" not in s.entry_criteria:
            continue
        threshold = f"{model.scoring.mql_threshold:g}"
        if not re.search(rf"(?<![\d.]){re.escape(threshold)}(?![\d.])", s.entry_criteria):
            yield RuleIssue(("lifecycle", "stages", i, "entry_criteria"),
                            f"the MQL criteria {s.entry_criteria!r} do not mention scoring.mql_threshold "
                            f"({threshold}); keep the two in step", "warning")


# -- pipeline --------------------------------------------------------------------------------
def pipeline_stage_keys(model: RevenueModel) -> Iterator[RuleIssue]:
    yield from duplicates(model.pipeline.stages, "key", ("pipeline", "stages"), "pipeline stage key")
    if not model.pipeline.stages:
        yield RuleIssue(("pipeline", "stages"), "the pipeline has no stages")


def pipeline_closed_stages(model: RevenueModel) -> Iterator[RuleIssue]:
    stages = model.pipeline.stages
    base = ("pipeline", "stages")
    seen_closed = None
    for i, s in enumerate(stages):
        if s.is_won and not s.is_closed:
            yield RuleIssue((*base, i, "is_won"), f"stage {s.key!r} is won but not closed; set is_closed: true")
        if s.is_closed:
            seen_closed = seen_closed if seen_closed is not None else i
            if s.is_won and s.probability != 1:
                yield RuleIssue((*base, i, "probability"), f"won stage {s.key!r} must have probability 1 (100%)")
            if not s.is_won and s.probability != 0:
                yield RuleIssue((*base, i, "probability"), f"lost stage {s.key!r} must have probability 0")
        else:
            if s.probability in (0, 1):
                yield RuleIssue((*base, i, "probability"),
                                f"open stage {s.key!r} has probability {s.probability:.0%}; only closed "
                                "stages may be 0% or 100%")
            if seen_closed is not None:
                yield RuleIssue((*base, i), f"open stage {s.key!r} comes after closed stage "
                                f"{stages[seen_closed].key!r}; list closed stages last")
    if stages and not any(s.is_closed and s.is_won for s in stages):
        yield RuleIssue(base, "the pipeline has no won stage (is_closed: true, is_won: true)")
    if stages and not any(s.is_closed and not s.is_won for s in stages):
        yield RuleIssue(base, "the pipeline has no lost stage (is_closed: true, is_won: false)")


def pipeline_probabilities_increase(model: RevenueModel) -> Iterator[RuleIssue]:
    previous = None
    for i, s in enumerate(model.pipeline.stages):
        if s.is_closed:
            continue
        if previous is not None and s.probability <= previous.probability:
            yield RuleIssue(("pipeline", "stages", i, "probability"),
                            f"probability {s.probability:g} of {s.key!r} is not above {previous.probability:g} "
                            f"of {previous.key!r}; open stage probabilities must increase in pipeline order")
        previous = s


def pipeline_required_fields(model: RevenueModel) -> Iterator[RuleIssue]:
    from revops.store.schema import table

    names = [*table("opportunities").field_names, *custom_field_types(model, "opportunities")]
    for i, s in enumerate(model.pipeline.stages):
        for j, name in enumerate(s.required_fields):
            if name not in names:
                message = f"required field {name!r} is not an opportunity field" + hint(name, names)
                yield RuleIssue(("pipeline", "stages", i, "required_fields", j),
                                message + declare_hint(message, "opportunities"))


GATE_OUTCOMES = ("missing_required_fields", "failed_gates")
"""Derived fields that report on the gates themselves: a gate cannot read them."""


def pipeline_gates(model: RevenueModel) -> Iterator[RuleIssue]:
    from revops.model.expressions import parse

    for i, s in enumerate(model.pipeline.stages):
        for j, gate in enumerate(s.gate):
            path = ("pipeline", "stages", i, "gate", j)
            found = check_expression(model, gate, "opportunities", path)
            yield from found
            named = [] if found else [f for f in GATE_OUTCOMES if f in parse(gate).fields]
            if named:
                yield RuleIssue(path, f"in {gate!r}: a gate cannot read {' or '.join(named)}, which report on "
                                "the gates themselves; name the fields or conditions instead")


def forecast_categories(model: RevenueModel) -> Iterator[RuleIssue]:
    cats = model.forecast_categories
    yield from duplicates(cats, "key", ("forecast_categories",), "forecast category key")
    keys = [c.key for c in cats]
    for missing in (k for k in FORECAST_KEYS if k not in keys):
        yield RuleIssue(("forecast_categories",), f"forecast category {missing!r} is missing; every model "
                        f"has {', '.join(FORECAST_KEYS)}")
    for i, s in enumerate(model.pipeline.stages):
        if s.forecast_category not in keys:
            yield RuleIssue(("pipeline", "stages", i, "forecast_category"),
                            f"forecast category {s.forecast_category!r} is not defined in forecast_categories"
                            + hint(s.forecast_category, keys))


def vocabulary_spellings(model: RevenueModel) -> Iterator[RuleIssue]:
    """A label must not read as another value's key or label (ingest could not tell them apart)."""
    groups = (
        (("pipeline", "stages"), model.pipeline.stages),
        (("lifecycle", "stages"), model.lifecycle.stages),
        (("forecast_categories",), model.forecast_categories),
    )
    for base, items in groups:
        owner: dict[str, str] = {}
        for item in items:
            owner.setdefault(item.key, item.key)
        for i, item in enumerate(items):
            for text in {item.label.strip().lower(), item.label.strip().lower().replace(" ", "_")}:
                if owner.setdefault(text, item.key) != item.key:
                    yield RuleIssue((*base, i, "label"), f"label {item.label!r} of {item.key!r} also names "
                                    f"{owner[text]!r}; data spelled this way would be ambiguous")


# -- SLAs ------------------------------------------------------------------------------------
def sla_events(model: RevenueModel) -> Iterator[RuleIssue]:
    yield from duplicates(model.slas, "key", ("slas",), "SLA key")
    for i, sla in enumerate(model.slas):
        tables = {}
        for end in ("start", "stop"):
            try:
                tables[end] = resolve_event(getattr(sla, end)).table
            except ValueError as exc:
                yield RuleIssue(("slas", i, end), str(exc))
        if len(tables) == 2 and tables["start"] != tables["stop"]:
            yield RuleIssue(("slas", i, "stop"), f"stop event {sla.stop!r} is on {tables['stop']} but start "
                            f"event {sla.start!r} is on {tables['start']}; both must be on the same record")
        if sla.filter.strip() and "start" in tables:
            yield from check_expression(model, sla.filter, tables["start"], ("slas", i, "filter"))
        if sla.reminder_before is not None and sla.reminder_before >= sla.duration:
            yield RuleIssue(("slas", i, "reminder_before"), f"reminder_before {sla.reminder_before:g} is not "
                            f"shorter than the SLA ({sla.duration:g} {sla.unit})")
        if sla.fallback and sla.fallback.action == "reassign_to_queue" and not sla.fallback.queue:
            yield RuleIssue(("slas", i, "fallback"), "reassign_to_queue needs a queue")
