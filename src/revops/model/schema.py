"""The revenue model: every definition in revops.yaml as typed, validated objects.

A section left out of a company's revops.yaml takes the built-in default from
``default.yaml`` (the seed definitions), so a file can start with just ``company:``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import Field, field_validator

from revops.model.sections.alerts import Alerts
from revops.model.sections.base import Section
from revops.model.sections.company import BusinessHours, Company
from revops.model.sections.custom_fields import CustomField
from revops.model.sections.forecast import ForecastCategory
from revops.model.sections.handoffs import Handoffs
from revops.model.sections.identity import Identity
from revops.model.sections.lifecycle import Lifecycle, LifecycleStage
from revops.model.sections.metrics import MetricDefinition
from revops.model.sections.operations import Health, Hygiene, HygieneRule, Targets
from revops.model.sections.pipeline import Pipeline, PipelineStage
from revops.model.sections.quality import DataQuality
from revops.model.sections.routing import Routing
from revops.model.sections.scoring import Scoring
from revops.model.sections.slas import SlaPolicy
from revops.model.sections.workflows import Workflow

__all__ = [
    "Alerts", "BusinessHours", "Company", "CustomField", "ForecastCategory", "Handoffs", "Health", "Hygiene", "HygieneRule", "Identity", "Lifecycle",
    "LifecycleStage", "MetricDefinition", "Pipeline", "PipelineStage", "RevenueModel", "Routing",
    "Scoring", "SlaPolicy", "Targets", "Workflow", "default_model_text",
]

DEFAULT_MODEL_FILE = "default.yaml"
FORMAT_VERSION = 1


def default_model_text() -> str:
    """The built-in revenue model, with its explanatory comments."""
    return resources.files("revops.model").joinpath(DEFAULT_MODEL_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _default_data() -> dict[str, Any]:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(default_model_text())


def _default(section: str) -> Any:
    return lambda: copy.deepcopy(_default_data()[section])


def _section(name: str, description: str) -> Any:
    return Field(default_factory=_default(name), validate_default=True, description=description)


class RevenueModel(Section):
    """The revenue model of one company: the definitions every engine and report uses."""

    version: int = Field(1, ge=1, description="Version of the revops.yaml format.")
    company: Company = _section("company", "Name, currency, fiscal year, time zone, business hours.")
    custom_fields: dict[str, list[CustomField]] = _section(
        "custom_fields", "Fields the company adds to its records, per table (MEDDICC, use case …).")
    lifecycle: Lifecycle = _section("lifecycle", "Lead stages from new to customer.")
    pipeline: Pipeline = _section("pipeline", "Opportunity stages, criteria and probabilities.")
    forecast_categories: list[ForecastCategory] = _section(
        "forecast_categories", "Commit, best case, pipeline, omitted, closed.")
    slas: list[SlaPolicy] = _section("slas", "Handoff promises between teams.")
    scoring: Scoring = _section("scoring", "Lead scoring: fit, intent, engagement.")
    routing: Routing = _section("routing", "Lead routing graph.")
    hygiene: Hygiene = _section("hygiene", "Deal hygiene rules.")
    health: Health = _section("health", "Customer health score.")
    handoffs: Handoffs = _section("handoffs", "Expansion signals to Sales, Sales-to-CS handoffs at closed won.")
    targets: Targets = _section("targets", "Coverage, payback and quota targets.")
    alerts: Alerts = _section("alerts", "Slack and e-mail alerts: SLA breaches, deals at risk, forecast changes.")
    identity: Identity = _section("identity", "Duplicate contacts, leads and accounts; lead-to-account matching.")
    data_quality: DataQuality = _section("data_quality", "Validation rules, completeness, staleness: the data-quality score.")
    metrics: list[MetricDefinition] = _section("metrics", "The company's own metrics.")
    workflows: list[Workflow] = _section(
        "workflows", "Signal-based workflows: triggers, conditions, branches, waits and actions.")

    @field_validator("custom_fields", mode="before")
    @classmethod
    def _empty_custom_fields(cls, value: Any) -> Any:
        """``custom_fields:`` (or a table under it) left empty declares nothing."""
        if value is None:
            return {}
        if isinstance(value, dict):
            return {table: [] if fields is None else fields for table, fields in value.items()}
        return value

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value > FORMAT_VERSION:
            raise ValueError(f"format version {value} is newer than this revops reads ({FORMAT_VERSION}); "
                             "upgrade revops or set version: 1")
        return value

    # -- lookups -----------------------------------------------------------------------
    def stage(self, key: str) -> PipelineStage:
        """The pipeline stage ``key``, or a KeyError listing the stages."""
        for s in self.pipeline.stages:
            if s.key == key:
                return s
        raise KeyError(
            f"no pipeline stage {key!r}; stages: {', '.join(s.key for s in self.pipeline.stages)}"
        )

    @property
    def open_stages(self) -> list[PipelineStage]:
        return [s for s in self.pipeline.stages if not s.is_closed]

    @property
    def won_stage_keys(self) -> list[str]:
        return [s.key for s in self.pipeline.stages if s.is_closed and s.is_won]

    @property
    def lost_stage_keys(self) -> list[str]:
        return [s.key for s in self.pipeline.stages if s.is_closed and not s.is_won]

    def stage_spellings(self, *, won: bool | None = None, closed: bool | None = None) -> list[str]:
        """Keys and labels, trimmed and lower-cased, of the stages that are won (closed) as
        asked: how raw exports spell a stage ('Closed Won' as well as 'closed_won')."""
        return sorted({v.strip().lower() for s in self.pipeline.stages
                       if (won is None or s.is_won == won) and (closed is None or s.is_closed == closed)
                       for v in (s.key, s.label) if v})

    def custom_fields_of(self, table: str) -> dict[str, CustomField]:
        """The custom fields declared for ``table``, by name (empty when none)."""
        return {f.name: f for f in self.custom_fields.get(table, [])}

    def forecast_category(self, key: str) -> ForecastCategory:
        for c in self.forecast_categories:
            if c.key == key:
                return c
        raise KeyError(f"no forecast category {key!r}")

    def sla(self, key: str) -> SlaPolicy:
        for s in self.slas:
            if s.key == key:
                return s
        raise KeyError(f"no SLA {key!r}; SLAs: {', '.join(s.key for s in self.slas)}")

    def vocabularies(self) -> dict[str, dict[str, str]]:
        """Accepted spellings (lower case) of each vocabulary's values, mapped to the key.

        ``{"pipeline_stage": {"closed_won": "closed_won", "closed won": "closed_won", …}, …}``
        """
        groups = {
            "pipeline_stage": [(s.key, s.label) for s in self.pipeline.stages],
            "lifecycle_stage": [(s.key, s.label) for s in self.lifecycle.stages],
            "forecast_category": [(c.key, c.label) for c in self.forecast_categories],
        }
        out: dict[str, dict[str, str]] = {}
        for name, pairs in groups.items():
            spellings: dict[str, str] = {}
            for key, label in pairs:  # keys first: a key always maps to itself
                spellings[key] = key
            for key, label in pairs:
                for text in (key.replace("_", " "), key.replace("_", "-"), label.strip().lower(),
                             label.strip().lower().replace(" ", "_")):
                    spellings.setdefault(text, key)
            out[name] = spellings
        return out

    # -- identity ----------------------------------------------------------------------
    def canonical_dict(self) -> dict[str, Any]:
        """The definitions as JSON. An empty ``custom_fields`` is left out, so a model that
        declares none hashes as it did before the section existed."""
        data = self.model_dump(mode="json", by_alias=True)
        if not any(data.get("custom_fields", {}).values()):
            data.pop("custom_fields", None)
        if not data.get("workflows"):
            data.pop("workflows", None)
        return data

    def hash(self) -> str:
        """sha256 of the model's canonical JSON: equal definitions give equal hashes."""
        text = json.dumps(self.canonical_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_yaml(self) -> str:
        """The model as YAML (without the default file's comments)."""
        import io

        from ruamel.yaml import YAML

        yaml = YAML()
        yaml.default_flow_style = False
        yaml.width = 100
        buf = io.StringIO()
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if not any(data.get("custom_fields", {}).values()):
            data.pop("custom_fields", None)
        if not data.get("workflows"):
            data.pop("workflows", None)
        yaml.dump(data, buf)
        return buf.getvalue()

    def summary(self) -> str:
        return (
            f"{len(self.pipeline.stages)} pipeline stages, {len(self.lifecycle.stages)} lifecycle stages, "
            f"{len(self.forecast_categories)} forecast categories, {len(self.slas)} SLAs, "
            f"{len(self.routing.nodes)} routing nodes, {len(self.hygiene.rules)} hygiene rules, "
            f"{len(self.metrics)} custom metrics"
        ) + (f", {n} custom field{'s' * (n != 1)}" if (n := sum(map(len, self.custom_fields.values()))) else "") + (
            f", {n} workflow{'s' * (n != 1)}" if (n := len(self.workflows)) else "")
