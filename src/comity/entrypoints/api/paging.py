"""The one paging shape of every API list: ``?limit=&cursor=`` in, ``{"items", "next"}`` out.

``next`` is an opaque cursor (keyset: the key of the last item shown) to give back as ``cursor``
for the page after, or null on the last page (docs/adr/0011-one-paging-shape.md). The query
parameters are published with the exact bounds and pattern the service checks, so clients and
Schemathesis know what is accepted; the service still checks them in its own words (ADR 0007).
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from comity.services.paging import CURSOR_PATTERN, DEFAULT_PAGE, MAX_CURSOR, MAX_PAGE

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, in the list's own order."""

    items: list[T]
    next: str | None = Field(
        description="Give back as `cursor` for the next page; null when this page is the last"
    )


#: Items a page (published bounds; the service says the same in one sentence).
Limit = Annotated[
    int,
    Query(
        description=f"items a page, 1 to {MAX_PAGE}",
        json_schema_extra={"minimum": 1, "maximum": MAX_PAGE},
    ),
]
DEFAULT_LIMIT = DEFAULT_PAGE

#: Where the page starts: the ``next`` of the previous page.
Cursor = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR,
        pattern=CURSOR_PATTERN,
        description="the `next` of the previous page (opaque; absent for the first page)",
    ),
]
