"""The one paging shape of every API list: ``?limit=&cursor=`` in, ``{"items", "next"}`` out.

``next`` is an opaque cursor (keyset: the key of the last item shown) to give back as ``cursor``
for the page after, or null on the last page (docs/adr/0011-one-paging-shape.md). The query
parameters are published with the exact bounds and pattern the service checks, so clients and
Schemathesis know what is accepted; the service still checks them in its own words (ADR 0007).
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Response
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


def page_answer(page: Page[Any], *, exclude_unset: bool = False) -> Response:
    """``page`` as FastAPI sends a ``response_model=Page[...]`` answer, made in the endpoint.

    FastAPI validates and serialises a plain endpoint's return value in a trip of its own to the
    thread pool (``serialize_response``); the queue, the due list and the demand list return
    this instead, serialised in the thread that built the page. A trip costs little on an idle
    server, but under load each one waits for a thread and then for the event loop behind every
    other runnable thread (docs/benchmarks.md, issue 20, fourth pass). The bytes are the same:
    Pydantic's JSON of the page, by alias, as the route's ``response_model_exclude_unset`` says;
    the route keeps its ``response_model`` for the OpenAPI document.
    """
    body = page.model_dump_json(by_alias=True, exclude_unset=exclude_unset)
    return Response(content=body, media_type="application/json")
