"""``/v1/metrics``: numbers from the metrics layer — the one definition the CLI (`revops
metrics`), the dashboard and reports use — with the key's scope ANDed to the filter; the
catalogue; and a metric's definition and SQL."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from revops.api.deps import PrincipalDep, ServicesDep
from revops.api.intake.answers import encode
from revops.api.metric_reads import MetricAsk, metric_catalogue, metric_explain, metric_rows
from revops.api.query_params import Day, text
from revops.api.refusals import refused_as_422
from revops.api.schemas.errors import ErrorAnswer
from revops.api.schemas.metrics import MetricCatalogue, MetricExplained, MetricValues

router = APIRouter(prefix="/metrics", tags=["metrics"])

REFUSED = {422: {"model": ErrorAnswer, "description": "An unknown metric, dimension or period, or a filter "
                                                      "that does not parse: the metrics layer's message."}}
By = Annotated[str | None, Query(max_length=500, description="Dimensions, comma-separated: source,segment,owner,…")]
Period = Annotated[str | None, Query(max_length=20, description="month, quarter or year (fiscal).")]
From = Annotated[Day, Query(alias="from", description="First day counted, YYYY-MM-DD.")]
To = Annotated[Day, Query(alias="to", description="Last day counted, YYYY-MM-DD.")]
AsOf = Annotated[Day, Query(description="As the data looked at the end of this day, YYYY-MM-DD.")]
Where = Annotated[str | None, Query(max_length=2000, description="A filter in the model's expression language.")]


@router.get("", response_model=MetricValues, summary="Compute metrics: one row per metric, period and dimension value",
            responses=REFUSED)
def get_metrics(services: ServicesDep, principal: PrincipalDep,
                name: Annotated[list[str], Query(min_length=1, description="Metric names (repeat the parameter).")],
                by: By = None, period: Period = None, start: From = None, end: To = None, as_of: AsOf = None,
                where: Where = None) -> Response:
    """As `revops metrics NAME… --format json`. A rep's or manager's key adds ``owner in (…)``
    to the filter: metrics without an ``owner`` dimension are refused for such a key (422)."""
    ask = MetricAsk(tuple(name), by, period, text(start), text(end), text(as_of), where)
    with refused_as_422():
        found = metric_rows(services, principal, ask, services.intake.clock().date())
    return Response(encode(found), media_type="application/json")


@router.get("/catalogue", response_model=MetricCatalogue, summary="Every metric: built-in and revops.yaml's")
async def get_catalogue(services: ServicesDep) -> dict:
    return {"items": metric_catalogue(services)}


@router.get("/{name}/explain", response_model=MetricExplained,
            summary="A metric's definition, inputs and the SQL it runs", responses=REFUSED)
def explain_metric(name: str, services: ServicesDep, principal: PrincipalDep, by: By = None, period: Period = None,
                   start: From = None, end: To = None, as_of: AsOf = None, where: Where = None) -> Response:
    """As `revops explain NAME --format json`, with the key's scope in the filter."""
    ask = MetricAsk((name,), by, period, text(start), text(end), text(as_of), where)
    with refused_as_422():
        found = metric_explain(services, principal, name, ask)
    return Response(encode(found), media_type="application/json")
