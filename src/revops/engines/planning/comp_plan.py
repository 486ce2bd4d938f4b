"""The compensation plan file, typed: who is on which plan, for what pay, measured how.

    plans:
      - name: ae_new_business
        roles: [ae]                  # and/or users: [usr_001, ...]
        ote: 200000                  # on-target earnings a year: base + target variable
        base_share: 0.5              # base = ote x base_share; the rest is target variable
        quota: 800000                # a year; leave out to use users.quota
        measure: bookings            # bookings | closed_pipeline | net_expansion
        deal_types: [new_business, expansion]
        schedule: marginal           # marginal | tiered
        tiers:                       # attainment from which a rate applies (x the base rate)
          - {from: 0.0, rate: 0.5}   # decelerator below 50 %
          - {from: 0.5, rate: 1.0}
          - {from: 1.0, rate: 1.5}   # accelerator above quota
        cap: 2.0                     # variable pay at most 2 x target variable (leave out: none)
        spiffs:
          - {name: platform_deal, amount: 1000, products: [core_platform]}
          - {name: big_deal, rate: 0.01, min_amount: 100000}
        clawback: {months: 12, share: 1.0}

Measures (what a rep is credited with in the period):

- ``bookings`` (Sales): amount of won deals they own, by close date; ``deal_types`` narrows.
- ``closed_pipeline`` (Marketing): amount of won deals, by close date, whose source is one
  of ``sources`` — every member of the plan is credited with the whole of it.
- ``net_expansion`` (Customer Success): change in ARR (12 x MRR) between the first and the
  last day of the period of the accounts they own that were paying on the first day:
  expansion less contraction and churn; new logos are not counted.

Reading a plan (:func:`load_comp_plan`) reports every mistake at once, each as FILE:LINE:
the file's shape and rules, and, given the store's :class:`StoreVocabulary`, every
``deal_types``, ``sources``, ``roles`` and SPIF ``products`` / ``deal_types`` value no row of
the store holds (in any period), with the nearest value it does hold: such a value can pay
nothing in any period, so it is an error rather than a warning. A field the store holds no
value of at all (say, no opportunity has a product) is not checked.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from revops.engines.planning.plan_file import PlanError, load_plan_file

DOCS = "docs/planning-comp.md"

Measure = Literal["bookings", "closed_pipeline", "net_expansion"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Tier(_Strict):
    start: float = Field(alias="from", ge=0, description="Attainment (1.0 = quota) from which the rate applies.")
    rate: float = Field(ge=0, description="Multiplier of the base rate (variable / quota): <1 decelerates, >1 accelerates.")


class Spiff(_Strict):
    name: str
    amount: float | None = Field(None, ge=0, description="Paid per qualifying deal.")
    rate: float | None = Field(None, ge=0, description="Share of a qualifying deal's amount.")
    products: list[str] | None = None
    deal_types: list[str] | None = None
    min_amount: float = Field(0, ge=0)

    @model_validator(mode="after")
    def _one_payment(self) -> Spiff:
        if (self.amount is None) == (self.rate is None):
            raise ValueError("give a SPIF either amount (per deal) or rate (share of the deal amount), one of them")
        return self


class Clawback(_Strict):
    months: int = Field(12, ge=1, description="A deal whose account churns within this many months of its "
                                              "close is clawed back.")
    share: float = Field(1.0, gt=0, le=1, description="Share of the deal's commission taken back.")


class CompPlan(_Strict):
    name: str
    roles: list[str] = []
    users: list[str] = []
    ote: float = Field(gt=0)
    base_share: float = Field(ge=0, le=1)
    quota: float | None = Field(None, gt=0, description="Annual; leave out to use each user's users.quota.")
    measure: Measure = "bookings"
    deal_types: list[str] | None = None
    sources: list[str] | None = None
    schedule: Literal["marginal", "tiered"] = "marginal"
    tiers: list[Tier] = Field(default_factory=lambda: [Tier(start=0.0, rate=1.0)])
    cap: float | None = Field(None, gt=0, description="Variable pay at most cap x target variable.")
    spiffs: list[Spiff] = []
    clawback: Clawback | None = None

    @field_validator("tiers")
    @classmethod
    def _tiers_ascending(cls, tiers: list[Tier]) -> list[Tier]:
        if not tiers:
            raise ValueError("give at least one tier (from: 0, rate: 1.0 pays the base rate throughout)")
        if tiers[0].start != 0:
            raise ValueError(f"the first tier must start from 0, not {tiers[0].start:g}")
        for a, b in zip(tiers, tiers[1:]):
            if b.start <= a.start:
                raise ValueError(f"tiers must start at increasing attainment: {b.start:g} follows {a.start:g}")
        return tiers

    @model_validator(mode="after")
    def _who_and_what(self) -> CompPlan:
        if not self.roles and not self.users:
            raise ValueError(f"plan {self.name!r} applies to nobody: give roles, users or both")
        if self.measure == "closed_pipeline" and not self.sources:
            raise ValueError(f"plan {self.name!r} measures closed_pipeline: list the opportunity sources it "
                             "credits, e.g. sources: inbound and webinar as a YAML list")
        return self

    @property
    def base(self) -> float:
        return self.ote * self.base_share

    @property
    def variable(self) -> float:
        return self.ote - self.base


class CompPlanFile(_Strict):
    currency: str | None = None
    plans: list[CompPlan] = Field(min_length=1)

    @field_validator("plans")
    @classmethod
    def _unique_names(cls, plans: list[CompPlan]) -> list[CompPlan]:
        seen: set[str] = set()
        for p in plans:
            if p.name in seen:
                raise ValueError(f"two plans are called {p.name!r}; names must be unique")
            seen.add(p.name)
        return plans


@dataclass(frozen=True)
class StoreVocabulary:
    """The values a plan's filters can match: what the store holds, in any period."""

    deal_types: frozenset[str]  # opportunities.type
    products: frozenset[str]  # opportunities.product
    sources: frozenset[str]  # opportunities.source
    roles: frozenset[str]  # users.role

    @classmethod
    def read(cls, con: Any) -> StoreVocabulary:
        """Distinct values from the store on connection ``con`` (DuckDB)."""
        def distinct(table: str, column: str) -> frozenset[str]:
            rows = con.execute(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
            return frozenset(str(r[0]) for r in rows)

        return cls(distinct("opportunities", "type"), distinct("opportunities", "product"),
                   distinct("opportunities", "source"), distinct("users", "role"))


def load_comp_plan(path: Path, vocabulary: StoreVocabulary | None = None) -> CompPlanFile:
    """The plan file at ``path``; one PlanError listing every mistake as FILE:LINE: what,
    including (with ``vocabulary``) values the store never holds (module docstring)."""
    from revops.model.loader import parse_yaml

    path = Path(path)
    problems: list[str] = []
    plans: CompPlanFile | None = None
    try:
        plans = load_plan_file(path, CompPlanFile)
    except PlanError as exc:
        if not path.exists():
            raise PlanError(f"no comp plan file at {path}; write one ({DOCS} has an example)") from None
        problems = [line.replace("docs/planning.md", DOCS) for line in str(exc).splitlines() if line.strip()]
    tree, issues = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    if issues or not isinstance(tree, dict):
        raise PlanError("\n".join(problems) + f"\n(the plan file is described in {DOCS})")
    if plans is None:  # rules pydantic skips once a field is wrong: check them anyway
        problems += [p for p in _plan_rules(tree, path) if not any(_what(p) in q for q in problems)]
    if vocabulary is not None:
        problems += _unknown_values(tree, path, vocabulary)
    if problems:
        problems.sort(key=_line_of)
        raise PlanError("\n".join(problems) + f"\n(the plan file is described in {DOCS})")
    assert plans is not None
    return plans


def _what(problem: str) -> str:
    return problem.split(": ", 2)[-1]


def _line_of(problem: str) -> int:
    found = re.match(r"^.*?:(\d+):", problem)
    return int(found.group(1)) if found else 0


def _plans(tree: Any) -> list[tuple[int, dict]]:
    plans = tree.get("plans") if isinstance(tree, dict) else None
    return [(i, p) for i, p in enumerate(plans) if isinstance(p, dict)] if isinstance(plans, list) else []


def _plan_rules(tree: Any, path: Path) -> list[str]:
    """The whole-plan rules of :class:`CompPlan` and :class:`CompPlanFile`, on the raw file."""
    from revops.model.loader import locate_line

    out, seen = [], set()
    for i, plan in _plans(tree):
        name = plan.get("name")
        where = f"{path}:{locate_line(tree, ('plans', i))}: plans.{i}"
        if not plan.get("roles") and not plan.get("users"):
            out.append(f"{where}: plan {name!r} applies to nobody: give roles, users or both")
        if plan.get("measure") == "closed_pipeline" and not plan.get("sources"):
            out.append(f"{where}: plan {name!r} measures closed_pipeline: list the opportunity sources it "
                       "credits, e.g. sources: inbound and webinar as a YAML list")
        if name in seen:
            out.append(f"{path}:{locate_line(tree, ('plans', i, 'name'))}: plans.{i}.name: two plans are "
                       f"called {name!r}; names must be unique")
        seen.add(name)
    return out


def _unknown_values(tree: Any, path: Path, vocabulary: StoreVocabulary) -> list[str]:
    """Every filter value no row of the store holds, at its line."""
    from revops.model.loader import locate_line

    checks = [("deal_types", vocabulary.deal_types, "no deal in the store has type"),
              ("sources", vocabulary.sources, "no deal in the store has source"),
              ("roles", vocabulary.roles, "no user in the store has role")]
    spiff_checks = [("products", vocabulary.products, "no deal in the store has product"),
                    ("deal_types", vocabulary.deal_types, "no deal in the store has type")]
    out = []

    def check(node: Any, loc: tuple, known: frozenset[str], what: str) -> None:
        if not known or not isinstance(node, list):
            return
        for k, value in enumerate(node):
            if isinstance(value, str) and value not in known:
                out.append(f"{path}:{locate_line(tree, loc + (k,))}: {'.'.join(map(str, loc))}.{k}: "
                           f"{what} {value!r}; {_suggest(value, known)}")

    for i, plan in _plans(tree):
        for key, known, what in checks:
            check(plan.get(key), ("plans", i, key), known, what)
        spiffs = plan.get("spiffs")
        for j, spiff in enumerate(spiffs if isinstance(spiffs, list) else []):
            if isinstance(spiff, dict):
                for key, known, what in spiff_checks:
                    check(spiff.get(key), ("plans", i, "spiffs", j, key), known, what)
    return out


def _suggest(value: str, known: frozenset[str]) -> str:
    same_case = [k for k in known if k.lower() == value.lower()]
    close = same_case or difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.8) or [
        k for k in sorted(known) if value.lower() in k.lower() or k.lower() in value.lower()][:1]
    if close:
        return f"did you mean {close[0]!r}?"
    listed = sorted(known)
    return "the store has " + ", ".join(repr(k) for k in listed[:10]) + (", ..." if len(listed) > 10 else "")
