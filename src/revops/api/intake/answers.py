"""What the intake hands back to a request: an answer (JSON bytes, replayed or not) or a
rejection with the fields at fault, and the JSON encoding shared by answers and reads."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from revops.errors import RevopsError


@dataclass(frozen=True)
class Answer:
    lead_id: str | None
    body: bytes
    replayed: bool = False


class Rejection(RevopsError):
    """A request the intake refused: ``status`` (404, 422…) and (field, message) pairs."""

    def __init__(self, status: int, detail: str, errors: list[tuple[str, str, str]] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.errors = errors or []

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail,
                "errors": [{"field": f, "message": m, "type": t} for f, m, t in self.errors]}


class Unavailable(RevopsError):
    """The intake cannot take the request now (stopped, or too many waiting): 503."""

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.detail, self.retry_after = detail, retry_after


def iso(value: datetime) -> str:
    """A naive UTC instant as ISO 8601 with a Z."""
    return value.isoformat() + "Z" if value.tzinfo is None else value.isoformat()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


_ENCODE = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":")).encode


def encode(value: Any) -> bytes:
    """JSON bytes; times as ISO 8601 UTC with a Z, NaN as null."""
    return _ENCODE(_finite(value)).encode()


def encode_answer(value: dict[str, Any]) -> bytes:
    """An answer as JSON bytes: flat values without NaN (the intake builds them), so no walk."""
    return _ENCODE(value).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
