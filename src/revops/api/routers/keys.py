"""``/v1/keys`` and ``/v1/audit``: API keys made and revoked while the server runs (admin keys
only), and the audit log of writes (admin and ops)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from revops.access import ROLES, KeyError_, create_key, list_keys, revoke_key
from revops.access.audit import audit_entry, read_audit, write_audit
from revops.api.deps import PrincipalDep, ServicesDep, allow
from revops.api.schemas.errors import ErrorAnswer
from revops.store.store import utcnow

router = APIRouter(tags=["keys and audit"])


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: str = Field(description=f"One of {', '.join(ROLES)}.", json_schema_extra={"enum": list(ROLES)})
    user_id: str | None = Field(None, max_length=200, description="The user the key belongs to (manager and rep keys).")
    label: str | None = Field(None, max_length=200, description="What the key is for.")


class KeyMade(BaseModel):
    key: str = Field(description="The key itself: shown this once, only its hash is stored.")
    key_id: str
    role: str
    user_id: str | None
    label: str | None


class KeyInfo(BaseModel):
    key_id: str
    role: str
    user_id: str | None
    label: str | None
    created_at: Any
    created_by: str | None
    revoked_at: Any
    revoked_by: str | None


class AuditEntry(BaseModel):
    audit_id: str
    changed_at: Any
    key_id: str | None
    actor_user_id: str | None
    role: str
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    source: str | None


@contextmanager
def _transaction(con: Any, *, refused: int) -> Iterator[Any]:
    """A key's change and its audit row in one transaction; a KeyError_ answers ``refused``."""
    con.execute("BEGIN")
    try:
        yield con
        con.execute("COMMIT")
    except KeyError_ as exc:
        con.execute("ROLLBACK")
        raise HTTPException(refused, detail=str(exc)) from None
    except BaseException:
        con.execute("ROLLBACK")
        raise


@router.get("/keys", response_model=list[KeyInfo], summary="Every API key (never the key itself)",
            responses={403: {"model": ErrorAnswer}})
def get_keys(principal: PrincipalDep, services: ServicesDep) -> list[dict[str, Any]]:
    allow(principal, "admin", doing="list API keys")
    with services.reader() as reader:
        return list_keys(reader.con)


@router.post("/keys", response_model=KeyMade, status_code=201, summary="Make an API key (shown once)",
             responses={403: {"model": ErrorAnswer}, 422: {"model": ErrorAnswer}})
def post_key(body: KeyIn, principal: PrincipalDep, services: ServicesDep) -> dict[str, Any]:
    allow(principal, "admin", doing="make API keys")
    with services.reader() as reader, _transaction(reader.con, refused=422) as con:
        made = create_key(con, body.role, user_id=body.user_id, label=body.label, created_by=principal.describe())
        shown = {k: v for k, v in made.items() if k != "key"}
        write_audit(con, [audit_entry(principal, "key.create", "_api_keys", made["key_id"], before=None,
                                      after=shown, at=utcnow(), source="POST /v1/keys")])
    services.keys.added(made)
    return made


@router.post("/keys/{key_id}/revoke", response_model=KeyInfo, summary="Revoke an API key, at once",
             responses={403: {"model": ErrorAnswer}, 404: {"model": ErrorAnswer}})
def post_revoke(key_id: str, principal: PrincipalDep, services: ServicesDep) -> dict[str, Any]:
    allow(principal, "admin", doing="revoke API keys")
    with services.reader() as reader, _transaction(reader.con, refused=404) as con:
        before = next((k for k in list_keys(con) if k["key_id"] == key_id), None)
        after = revoke_key(con, key_id, revoked_by=principal.describe())
        write_audit(con, [audit_entry(principal, "key.revoke", "_api_keys", key_id, before=before, after=after,
                                      at=utcnow(), source="POST /v1/keys/{key_id}/revoke")])
    services.keys.revoked(key_id)
    return after


@router.get("/audit", response_model=list[AuditEntry], summary="The audit log of writes, newest first",
            responses={403: {"model": ErrorAnswer}})
def get_audit(principal: PrincipalDep, services: ServicesDep,
              entity: str | None = Query(None, max_length=100, description="leads, opportunities, users or _api_keys."),
              entity_id: str | None = Query(None, max_length=200),
              limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    allow(principal, "admin", "ops", doing="read the audit log")
    with services.reader() as reader:
        return read_audit(reader.con, entity=entity, entity_id=entity_id, limit=limit)
