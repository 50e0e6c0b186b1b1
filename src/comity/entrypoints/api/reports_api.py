"""``/reports/transparency``: the transparency report's figures, for staff."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from comity.domain.inputs import Day
from comity.services.transparency import transparency_report

from .schemas import ERRORS
from .security import Caller

router = APIRouter(prefix="/reports", tags=["reports"], responses=ERRORS)


@router.get(
    "/transparency",
    response_model=dict[str, Any],
    responses={
        200: {
            "content": {"text/csv": {}, "text/markdown": {}},
            "description": "The figures as JSON (default), CSV or Markdown.",
        }
    },
)
def transparency(
    request: Request,
    user: Caller,
    start: Annotated[Day, Query(description="First day (UTC), inclusive; 1970 to 2199.")],
    end: Annotated[Day, Query(description="Last day (UTC), inclusive; 1970 to 2199.")],
    format: Annotated[Literal["json", "csv", "markdown"], Query()] = "json",
) -> Any:
    """Requests received in the period, per country and legal process, and their outcomes."""
    report = transparency_report(request.app.state.comity.reader, user, start, end)
    if format == "csv":
        return Response(report.to_csv(), media_type="text/csv; charset=utf-8")
    if format == "markdown":
        return Response(report.to_markdown(), media_type="text/markdown; charset=utf-8")
    return report.to_document()
