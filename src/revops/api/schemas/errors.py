"""The error answer every endpoint shares (see ``revops.api.errors``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str = Field(description="The failing field, dotted for nested values ('body' for the whole payload).")
    message: str
    type: str


class ErrorAnswer(BaseModel):
    """An error: what went wrong in words and, for 422, each failing field."""

    detail: str
    errors: list[FieldError]
