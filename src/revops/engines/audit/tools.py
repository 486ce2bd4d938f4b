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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from revops.errors import RevopsError

SUNSET_BELOW = 0.30
"""The seeds: sunset tools with under 30% adoption."""
HOURLY_COST = 75.0
"""The cost of an hour of maintenance in the total cost of ownership (a loaded admin hour)."""
TRUE_WORDS = {"yes", "y", "true", "1", "native", "api"}
FALSE_WORDS = {"no", "n", "false", "0", "", "none", "manual"}


class InventoryError(RevopsError):
    """The tool inventory cannot be read: the file, the line and what to fix."""


REQUIRED_COLUMNS = ("name", "category", "annual_cost", "integrated_with_crm", "seats", "daily_active_users")
OPTIONAL_COLUMNS = ("owner", "capabilities", "maintenance_hours_per_month", "weekly_active_users",
                    "monthly_active_users")


def column_key(header: str) -> str:
    """A header as the inventory names it: ``Annual Cost`` and ``annual-cost`` are ``annual_cost``."""
    return "_".join(str(header).strip().lower().replace("-", " ").replace("(", " ").replace(")", " ").split())


class Tool(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    category: str = Field(min_length=1)
    owner: str | None = None
    annual_cost: float = Field(0.0, ge=0)
    integrated_with_crm: bool = False
    seats: int = Field(0, ge=0)
    daily_active_users: int = Field(0, ge=0)
    capabilities: list[str] = Field(default_factory=list)
    maintenance_hours_per_month: float = Field(0.0, ge=0)
    weekly_active_users: int | None = Field(None, ge=0)
    monthly_active_users: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _users_fit_seats(self) -> Tool:
        for name in ("daily_active_users", "weekly_active_users", "monthly_active_users"):
            value = getattr(self, name)
            if self.seats and value is not None and value > self.seats:
                raise ValueError(f"{name} {value} is more than the {self.seats} seats; check both")
        return self

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

    @field_validator("seats", "daily_active_users", "weekly_active_users", "monthly_active_users", mode="before")
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
    def active_users(self) -> tuple[int, str]:
        """The broadest active-user count given (monthly, weekly, else daily) and its cadence: a
        forecasting or e-signature tool is used weekly or monthly, not daily."""
        for cadence in ("monthly", "weekly"):
            value = getattr(self, f"{cadence}_active_users")
            if value is not None:
                return value, cadence
        return self.daily_active_users, "daily"

    @property
    def adoption(self) -> float | None:
        """Active users (``active_users``) over seats; None without seats."""
        return self.active_users[0] / self.seats if self.seats else None

    @property
    def total_cost(self) -> float:
        """Annual cost plus a year of maintenance hours at HOURLY_COST."""
        return self.annual_cost + 12 * self.maintenance_hours_per_month * HOURLY_COST


def load_inventory(path: Path) -> list[Tool]:
    """Tools from a CSV (header row) or YAML (a list, or {tools: [...]}) file; every problem of
    the file is reported at once, each at its line."""
    path = Path(path)
    if not path.exists():
        raise InventoryError(f"no tool inventory at {path}; give --tools a CSV or YAML file (docs/audit.md)")
    if path.suffix.lower() in (".yaml", ".yml"):
        rows = _yaml_rows(path)
        columns = {k for _, row in rows for k in row}
    else:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            headers = [column_key(f) for f in reader.fieldnames or []]
            reader.fieldnames = headers
            rows = [(reader.line_num, {k: v for k, v in row.items() if k}) for row in reader]
        columns = set(headers)
    problems = []
    unknown = sorted(columns - set(REQUIRED_COLUMNS) - set(OPTIONAL_COLUMNS))
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if unknown:
        problems.append(f"{path}:1: unknown column(s) {', '.join(unknown)}; the columns are "
                        f"{', '.join(REQUIRED_COLUMNS)} and optionally {', '.join(OPTIONAL_COLUMNS)}")
    if missing:
        problems.append(f"{path}:1: missing column(s) {', '.join(missing)} (docs/audit.md)")
    if problems:
        raise InventoryError("\n".join(problems))
    tools: list[Tool] = []
    for line, row in rows:
        try:
            tools.append(Tool.model_validate(row))
        except ValidationError as exc:
            for err in exc.errors():
                column = ".".join(str(p) for p in err["loc"]) or "row"
                value = f" (value {err['input']!r})" if column != "row" else ""
                msg = str(err["msg"]).removeprefix("Value error, ")
                problems.append(f"{path}:{line}: column {column}: {msg}{value}")
    names = [t.name.lower() for t in tools]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"{path}: the tool {repeated[0]!r} is listed more than once; one row per tool")
    if problems:
        raise InventoryError("\n".join(problems) + "\nfix the rows and run again")
    return tools


def _yaml_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    from ruamel.yaml import YAML

    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 1
        raise InventoryError(f"{path}:{line}: YAML syntax error: {exc.problem}") from None
    except YAMLError as exc:
        raise InventoryError(f"{path}: YAML syntax error: {exc}") from None
    items = data.get("tools") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InventoryError(f"{path}:1: expected a list of tools (or tools: [...])")
    out = []
    for item in items:
        line = item.lc.line + 1 if hasattr(item, "lc") else 0
        out.append((line, {column_key(k): v for k, v in item.items()} if isinstance(item, dict) else {}))
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
    rows = []
    for t in tools:
        adoption = t.adoption
        users, cadence = t.active_users
        reasons = []
        low = adoption is not None and adoption < SUNSET_BELOW and not t.is_crm
        if adoption is None:
            reasons.append("no seats given: adoption unknown")
        elif adoption < SUNSET_BELOW:
            reasons.append(f"{cadence} adoption {adoption:.0%} < {SUNSET_BELOW:.0%}")
        overlaps = sorted({o for r in redundancy if t.name in r["tools"] for o in r["tools"]} - {t.name})
        if overlaps and not t.is_crm:
            reasons.append("overlaps " + ", ".join(overlaps))
        others = [o for o in tools if o is not t]
        uncovered = sorted(({t.category} - {o.category for o in others})
                           | (set(t.capabilities) - {c for o in others for c in o.capabilities}))
        sole = low and bool(uncovered)
        if sole:
            reasons.append(f"nothing else does {', '.join(u.replace('_', ' ') for u in uncovered)}: replace it or "
                           "raise its use before sunsetting")
        rows.append({"name": t.name, "category": t.category, "owner": t.owner, "annual_cost": t.annual_cost,
                     "total_cost": t.total_cost, "seats": t.seats, "active_users": users, "cadence": cadence,
                     "daily_active_users": t.daily_active_users,
                     "adoption": round(adoption, 4) if adoption is not None else None,
                     "integrated_with_crm": t.integrated_with_crm or t.is_crm,
                     "sunset": low, "replacement_needed": sole, "review": reasons})
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
        "sunset": [{"name": r["name"], "adoption": r["adoption"], "cadence": r["cadence"], "annual_cost": r["annual_cost"],
                    "replacement_needed": r["replacement_needed"]} for r in sunset],
        "sunset_savings": sum(r["annual_cost"] for r in sunset if not r["replacement_needed"]),
        "annual_cost": sum(t.annual_cost for t in tools),
        "total_cost_of_ownership": total,
        "cost_per_active_user": round(total / max(sum(t.active_users[0] for t in tools), 1), 2),
        "crm_decision": crm_decision([t for t in tools if t.is_crm], facts),
    }


ENTERPRISE_SEAT_COST = 1000.0
"""An annual cost per CRM seat above which the CRM is an enterprise tool."""
DOWNSHIFT_ARR = 30_000_000
"""The seeds: most companies of $5M-$30M ARR land on downshift when the CRM is enterprise-grade
and not used as one."""


def crm_decision(crms: list[Tool], facts: dict[str, Any]) -> dict[str, Any]:
    """The seeds' three-way decision, with the reasons that led to it.

    - downshift: an enterprise-priced CRM (more than ENTERPRISE_SEAT_COST a seat a year) at a
      company under DOWNSHIFT_ARR that uses it little (under 60% adoption): the company does not
      need, or will not use, enterprise tools;
    - migrate: no CRM, several CRMs, or a CRM that does not run the motion: under 30% of its
      seats use it, or fewer than half the other tools integrate with it;
    - complete: the CRM is the right tool; finish the build — the gaps the process and data
      audits found (stages without exit criteria, deals not meeting their stage's
      requirements, low data quality) are listed as what to finish.

    Without a known ARR (no subscriptions, and none given) downshift is not decided.
    """
    arr = facts.get("arr")
    gaps = list(facts.get("gaps", []))
    notes = []
    if not crms:
        return {"decision": "migrate", "reasons": ["no CRM in the tool inventory (category crm): the pipeline has "
                                                   "no system of record; move it into a purpose-built CRM"],
                "to_finish": gaps, "notes": notes}
    if len(crms) > 1:
        names = ", ".join(t.name for t in crms)
        return {"decision": "migrate", "reasons": [f"{len(crms)} CRMs ({names}): pick one system of record and "
                                                   "migrate the others into it"], "to_finish": gaps, "notes": notes}
    crm = crms[0]
    adoption = crm.adoption
    users, cadence = crm.active_users
    seat_cost = crm.annual_cost / crm.seats if crm.seats else None
    enterprise = seat_cost is not None and seat_cost > ENTERPRISE_SEAT_COST
    if arr is None:
        notes.append("ARR unknown (no subscriptions in the store): give --arr to weigh a downshift")
    elif enterprise and arr < DOWNSHIFT_ARR and (adoption is None or adoption < 0.6):
        why = [f"{crm.name} costs {seat_cost:,.0f} a seat a year (enterprise-grade)",
               f"ARR is {arr:,.0f}, under {DOWNSHIFT_ARR:,.0f}"]
        if adoption is not None:
            why.append(f"{adoption:.0%} {cadence} adoption: the enterprise features are not used")
        return {"decision": "downshift", "reasons": why, "to_finish": gaps, "notes": notes}
    reasons: list[str] = []
    if adoption is not None and adoption < SUNSET_BELOW:
        reasons.append(f"only {adoption:.0%} of {crm.name}'s {crm.seats} seats use it ({cadence}): it does not run "
                       "the motion")
    integrated_share = facts.get("integrated_share")
    if integrated_share is not None and integrated_share < 0.5:
        reasons.append(f"only {integrated_share:.0%} of the other tools integrate with {crm.name}")
    if reasons:
        return {"decision": "migrate", "reasons": reasons, "to_finish": gaps, "notes": notes}
    why = [f"{crm.name} is used by {adoption:.0%} of its seats ({cadence})" if adoption is not None
           else f"{crm.name} is the system of record"]
    why.append("finish the build: " + "; ".join(gaps) if gaps else "nothing is missing from the build")
    return {"decision": "complete", "reasons": why, "to_finish": gaps, "notes": notes}
