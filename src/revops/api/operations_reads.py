"""The engines' reports behind ``GET /v1/forecast``, ``/v1/sla``, ``/v1/hygiene`` and
``/v1/health``: each computed as its CLI command computes it (the same engine functions), once
per store generation and request (``ApiServices.cached``), then cut down to the key's scope.

- forecast: the roll-up of `revops forecast calls` (rep -> manager -> company, calls next to
  the deal numbers); a scoped key gets the rows of the people it sees, without the company row;
- sla: the clocks of `revops sla status`, or the breach queue of `revops sla breaches`, by owner;
- hygiene: the findings of `revops hygiene --format json`, by the deal's owner;
- health: the rows of `revops health --format json`, by the account's owner.

``today`` / ``now`` is the server's clock (the intake's), the day a CLI run would take as
today. Answers about "now" are read at the current minute (``minute``), so that they can be
cached for the rest of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from revops.access import Principal


def _mine(principal: Principal, rows: list[dict[str, Any]], column: str = "owner_id") -> list[dict[str, Any]]:
    if principal.sees_everything:
        return rows
    return [r for r in rows if principal.sees(r.get(column))]


# -- forecast ---------------------------------------------------------------------------------
def forecast_rollup(services: Any, principal: Principal, quarter: str | None, as_of: str | None,
                    category: str, today: date) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        from revops.engines import forecast as engine
        from revops.engines.forecast.calls import latest_calls
        from revops.engines.forecast.rollup import rollup

        model = services.model
        with services.analytics() as con, services.reader() as reader:
            world = engine.load_world(con, model, today)
            fc = engine.forecast(con, model, period=quarter, as_of=as_of, today=today, world=world, by_owner=True)
            in_force = latest_calls(reader, period=fc.period, at=fc.as_of)
            in_force = in_force[in_force["category"] == category]
            sim = fc.simulation
            rows = rollup(world.users, in_force, engine.numbers_by_owner(fc),
                          owner_runs=sim.runs_of() if sim else None, company_runs=sim.totals if sim else None)
        return {"period": fc.period, "as_of": fc.as_of.isoformat(), "category": category,
                "company": fc.as_dict(), "rows": rows, "warnings": list(fc.warnings)}

    found = services.cached(("forecast", quarter, as_of, category, today), compute)
    if principal.sees_everything:
        return found
    return {**found, "company": None, "rows": [r for r in found["rows"] if r["user_id"] in principal.owners]}


# -- SLA ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SlaAsk:
    view: str = "status"
    sla: str | None = None
    state: str | None = None
    open_only: bool = False
    at: str | None = None
    start: date | None = None
    end: date | None = None


def minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def sla_rows(services: Any, principal: Principal, ask: SlaAsk, now: datetime) -> list[dict[str, Any]]:
    at = None if ask.at else minute(now)

    def compute() -> list[dict[str, Any]]:
        from revops.engines import sla as engine

        request = engine.clock_request(ask.at or at, ask.sla, ask.start, ask.end)
        if request.started_from is not None and request.started_from > request.at.date():
            engine.policies(services.model, request.keys)  # unknown SLA keys are still refused
            return []  # no clock read at `at` started after it
        with services.analytics() as con:
            if ask.view == "breaches":
                table = engine.breach_queue(con, services.model, request)
            else:
                table = engine.status(con, services.model, request, states=(ask.state or "").split(","),
                                      open_only=ask.open_only)
        return table.to_pylist()

    return _mine(principal, services.cached(("sla", ask, at), compute))


# -- hygiene -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HygieneAsk:
    as_of: str | None = None
    owner_id: str | None = None
    rule: str | None = None
    severity: str | None = None


def hygiene_findings(services: Any, principal: Principal, ask: HygieneAsk, now: datetime) -> dict[str, Any]:
    """Without ``as_of``: the deals as they are, checked now (as `revops hygiene`), kept for the
    minute."""
    def compute() -> dict[str, Any]:
        from revops.engines.deals.hygiene import HygieneRequest, check_hygiene
        from revops.errors import DealError
        from revops.moments import parse_moment

        moment = parse_moment(ask.as_of, "as_of", DealError) if ask.as_of else None
        if moment is not None and _is_day(ask.as_of):
            moment += timedelta(days=1)  # a day means its end, as in `revops hygiene --as-of`
        request = HygieneRequest(as_of=moment, rules=_listed(ask.rule), owners=_listed(ask.owner_id),
                                 severities=_listed(ask.severity))
        with services.analytics() as con:
            report = check_hygiene(con, services.model, request)
        return {"as_of": report.as_of, "findings": report.findings, "rules": [r.row() for r in report.rules]}

    found = services.cached(("hygiene", ask, None if ask.as_of else minute(now)), compute)
    return {**found, "findings": _mine(principal, found["findings"])}


def _is_day(text: str | None) -> bool:
    try:
        date.fromisoformat((text or "").strip())
        return True
    except ValueError:
        return False


def _listed(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


# -- account health ----------------------------------------------------------------------------
@dataclass(frozen=True)
class HealthAsk:
    as_of: str | None = None
    band: str | None = None
    account_id: str | None = None


def account_health(services: Any, principal: Principal, ask: HealthAsk, today: date) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        from revops.engines.health.score import HealthRequest, score_accounts
        from revops.errors import RevopsError
        from revops.moments import parse_moment

        model = services.model
        day = parse_moment(ask.as_of, "as_of", RevopsError).date() if ask.as_of else today
        bands = _listed(ask.band)
        known = [b.key for b in model.health.bands]
        unknown = [b for b in bands if b not in known]
        if unknown:
            raise RevopsError(f"band {', '.join(unknown)}: not a health band; the bands are {', '.join(known)}")
        with services.reader() as reader:
            owners = {r["account_id"]: r for r in reader.query("SELECT account_id, name, owner_id FROM accounts")}
            report = score_accounts(reader.con, model.health, HealthRequest(day, _listed(ask.account_id), bands),
                                    currency=model.company.currency,
                                    names={a: r["name"] for a, r in owners.items() if r["name"] is not None})
        rows = [{**r, "owner_id": (owners.get(r["account_id"]) or {}).get("owner_id")} for r in report.rows]
        return {"as_of": report.as_of.isoformat(), "items": rows, "unmeasured": report.unmeasured_inputs}

    found = services.cached(("health", ask, today), compute)
    return {**found, "items": _mine(principal, found["items"])}
