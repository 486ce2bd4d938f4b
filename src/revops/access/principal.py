"""``Principal``: the holder of an API key, and the records its role lets it see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

READERS_OF_EVERYTHING = ("admin", "ops")


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: str
    """admin, ops, manager or rep."""
    user_id: str | None = None
    owners: frozenset[str] | None = None
    """The owner ids whose records this key sees; None: every record (admin, ops)."""
    name: str | None = None
    """The user's name (or the key's label) for pages and the audit log."""

    @property
    def sees_everything(self) -> bool:
        return self.owners is None

    def sees(self, owner_id: str | None) -> bool:
        """Whether a record owned by ``owner_id`` is in scope (an unowned record: admin and ops only)."""
        return self.owners is None or (owner_id is not None and owner_id in self.owners)

    def may(self, *roles: str) -> bool:
        return self.role in roles

    def metric_where(self) -> str | None:
        """The scope as a filter in the model's expression language, on the ``owner`` dimension."""
        if self.owners is None:
            return None
        return f"owner in ({_listed(self.owners)})"

    def sql_filter(self, column: str = "owner_id") -> tuple[str, list[Any]]:
        """The scope as SQL on ``column`` with its parameters: ('TRUE', []) for everything."""
        if self.owners is None:
            return "TRUE", []
        return f"{column} IN (SELECT unnest(?::VARCHAR[]))", [sorted(self.owners)]

    def describe(self) -> str:
        who = self.name or self.user_id or self.key_id
        return f"{who} ({self.role})"


def _listed(values: frozenset[str]) -> str:
    return ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in sorted(values))
