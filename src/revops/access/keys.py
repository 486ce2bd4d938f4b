"""API keys: made once, stored as hashes, resolved per request to a ``Principal``.

A key reads ``rvk_<key_id>_<secret>``: the id finds the row, the SHA-256 of the whole key is
compared in constant time. ``KeyRing`` holds the live keys in memory for the server (a
request's check is a dict lookup and one hash), with each manager's team worked out from the
users and teams tables.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from revops.access.principal import Principal
from revops.errors import RevopsError
from revops.store.store import utcnow

ROLES = ("admin", "ops", "manager", "rep")
PREFIX = "rvk_"
ENV_KEY_ID = "env"
"""The key id of REVOPS_API_TOKEN, which acts as an admin key."""


class KeyError_(RevopsError):
    """A key cannot be made or revoked as asked (unknown role, a user missing, an unknown key)."""


@dataclass(frozen=True)
class KeyRow:
    key_id: str
    key_hash: str
    role: str
    user_id: str | None
    label: str | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(store: Any, role: str, *, user_id: str | None = None, label: str | None = None,
               created_by: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Make a key, store its hash, and return ``{"key", "key_id", "role", "user_id"}``: the
    key itself is never readable again."""
    con = store.con if hasattr(store, "con") else store
    check_role(role, user_id)
    if user_id is not None:
        found = con.execute("SELECT role FROM users WHERE user_id = ?", [user_id]).fetchall()
        if not found:
            raise KeyError_(f"no user {user_id!r} in the store; a key's --user must be a users.user_id "
                            "(see `revops tables` / the users table)")
    key_id = secrets.token_hex(4)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
    con.execute("INSERT INTO _api_keys (key_id, key_hash, role, user_id, label, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", [key_id, hash_key(key), role, user_id, label, now or utcnow(),
                                                 created_by])
    return {"key": key, "key_id": key_id, "role": role, "user_id": user_id, "label": label}


def check_role(role: str, user_id: str | None) -> None:
    if role not in ROLES:
        raise KeyError_(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role in ("manager", "rep") and not user_id:
        raise KeyError_(f"a {role} key needs --user USER_ID: it sees only "
                        f"{'their team' if role == 'manager' else 'their own'} records")


def list_keys(store: Any) -> list[dict[str, Any]]:
    con = store.con if hasattr(store, "con") else store
    cur = con.execute("SELECT key_id, role, user_id, label, date_trunc('second', created_at) AS created_at, "
                      "created_by, date_trunc('second', revoked_at) AS revoked_at, revoked_by "
                      "FROM _api_keys ORDER BY created_at, key_id")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def revoke_key(store: Any, key_id: str, *, revoked_by: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    con = store.con if hasattr(store, "con") else store
    rows = con.execute("SELECT revoked_at FROM _api_keys WHERE key_id = ?", [key_id]).fetchall()
    if not rows:
        raise KeyError_(f"no key {key_id!r}; `revops keys list` shows the key ids")
    if rows[0][0] is None:
        con.execute("UPDATE _api_keys SET revoked_at = ?, revoked_by = ? WHERE key_id = ?",
                    [now or utcnow(), revoked_by, key_id])
    return next(k for k in list_keys(con) if k["key_id"] == key_id)


def team_members(con: Any, manager_id: str) -> frozenset[str]:
    """The users a manager sees: themselves, who reports to them (manager_id, at any depth),
    and the members of the teams they manage (teams.manager_id, sub-teams included)."""
    rows = con.execute("""
        WITH RECURSIVE managed(name, team_id) AS (
            SELECT name, team_id FROM teams WHERE manager_id = $m
            UNION SELECT t.name, t.team_id FROM teams t JOIN managed m ON t.parent_team_id = m.team_id
        ), reports(user_id) AS (
            SELECT user_id FROM users WHERE manager_id = $m
            UNION SELECT u.user_id FROM users u JOIN reports r ON u.manager_id = r.user_id
        )
        SELECT user_id FROM reports
        UNION SELECT user_id FROM users WHERE team IN (SELECT name FROM managed)
        UNION SELECT $m""", {"m": manager_id}).fetchall()
    return frozenset(r[0] for r in rows)


class KeyRing:
    """The live (not revoked) keys, in memory; ``principal(key)`` per request."""

    def __init__(self, rows: list[KeyRow], env_token: str | None = None) -> None:
        self._rows = {r.key_id: r for r in rows}
        self._env_hash = hash_key(env_token) if env_token else None
        self._principals: dict[str, Principal] = {}
        self._lock = threading.Lock()
        self._con: Any = None

    @classmethod
    def load(cls, store: Any, env_token: str | None = None) -> KeyRing:
        con = store.con if hasattr(store, "con") else store
        rows = [KeyRow(*r) for r in con.execute(
            "SELECT key_id, key_hash, role, user_id, label FROM _api_keys WHERE revoked_at IS NULL").fetchall()]
        ring = cls(rows, env_token)
        ring._con = con
        return ring

    @property
    def empty(self) -> bool:
        return not self._rows and self._env_hash is None

    def principal(self, key: str) -> Principal | None:
        """The holder of ``key``, or None when it is no live key."""
        if self._env_hash is not None and hmac.compare_digest(hash_key(key), self._env_hash):
            return Principal(ENV_KEY_ID, "admin", name="REVOPS_API_TOKEN")
        if not key.startswith(PREFIX):
            return None
        key_id = key[len(PREFIX):].partition("_")[0]
        row = self._rows.get(key_id)
        if row is None or not hmac.compare_digest(hash_key(key), row.key_hash):
            return None
        found = self._principals.get(key_id)
        if found is None:
            found = self._principals[key_id] = self._resolve(row)
        return found

    def added(self, key: dict[str, Any]) -> None:
        """A key made while the server runs (POST /v1/keys)."""
        self._rows[key["key_id"]] = KeyRow(key["key_id"], hash_key(key["key"]), key["role"], key["user_id"],
                                           key.get("label"))

    def revoked(self, key_id: str) -> None:
        self._rows.pop(key_id, None)
        self._principals.pop(key_id, None)

    def users_changed(self) -> None:
        """Teams may have changed: work the scopes out again on next use."""
        self._principals = {}

    def _resolve(self, row: KeyRow) -> Principal:
        name = row.label
        owners: frozenset[str] | None = None
        if row.user_id is not None and self._con is not None:
            with self._lock:
                cur = self._con.cursor()
                try:
                    named = cur.execute("SELECT name FROM users WHERE user_id = ?", [row.user_id]).fetchall()
                    if row.role == "manager":
                        owners = team_members(cur, row.user_id)
                finally:
                    cur.close()
            name = named[0][0] if named and named[0][0] else name
        if row.role == "rep":
            owners = frozenset([row.user_id]) if row.user_id else frozenset()
        elif row.role == "manager" and owners is None:
            owners = frozenset([row.user_id]) if row.user_id else frozenset()
        return Principal(row.key_id, row.role, row.user_id, owners, name or row.key_id)
