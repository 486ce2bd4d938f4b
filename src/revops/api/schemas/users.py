"""A change to a user, as ``PATCH /v1/users/{user_id}`` takes it: any users field but the id."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, create_model

from revops.api.schemas.leads import _field
from revops.store import schema


class _UserChangeBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def changes(self) -> dict:
        return self.model_dump(exclude_unset=True)


UserChange = create_model(
    "UserChange",
    __base__=_UserChangeBase,
    __doc__="Fields of a users row to change, e.g. {\"active\": false} or {\"out_of_office\": true}.",
    **{f.name: _field(f, optional=True) for f in schema.table("users").fields if f.name != "user_id"},
)
