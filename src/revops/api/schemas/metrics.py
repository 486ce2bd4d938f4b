"""What ``GET /v1/metrics``, ``/v1/metrics/catalogue`` and ``/v1/metrics/{name}/explain`` answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class MetricValue(BaseModel):
    """One metric, period and dimension value; the dimensions asked with ``by`` and ``period``
    come as extra properties named after them."""

    model_config = ConfigDict(extra="allow")

    metric: str
    value: float | int | None


class MetricValues(BaseModel):
    items: list[MetricValue]
    where: str | None = Field(description="The filter applied: the request's, ANDed with the key's scope.")
    as_of: str | None


class MetricInfo(BaseModel):
    name: str
    description: str
    unit: str
    format: str
    direction: str


class MetricCatalogue(BaseModel):
    items: list[MetricInfo]


class MetricSql(BaseModel):
    query: str
    sql: str


class MetricExplained(BaseModel):
    """A metric's definition, inputs and the SQL it runs (as `revops explain --format json`)."""

    model_config = ConfigDict(extra="allow")

    metric: str
    description: str
    definition: Any
    based_on: Any
    unit: str
    format: str
    direction: str
    inputs: list[Any]
    backend: str
    sql: list[MetricSql]
