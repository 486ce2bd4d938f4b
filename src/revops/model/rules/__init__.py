"""Semantic rules of the revenue model.

Each rule is a small function that takes a parsed :class:`RevenueModel` and *returns* the
problems it finds (never raises), addressed by their path in the model; the loader turns
paths into file:line. Add a rule by writing a function and listing it in ``RULES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from revops.model.issues import RuleIssue
from revops.model.rules.alerts import alert_definitions
from revops.model.rules.common import check_expression
from revops.model.rules.definitions import (
    company_business_hours, company_timezone, custom_fields, forecast_categories, lifecycle_criteria,
    lifecycle_stages, mql_matches_threshold, pipeline_closed_stages, pipeline_gates,
    pipeline_probabilities_increase, pipeline_required_fields, pipeline_stage_keys, sla_events,
    vocabulary_spellings,
)
from revops.model.rules.engines import (
    custom_metrics, health_weights, hygiene_rules, routing_expressions, routing_graph,
    routing_policies, score_bands, scoring_reachable, scoring_rules, targets,
)
from revops.model.rules.handoffs import handoff_definitions
from revops.model.rules.identity import identity_definitions
from revops.model.rules.quality import quality_definitions
from revops.model.rules.workflows import workflow_definitions
from revops.model.schema import RevenueModel

__all__ = ["RULES", "Rule", "check_expression", "run_rules"]

Rule = Callable[[RevenueModel], Iterable[RuleIssue]]

RULES: tuple[Rule, ...] = (
    company_timezone, company_business_hours, custom_fields,
    lifecycle_stages, lifecycle_criteria, mql_matches_threshold,
    pipeline_stage_keys, pipeline_closed_stages, pipeline_probabilities_increase,
    pipeline_required_fields, pipeline_gates, forecast_categories, vocabulary_spellings,
    sla_events, scoring_rules, scoring_reachable, score_bands,
    routing_graph, routing_expressions, routing_policies,
    hygiene_rules, health_weights, handoff_definitions, targets, custom_metrics, alert_definitions,
    quality_definitions, identity_definitions, workflow_definitions,
)


def run_rules(model: RevenueModel, rules: Iterable[Rule] = RULES) -> list[RuleIssue]:
    found: list[RuleIssue] = []
    for rule in rules:
        found.extend(rule(model))
    return found
