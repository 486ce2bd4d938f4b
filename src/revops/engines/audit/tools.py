"""The technology audit: a tool inventory (CSV or YAML) read into typed rows, and what it says.

One row per tool: ``name``, ``category`` (crm, marketing_automation, sales_engagement, …),
``owner``, ``annual_cost``, ``integrated_with_crm`` (yes/no), ``seats``,
``daily_active_users``; optional ``capabilities`` (what it does, ``;``-separated: lead_scoring;
enrichment) and ``maintenance_hours_per_month``. A bad row is an error naming the file, the
line and the column.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from revops.errors import RevopsError

SUNSET_BELOW = 0.30
"""The seeds: sunset tools with under 30% adoption."""
HOURLY_COST = 75.0
"""The cost of an hour of maintenance in the total cost of ownership (a loaded admin hour)."""
TRUE_WORDS = {"yes", "y", "true", "1", "native", "api"}
FALSE_WORDS = {"no", "n", "false", "0", "", "none", "manual"}


class InventoryError(RevopsError):
    """The tool inventory cannot be read: the file, the line and what to fix."""


class Tool(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    category: str = Field(min_length=1)
    owner: str | None = None
    annual_cost: float = Field(0.0, ge=0)
    integrated_with_crm: bool = False
    seats: int = Field(0, ge=0)
    daily_active_users: int = Field(0, ge=0)
    capabilities: list[str] = Field(default_factory=list)
    maintenance_hours_per_month: float = Field(0.0, ge=0)

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: Any) -> Any:
        return str(value).strip().lower().replace(" ", "_").replace("-", "_") if value is not None else value

    @field_validator("integrated_with_crm", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> Any:
        if isinstance(value, str):
            word = value.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueError(f"write yes or no, not {value!r}")
        return False if value is None else value

    @field_validator("annual_cost", "maintenance_hours_per_month", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Any:
        if isinstance(value, str):
            cleaned = value.replace("$", "").replace(",", "").replace("€", "").replace("£", "").strip()
            return cleaned or 0
        return 0 if value is None else value

    @field_validator("seats", "daily_active_users", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(",", "").strip() or 0
        return 0 if value is None else value

    @field_validator("capabilities", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [p.strip().lower().replace(" ", "_") for p in value.replace(",", ";").split(";") if p.strip()]
        return value or []

    @property
    def is_crm(self) -> bool:
        return self.category == "crm"

    @property
    def adoption(self) -> float | None:
        """Daily active users over seats (None without seats)."""
        return min(self.daily_active_users / self.seats, 1.0) if self.seats else None

    @property
    def total_cost(self) -> float:
        """Annual cost plus a year of maintenance hours at HOURLY_COST."""
        return self.annual_cost + 12 * self.maintenance_hours_per_month * HOURLY_COST


def load_inventory(path: Path) -> list[Tool]:
    """Tools from a CSV (header row) or YAML (a list, or {tools: [...]}) file."""
    path = Path(path)
    if not path.exists():
        raise InventoryError(f"no tool inventory at {path}; give --tools a CSV or YAML file (docs/audit.md)")
    if path.suffix.lower() in (".yaml", ".yml"):
        rows = _yaml_rows(path)
    else:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "name" not in [f.strip().lower() for f in reader.fieldnames]:
                raise InventoryError(f"{path}:1: the header needs at least name, category, annual_cost, "
                                     "integrated_with_crm, seats, daily_active_users")
            rows = [(reader.line_num, {k.strip().lower(): v for k, v in row.items() if k}) for row in reader]
    tools: list[Tool] = []
    for line, row in rows:
        try:
            tools.append(Tool.model_validate(row))
        except ValidationError as exc:
            first = exc.errors()[0]
            column = ".".join(str(p) for p in first["loc"]) or "row"
            raise InventoryError(f"{path}:{line}: column {column}: {first['msg']} (value {first.get('input')!r}); "
                                 "fix the row and run again") from None
    names = [t.name.lower() for t in tools]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InventoryError(f"{path}: the tool {repeated[0]!r} is listed more than once; one row per tool")
    return tools


def _yaml_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    from ruamel.yaml import YAML

    data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    items = data.get("tools") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InventoryError(f"{path}:1: expected a list of tools (or tools: [...])")
    out = []
    for item in items:
        line = item.lc.line + 1 if hasattr(item, "lc") else 0
        out.append((line, dict(item) if isinstance(item, dict) else {}))
    return out


def technology_audit(tools: list[Tool], *, facts: dict[str, Any]) -> dict[str, Any]:
    """Redundancy, adoption and the sunset list, integrations, cost, and the CRM decision.
    ``facts``: what the data and process audits measured (arr, quality, process scores)."""
    n = len(tools)
    integrated = [t for t in tools if t.integrated_with_crm or t.is_crm]
    by_category: dict[str, list[str]] = {}
    by_capability: dict[str, list[str]] = {}
    for t in tools:
        by_category.setdefault(t.category, []).append(t.name)
        for c in t.capabilities:
            by_capability.setdefault(c, []).append(t.name)
    redundancy = [{"kind": "category", "what": k, "tools": v} for k, v in sorted(by_category.items()) if len(v) > 1]
    redundancy += [{"kind": "capability", "what": k, "tools": v} for k, v in sorted(by_capability.items())
                   if len(v) > 1]
    redundant_names = {name for r in redundancy for name in r["tools"]}
    rows = []
    for t in tools:
        adoption = t.adoption
        reasons = []
        if adoption is not None and adoption < SUNSET_BELOW:
            reasons.append(f"adoption {adoption:.0%} < {SUNSET_BELOW:.0%}")
        if t.name in redundant_names and not t.is_crm:
            same = sorted({o for r in redundancy if t.name in r["tools"] for o in r["tools"]} - {t.name})
            reasons.append("overlaps " + ", ".join(same))
        rows.append({"name": t.name, "category": t.category, "owner": t.owner, "annual_cost": t.annual_cost,
                     "total_cost": t.total_cost, "seats": t.seats, "daily_active_users": t.daily_active_users,
                     "adoption": round(adoption, 4) if adoption is not None else None,
                     "integrated_with_crm": t.integrated_with_crm or t.is_crm,
                     "sunset": bool(adoption is not None and adoption < SUNSET_BELOW),
                     "review": reasons})
    sunset = [r for r in rows if r["sunset"]]
    total = sum(t.total_cost for t in tools)
    return {
        "tools": rows,
        "tool_count": n,
        "integrated_with_crm": len(integrated),
        "not_integrated": sorted(t.name for t in tools if not (t.integrated_with_crm or t.is_crm)),
        "integrations_point_to_point": n * (n - 1),
        "integrations_through_a_hub": n,
        "redundancy": redundancy,
        "sunset": [{"name": r["name"], "adoption": r["adoption"], "annual_cost": r["annual_cost"]} for r in sunset],
        "sunset_savings": sum(r["annual_cost"] for r in sunset),
        "annual_cost": sum(t.annual_cost for t in tools),
        "total_cost_of_ownership": total,
        "cost_per_daily_user": round(total / max(sum(t.daily_active_users for t in tools), 1), 2),
        "crm_decision": crm_decision([t for t in tools if t.is_crm], facts),
    }


ENTERPRISE_SEAT_COST = 1000.0
"""An annual cost per CRM seat above which the CRM is an enterprise tool."""
DOWNSHIFT_ARR = 30_000_000
"""The seeds: most companies of $5M-$30M ARR land on downshift when the CRM is enterprise-grade
and not used as one."""


def crm_decision(crms: list[Tool], facts: dict[str, Any]) -> dict[str, Any]:
    """The seeds' three-way decision, with the reasons that led to it.

    - migrate: no CRM, several CRMs, or a CRM that does not run the motion: under 30% of its
      seats use it daily, or most tools do not integrate with it;
    - downshift: an enterprise-priced CRM (more than ENTERPRISE_SEAT_COST a seat a year) at a
      company under DOWNSHIFT_ARR that uses it little (under 60% daily adoption);
    - complete: the CRM is the right tool; finish the build — the gaps the process and data
      audits found (stages without exit criteria, deals not meeting their stage's
      requirements, low data quality) are listed as what to finish.
    """
    arr = facts.get("arr")
    gaps = list(facts.get("gaps", []))
    if not crms:
        return {"decision": "migrate", "reasons": ["no CRM in the tool inventory (category crm): the pipeline has "
                                                   "no system of record; move it into a purpose-built CRM"],
                "to_finish": gaps}
    if len(crms) > 1:
        names = ", ".join(t.name for t in crms)
        return {"decision": "migrate", "reasons": [f"{len(crms)} CRMs ({names}): pick one system of record and "
                                                   "migrate the others into it"], "to_finish": gaps}
    crm = crms[0]
    adoption = crm.adoption
    seat_cost = crm.annual_cost / crm.seats if crm.seats else None
    integrated_share = facts.get("integrated_share")
    reasons: list[str] = []
    if adoption is not None and adoption < SUNSET_BELOW:
        reasons.append(f"only {adoption:.0%} of {crm.name}'s {crm.seats} seats use it daily: it does not run the "
                       "motion")
    if integrated_share is not None and integrated_share < 0.5:
        reasons.append(f"only {integrated_share:.0%} of the other tools integrate with {crm.name}")
    enterprise = seat_cost is not None and seat_cost > ENTERPRISE_SEAT_COST
    small = arr is not None and arr < DOWNSHIFT_ARR
    if enterprise and small and (adoption is None or adoption < 0.6):
        why = [f"{crm.name} costs {seat_cost:,.0f} a seat a year (enterprise-grade)",
               f"ARR is {arr:,.0f}, under {DOWNSHIFT_ARR:,.0f}"]
        if adoption is not None:
            why.append(f"{adoption:.0%} daily adoption: the enterprise features are not used")
        return {"decision": "downshift", "reasons": why + reasons, "to_finish": gaps}
    if reasons:
        return {"decision": "migrate", "reasons": reasons, "to_finish": gaps}
    why = [f"{crm.name} is used daily by {adoption:.0%} of its seats" if adoption is not None
           else f"{crm.name} is the system of record"]
    why.append("finish the build: " + "; ".join(gaps) if gaps else "nothing is missing from the build")
    return {"decision": "complete", "reasons": why, "to_finish": gaps}
