"""What every section of revops.yaml shares: unknown keys are errors, keys are snake_case."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_key(value: str) -> str:
    if not _KEY.match(value):
        raise ValueError(
            f"{value!r} is not a valid key: use lower_snake_case letters, digits and '_' "
            "starting with a letter (e.g. 'closed_won')"
        )
    return value


Key = Annotated[
    str, AfterValidator(_check_key), WithJsonSchema({"type": "string", "pattern": _KEY.pattern}),
]
"""A machine name used in data and references: lower_snake_case."""


class Section(BaseModel):
    """Base of every part of the revenue model: typed, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)
