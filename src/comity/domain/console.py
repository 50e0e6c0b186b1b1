"""Values of the web console and portal: signed-in sessions and the messages on a demand.

A session is a random token held by the browser in an HttpOnly cookie; the control plane keeps
only its SHA-256 (as for API tokens), so a copy of the database opens no one's session. Each
session carries its own CSRF token, which every form posts back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: Messages are notes between a requester and the legal team, not documents; 8000 characters
#: is a long letter.
MAX_MESSAGE_CHARS = 8000


@dataclass(frozen=True)
class WebSession:
    token_hash: str
    user_id: str
    csrf: str
    created_at: datetime
    expires_at: datetime

    def is_live(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True)
class Message:
    """One message on a demand's thread, from the requester's side or the legal team's."""

    id: int
    demand_id: str
    author_id: str
    from_staff: bool
    body: str
    created_at: datetime

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "demand_id": self.demand_id,
            "author": self.author_id,
            "from_staff": self.from_staff,
            "body": self.body,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class TotpEnrolment:
    user_id: str
    secret: str
    #: The last RFC 6238 time step accepted, so a code seen once cannot be replayed.
    last_step: int
