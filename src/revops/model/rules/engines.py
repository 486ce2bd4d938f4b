"""Rules on what the engines run: scoring, routing, hygiene, health, targets, custom metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from revops.model import fields as model_fields
from revops.model.issues import Path, RuleIssue
from revops.model.rules.common import check_expression, duplicates, hint
from revops.model.schema import RevenueModel
from revops.model.sections.metrics import RESERVED_METRIC_NAMES
from revops.model.sections.routing import node_targets
from revops.model.sections.scoring import SCORING_TABLES


# -- scoring ---------------------------------------------------------------------------------
def scoring_rules(model: RevenueModel) -> Iterator[RuleIssue]:
    sc = model.scoring
    yield from duplicates(sc.groups, "key", ("scoring", "groups"), "scoring group key")
    for g, group in enumerate(sc.groups):
        yield from duplicates(group.rules, "key", ("scoring", "groups", g, "rules"), "scoring rule key")
        for r, rule in enumerate(group.rules):
            path = ("scoring", "groups", g, "rules", r)
            if rule.table not in SCORING_TABLES:
                yield RuleIssue((*path, "table"), f"scoring rules read {', '.join(SCORING_TABLES)}, not "
                                f"{rule.table!r}" + hint(rule.table, SCORING_TABLES))
                continue
            if rule.decay_half_life_days is not None and rule.table == "leads":
                yield RuleIssue((*path, "decay_half_life_days"), "decay applies to event rules (table: "
                                "touches or activities); a rule on leads does not age", "warning")
            yield from check_expression(model, rule.when, rule.table, (*path, "when"))


def scoring_reachable(model: RevenueModel) -> Iterator[RuleIssue]:
    sc = model.scoring
    if not sc.groups:
        return
    best = 0.0
    for group in sc.groups:
        positive = sum(r.points for r in group.rules if r.points > 0)
        has_events = any(r.table != "leads" for r in group.rules)
        if group.cap is not None:
            best += group.cap if has_events else min(group.cap, positive)
        elif has_events:
            return  # uncapped event points: any total is reachable
        else:
            best += positive
    if best < sc.mql_threshold:
        yield RuleIssue(("scoring", "mql_threshold"), f"no lead can reach the MQL threshold "
                        f"{sc.mql_threshold:g}: the most points the groups can give is {best:g}")


def score_bands(model: RevenueModel) -> Iterator[RuleIssue]:
    yield from _bands(model.scoring.bands, ("scoring", "bands"), None, None)


def _bands(bands: list[Any], base: Path, low: float | None, high: float | None) -> Iterator[RuleIssue]:
    yield from duplicates(bands, "key", base, "band key")
    for i, b in enumerate(bands):
        if b.min > b.max:
            yield RuleIssue((*base, i, "min"), f"band {b.key!r} starts at {b.min:g}, above its end {b.max:g}")
    ordered = sorted(enumerate(bands), key=lambda ib: ib[1].min)
    for (_, a), (j, b) in zip(ordered, ordered[1:]):
        if b.min <= a.max:
            yield RuleIssue((*base, j, "min"), f"band {b.key!r} ({b.min:g}-{b.max:g}) overlaps "
                            f"{a.key!r} ({a.min:g}-{a.max:g})")
        elif b.min - a.max > 1:
            yield RuleIssue((*base, j, "min"), f"scores between {a.max:g} and {b.min:g} fall in no band")
    if ordered and low is not None and ordered[0][1].min != low:
        yield RuleIssue((*base, ordered[0][0], "min"), f"the lowest band must start at {low:g}")
    if ordered and high is not None and ordered[-1][1].max != high:
        yield RuleIssue((*base, ordered[-1][0], "max"), f"the highest band must end at {high:g}")


# -- routing ---------------------------------------------------------------------------------
ASSIGNING_NODES = ("territory", "account_match", "round_robin", "least_loaded")
TERRITORY_MATCH = ("country", "region", "industry")


def routing_graph(model: RevenueModel) -> Iterator[RuleIssue]:
    nodes = model.routing.nodes
    yield from duplicates(nodes, "key", ("routing", "nodes"), "routing node key")
    index = {n.key: i for i, n in reversed(list(enumerate(nodes)))}
    starts = [i for i, n in enumerate(nodes) if n.type == "start"]
    if not starts:
        yield RuleIssue(("routing", "nodes"), "routing has no start node (type: start)")
    for i in starts[1:]:
        yield RuleIssue(("routing", "nodes", i, "type"), "routing has more than one start node",
                        first=("routing", "nodes", starts[0], "type"))
    for i, n in enumerate(nodes):
        if n.type == "condition" and n.else_ is None:
            yield RuleIssue(("routing", "nodes", i), f"condition {n.key!r} has no else: every question needs "
                            "a branch for leads that do not match (e.g. else: nurture)")
        if n.type == "assign" and not (n.user_id or n.team):
            yield RuleIssue(("routing", "nodes", i), f"assign node {n.key!r} needs user_id or team")
        if n.type in ASSIGNING_NODES and n.else_ is None:
            yield RuleIssue(("routing", "nodes", i), f"{n.type} {n.key!r} has no else: a lead it cannot "
                            "place (no match, nobody available or with capacity) needs a declared "
                            "default (e.g. else: triage)")
        if n.type == "assign" and n.else_ is None:
            yield RuleIssue(("routing", "nodes", i), f"assign {n.key!r} has no else: when "
                            f"{n.user_id or 'nobody on ' + str(n.team)} cannot take a lead it stays "
                            "unassigned (e.g. else: triage)", "warning")
        for attr, target in node_targets(n):
            if target not in index:
                yield RuleIssue(("routing", "nodes", i, attr), f"{attr} of {n.key!r} goes to {target!r}, "
                                "which is not a routing node" + hint(target, index))
    # cycles and reachability
    edges = {n.key: [t for _, t in node_targets(n) if t in index] for n in nodes}
    state: dict[str, int] = {}

    def visit(key: str, trail: list[str]) -> Iterator[RuleIssue]:
        state[key] = 1
        for target in edges.get(key, []):
            if state.get(target) == 1:
                stack = trail + [key]
                loop = stack[stack.index(target):] + [target]
                yield RuleIssue(("routing", "nodes", index[key]), "routing loops: " + " -> ".join(loop))
            elif target not in state:
                yield from visit(target, trail + [key])
        state[key] = 2

    for i in starts[:1]:
        yield from visit(nodes[i].key, [])
    for n in nodes:
        if n.key not in state:
            yield from visit(n.key, [])
    if starts:
        reached, todo = set(), [nodes[starts[0]].key]
        while todo:
            k = todo.pop()
            if k not in reached:
                reached.add(k)
                todo.extend(edges.get(k, []))
        for i, n in enumerate(nodes):
            if n.key not in reached:
                yield RuleIssue(("routing", "nodes", i), f"routing node {n.key!r} is never reached from the "
                                "start node", "warning")


def routing_expressions(model: RevenueModel) -> Iterator[RuleIssue]:
    lead = model_fields.lead_fields({g.key: g for g in model.scoring.groups}, model)
    for i, n in enumerate(model.routing.nodes):
        path = ("routing", "nodes", i)
        if n.type == "condition":
            yield from check_expression(model, n.when, "leads", (*path, "when"))
        if n.type in ("round_robin", "least_loaded"):
            yield from check_expression(model, n.pool, "users", (*path, "pool"))
        if n.type == "territory":
            if n.pool:
                yield from check_expression(model, n.pool, "users", (*path, "pool"))
            for j, name in enumerate(n.match_on):
                if name not in lead:
                    yield RuleIssue((*path, "match_on", j), f"{name!r} is not a lead field" + hint(name, lead))
                elif name not in TERRITORY_MATCH:
                    yield RuleIssue((*path, "match_on", j), f"territories match on {', '.join(TERRITORY_MATCH)}"
                                    f", not {name!r}")
        if n.type == "round_robin" and n.cap_per_day and n.cap_per_week and n.cap_per_week < n.cap_per_day:
            yield RuleIssue((*path, "cap_per_week"), f"cap_per_week {n.cap_per_week} is below cap_per_day "
                            f"{n.cap_per_day}: the daily cap can never be reached", "warning")
        if n.type == "round_robin":
            for who, weight in n.weights.items():
                if weight < 0:
                    yield RuleIssue((*path, "weights", who), f"weight of {who!r} is negative")


def routing_policies(model: RevenueModel) -> Iterator[RuleIssue]:
    fb = model.routing.fallback
    if fb is not None and (fb.after is None or fb.unit is None):
        yield RuleIssue(("routing", "fallback"), "routing fallback needs after and unit "
                        "(e.g. after: 4, unit: business_hours)")
    if fb is not None and fb.action == "reassign_to_queue" and not fb.queue:
        yield RuleIssue(("routing", "fallback"), "reassign_to_queue needs a queue")
    if fb is not None and fb.reminder_before is not None and fb.after is not None and fb.reminder_before >= fb.after:
        yield RuleIssue(("routing", "fallback", "reminder_before"), f"reminder_before {fb.reminder_before:g} "
                        f"is not before the fallback (after {fb.after:g}): the reminder would come too late")
    ov = model.routing.overflow
    if ov is not None and ov.action == "send_to_queue" and not ov.queue:
        yield RuleIssue(("routing", "overflow"), "send_to_queue needs a queue")
    yield from _routing_regions(model)


def _routing_regions(model: RevenueModel) -> Iterator[RuleIssue]:
    """Each country in one region, written as an ISO 3166 alpha-2 code."""
    regions = model.routing.regions
    seen: dict[str, str] = {}
    for region, countries in regions.items():
        for j, code in enumerate(countries):
            path = ("routing", "regions", region, j)
            if not (isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha()
                    and code.isupper()):
                yield RuleIssue(path, f"{code!r} is not an ISO 3166 country code; write two capital "
                                "letters such as 'US' or 'DE' (leads.country holds these codes)")
            elif code in seen:
                yield RuleIssue(path, f"{code} is in region {seen[code]!r} and in {region!r}; a country "
                                "belongs to one region")
            else:
                seen[code] = region
    uses_region = [n.key for n in model.routing.nodes
                   if getattr(n, "match_region", False) or "region" in getattr(n, "match_on", ())]
    if uses_region and not regions:
        yield RuleIssue(("routing", "nodes"), f"{', '.join(uses_region)} match on the lead's region, but "
                        "routing.regions is empty: only leads that carry a region field will match", "warning")


# -- hygiene, health, targets ------------------------------------------------------------------
def hygiene_rules(model: RevenueModel) -> Iterator[RuleIssue]:
    from revops.store.schema import TABLE_NAMES

    rules = model.hygiene.rules
    yield from duplicates(rules, "key", ("hygiene", "rules"), "hygiene rule key")
    stage_keys = [s.key for s in model.pipeline.stages]
    for i, rule in enumerate(rules):
        path = ("hygiene", "rules", i)
        if rule.table not in TABLE_NAMES:
            yield RuleIssue((*path, "table"), f"unknown table {rule.table!r}" + hint(rule.table, TABLE_NAMES))
            continue
        yield from check_expression(model, rule.when, rule.table, (*path, "when"))
        for j, stage in enumerate(rule.stages):
            if stage not in stage_keys:
                yield RuleIssue((*path, "stages", j), f"{stage!r} is not a pipeline stage" + hint(stage, stage_keys))


def health_weights(model: RevenueModel) -> Iterator[RuleIssue]:
    measures = model.health.measures
    yield from duplicates(measures, "key", ("health", "measures"), "health measure key")
    if measures:
        total = sum(m.weight for m in measures)
        if abs(total - 1) > 0.001:
            yield RuleIssue(("health", "measures"), f"health measure weights sum to {total:.3g}, not 1")
    yield from _bands(model.health.bands, ("health", "bands"), 0, 100)


def targets(model: RevenueModel) -> Iterator[RuleIssue]:
    cov = model.targets.pipeline_coverage
    if cov.warning_below > cov.target:
        yield RuleIssue(("targets", "pipeline_coverage", "warning_below"),
                        f"warning_below {cov.warning_below:g} is above the target {cov.target:g}")


# -- metrics ---------------------------------------------------------------------------------
def custom_metrics(model: RevenueModel) -> Iterator[RuleIssue]:
    from revops.store.schema import TABLES

    metrics = model.metrics
    yield from duplicates(metrics, "name", ("metrics",), "metric name")
    names = {m.name for m in metrics}
    for i, m in enumerate(metrics):
        path = ("metrics", i)
        if m.name in RESERVED_METRIC_NAMES:
            yield RuleIssue((*path, "name"), f"{m.name!r} is a built-in metric; give the custom metric "
                            "another name")
        if m.type == "ratio":
            for part in ("numerator", "denominator"):
                ref = getattr(m, part)
                if ref is None:
                    yield RuleIssue(path, f"ratio metric {m.name!r} needs a {part}")
                elif ref not in names and ref not in RESERVED_METRIC_NAMES:
                    yield RuleIssue((*path, part), f"{part} {ref!r} is not a metric"
                                    + hint(ref, names | RESERVED_METRIC_NAMES))
                elif ref == m.name:
                    yield RuleIssue((*path, part), f"ratio metric {m.name!r} divides by itself")
            for extra in ("table", "field"):
                if getattr(m, extra):
                    yield RuleIssue((*path, extra), f"a ratio metric takes no {extra}; it divides two metrics")
            continue
        if m.table is None:
            yield RuleIssue(path, f"{m.type} metric {m.name!r} needs a table")
            continue
        if m.table not in TABLES:
            yield RuleIssue((*path, "table"), f"unknown table {m.table!r}" + hint(m.table, TABLES))
            continue
        fields = model_fields.table_fields(m.table, model)
        if m.type in ("sum", "average"):
            if m.field is None:
                yield RuleIssue(path, f"{m.type} metric {m.name!r} needs a field")
            elif m.field not in fields:
                yield RuleIssue((*path, "field"), f"{m.table} has no field {m.field!r}" + hint(m.field, fields))
            elif fields[m.field] not in ("integer", "number"):
                yield RuleIssue((*path, "field"), f"{m.table}.{m.field} is a {fields[m.field]} field; "
                                f"{m.type} needs a number")
        elif m.field is not None:
            yield RuleIssue((*path, "field"), "a count metric counts records; remove field", "warning")
        if m.filter.strip():
            yield from check_expression(model, m.filter, m.table, (*path, "filter"))
        if m.date is not None:
            if m.date not in fields:
                yield RuleIssue((*path, "date"), f"{m.table} has no field {m.date!r}" + hint(m.date, fields))
            elif fields[m.date] not in ("date", "timestamp"):
                yield RuleIssue((*path, "date"), f"{m.table}.{m.date} is a {fields[m.date]} field; "
                                "the metric's date must be a date or timestamp")
