"""Reads that an engine refuses — an unknown metric, dimension, period, SLA or rule, a filter
that does not parse, a day that is not a day — answer 422 with the engine's own message,
which says what was wrong and what to write instead. A day beyond what dates can hold (year
9999 plus a day) is refused the same way.

    with refused_as_422():
        rows = metric_rows(...)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException

from revops.errors import RevopsError


@contextmanager
def refused_as_422() -> Iterator[None]:
    try:
        yield
    except RevopsError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    except OverflowError as exc:
        raise HTTPException(422, detail=f"a day or moment out of range ({exc}): use a day between "
                                        "1900-01-01 and 2999-12-31") from None
