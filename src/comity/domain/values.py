"""Shared base for the workflow's persisted values: frozen Pydantic models and UTC instants.

Frozen models dump to plain JSON (``model_dump(mode="json")``) and load back
(``model_validate``), which is all the integrator needs to store them. A naive time is refused:
a deadline computed from one would be wrong by the offset of whoever typed it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

from comity.errors import InvalidInput


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it: not a time we can hold
        raise ValueError(f"{value.isoformat()} is outside the times Comity can hold") from None


#: A timezone-aware instant, normalised to UTC.
Instant = Annotated[AwareDatetime, AfterValidator(_to_utc)]


class Frozen(BaseModel):
    """Immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def require_aware(now: datetime, field: str = "now") -> datetime:
    """``now`` itself, or a clear error if it has no time zone (time is an input, never read)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput(f"{field}: a time zone is required (got {now.isoformat()})")
    return now
