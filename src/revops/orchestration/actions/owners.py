"""Who a step gives a record or a task to.

``route`` runs the routing graph on the record from its start node, ``route:NODE`` from that
node; ``owner`` is the record's owner, ``manager`` the owner's manager (users.manager_id),
``account_owner`` the owner of the record's account; anything else is an expression over the
record giving a user id (``'u_12'``, ``owner_id``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from revops.errors import ExpressionError
from revops.model.expressions import parse
from revops.orchestration.actions.base import ActionError
from revops.orchestration.subjects import account_of, load_records

KEYWORDS = ("route", "owner", "manager", "account_owner")


@dataclass
class Placement:
    owner: str | None
    kind: str
    """user, queue, nurture or none (routing placed it nowhere)."""
    how: str
    decision: Any = None


class Owners:
    """Resolves owner specs for a batch of steps; ``con`` reads, ``router`` is built on first use."""

    def __init__(self, con: Any, router: Callable[[], Any]) -> None:
        self.con = con
        self._router = router
        self._users: dict[str, dict[str, Any]] | None = None

    def users(self) -> dict[str, dict[str, Any]]:
        if self._users is None:
            cur = self.con.execute("SELECT user_id, manager_id, email, name, team, active FROM users")
            self._users = {r[0]: {"manager_id": r[1], "email": r[2], "name": r[3], "team": r[4], "active": r[5]}
                           for r in cur.fetchall()}
        return self._users

    def place(self, spec: str, record: dict[str, Any], table: str, scope: dict[str, Any],
              at: datetime) -> Placement:
        spec = spec.strip()
        if spec == "owner":
            return Placement(record.get("owner_id"), "user", "the record's owner")
        if spec == "manager":
            user = self.users().get(record.get("owner_id") or "")
            if user is None or not user["manager_id"]:
                raise ActionError(f"the owner {record.get('owner_id')!r} has no manager in users", retryable=False)
            return Placement(user["manager_id"], "user", f"manager of {record.get('owner_id')}")
        if spec == "account_owner":
            account = account_of(record, table)
            owner = (load_records(self.con, "accounts", [account]).get(account) or {}).get("owner_id") if account else None
            if owner is None:
                raise ActionError(f"the record's account {account!r} has no owner", retryable=False)
            return Placement(owner, "user", f"owner of account {account}")
        if spec == "route" or spec.startswith("route:"):
            node = spec.split(":", 1)[1].strip() if ":" in spec else None
            return self._route(record, table, at, node)
        try:
            value = parse(spec).evaluate(scope)
        except ExpressionError as exc:
            raise ActionError(str(exc), retryable=False) from None
        if value is None or value == "":
            raise ActionError(f"{spec!r} gives no user for this record", retryable=False)
        return Placement(str(value), "user", spec)

    def _route(self, record: dict[str, Any], table: str, at: datetime, node: str | None) -> Placement:
        router = self._router()
        lead = dict(record)
        if table != "leads":  # an account (or deal) routed by its fields: company size, country, segment
            lead.setdefault("company", record.get("name"))
            lead.setdefault("company_size", record.get("employees"))
            lead["lead_id"] = None
        try:
            decision = router.route(lead, at, trigger="workflow", start=node)
        except KeyError as exc:
            raise ActionError(f"routing: {exc}", retryable=False) from None
        kind = decision.assigned_kind
        owner = decision.assigned_to if kind in ("user", "queue") else None
        how = " -> ".join(decision.path)
        return Placement(owner, kind, f"routing: {how}", decision if table == "leads" else None)
