"""Paging of list answers: ``?limit=`` with either ``?cursor=`` (keyset: the page after the
last key seen, stable while records are added) or ``?offset=``.

    page: PageDep                       # a router parameter
    rows = page_of(reader, "SELECT * FROM leads", "lead_id", where, params, page)
    {"items": rows.items, "next": rows.next}

A cursor is opaque to the client: the last key of a page, base64 (URL-safe). A cursor that
does not decode is a 422 naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query

from revops.api.services import StoreReader

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class PageRequest:
    limit: int = 100
    cursor: str | None = None
    offset: int = 0

    def after(self) -> str | None:
        """The key the page starts after (from the cursor), None for the first page."""
        if not self.cursor:
            return None
        try:
            text = base64.urlsafe_b64decode(self.cursor.encode("ascii") + b"==").decode("utf-8")
        except (binascii.Error, UnicodeError, ValueError):
            text = ""
        if not text.startswith("k:"):
            raise HTTPException(422, detail=f"cursor {self.cursor!r} is not a cursor this API gave: pass the "
                                            "`next` of the previous page as it is, or leave it out")
        return text[2:]


def cursor_of(key: Any) -> str:
    return base64.urlsafe_b64encode(f"k:{key}".encode()).decode("ascii").rstrip("=")


async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most records on the page.")] = 100,
    cursor: Annotated[str | None, Query(max_length=512, description="The `next` of the previous page.")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Records to skip (instead of a cursor).")] = 0,
) -> PageRequest:
    if cursor and offset:
        raise HTTPException(422, detail="give either cursor or offset, not both")
    return PageRequest(limit, cursor, offset)


PageDep = Annotated[PageRequest, Depends(page_request)]


@dataclass(frozen=True)
class Rows:
    items: list[dict[str, Any]]
    next: str | None

    def answer(self) -> dict[str, Any]:
        return {"items": self.items, "next": self.next}


def page_of(reader: StoreReader, select: str, key: str, where: list[str], params: list[Any],
            page: PageRequest) -> Rows:
    """The page of ``select`` (``SELECT … FROM table``) under ``where`` (ANDed), in ``key`` order."""
    where, params = list(where), list(params)
    after = page.after()
    if after is not None:
        where.append(f"{key} > ?")
        params.append(after)
    sql = (f"{select} WHERE {' AND '.join(where) or 'TRUE'} ORDER BY {key} "
           f"LIMIT {page.limit + 1} OFFSET {page.offset}")
    rows = reader.query(sql, params)
    more = len(rows) > page.limit
    rows = rows[:page.limit]
    return Rows(rows, cursor_of(rows[-1][key]) if more and rows else None)


def slice_of(rows: list[dict[str, Any]], page: PageRequest) -> Rows:
    """The page of rows already in memory (an engine's answer), ordered as given; the cursor is
    the position of the next row."""
    start = page.offset
    if page.cursor:
        after = page.after()
        if after is None or not after.isdigit():
            raise HTTPException(422, detail=f"cursor {page.cursor!r} is not a cursor of this list")
        start = int(after)
    chunk = rows[start:start + page.limit]
    more = start + page.limit < len(rows)
    return Rows(chunk, cursor_of(start + page.limit) if more else None)
