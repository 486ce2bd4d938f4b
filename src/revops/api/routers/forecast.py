"""``/v1/forecast``: the forecast roll-up of a fiscal quarter, as `revops forecast calls`
computes it: rep -> manager -> company, each person's call next to the deal numbers of
everyone under them. A rep's key gets their own row, a manager's their team's rows."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from revops.api.deps import PrincipalDep, ServicesDep
from revops.api.intake.answers import encode
from revops.api.operations_reads import forecast_rollup
from revops.api.query_params import Day, Quarter, text
from revops.api.refusals import refused_as_422
from revops.api.schemas.errors import ErrorAnswer
from revops.api.schemas.operations import ForecastRollup

router = APIRouter(prefix="/forecast", tags=["forecast"])


@router.get("", response_model=ForecastRollup, summary="The forecast roll-up of a quarter as of a day",
            responses={422: {"model": ErrorAnswer, "description": "An unknown quarter or a day that is not one."}})
def get_forecast(
    services: ServicesDep, principal: PrincipalDep,
    quarter: Annotated[Quarter, Query(max_length=20, description="Fiscal quarter, e.g. 2026-Q3 (default: the "
                                                                   "quarter holding as_of).")] = None,
    as_of: Annotated[Day, Query(description="YYYY-MM-DD (default: today).")] = None,
    category: Annotated[Literal["commit", "best_case"], Query(description="The calls rolled up.")] = "commit",
) -> Response:
    with refused_as_422():
        found = forecast_rollup(services, principal, quarter, text(as_of), category, services.intake.clock().date())
    return Response(encode(found), media_type="application/json")
