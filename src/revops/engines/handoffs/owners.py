"""Who takes an expansion signal: the account's owner while they work here; when they do not
(``users.active`` false, or an end_date passed), their first active manager up the chain
(``owner_fallback: manager``, the routing engine's ``manager_of``), else the queue.

The user rules are the routing engine's (:class:`RoutingState`): an unknown ``active`` counts
as active, a manager who left is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from revops.engines.routing.state import RoutingState


@dataclass(frozen=True)
class Assignee:
    owner_id: str
    kind: str
    """user or queue"""
    reason: str


class SignalRouter:
    def __init__(self, con: Any, model: Any) -> None:
        cur = con.execute("SELECT * FROM users")
        names = [d[0] for d in cur.description]
        users = [dict(zip(names, row)) for row in cur.fetchall()]
        self.state = RoutingState(model, users=users)
        self.settings = model.handoffs.expansion

    def assign(self, signal: Any, account_owner: str | None, day: date) -> Assignee:
        queue = signal.queue or self.settings.queue
        if signal.route_to == "queue":
            return Assignee(queue, "queue", f"the signal goes to the queue {queue}")
        if not account_owner:
            return Assignee(queue, "queue", f"the account has no owner: queue {queue}")
        rep = self.state.reps.get(str(account_owner))
        if rep is None:
            return Assignee(queue, "queue", f"owner {account_owner} is not a user: queue {queue}")
        if self.state.is_employed(rep, day):
            return Assignee(rep.user_id, "user", f"account owner {rep.user_id}")
        if self.settings.owner_fallback == "manager":
            manager = self.state.manager_of(rep)
            if manager is not None and self.state.is_employed(manager, day):
                return Assignee(manager.user_id, "user",
                                f"owner {rep.user_id} is inactive: their manager {manager.user_id}")
        return Assignee(queue, "queue", f"owner {rep.user_id} is inactive: queue {queue}")
