"""A signed hold instruction's body, as the control plane would issue it, for tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from comity.domain.accounts import Selector
from comity.domain.categories import Category
from comity.domain.hold_instruction import HoldAction, HoldInstruction


def place_instruction(at: datetime, **changes: object) -> HoldInstruction:
    """An instruction issued ``at`` to place case-1's 90-day hold on msn-1's content in eu-ie;
    ``changes`` replace any field."""
    base = HoldInstruction(
        id="hin-1",
        action=HoldAction.PLACE,
        hold_id="case-1/hold-1",
        case_id="case-1",
        account_id="msn-1",
        selectors=(Selector("email", "target@msn.example"),),
        categories=(Category.CONTENT,),
        region="eu-ie",
        placed_at=at,
        expires_at=at + timedelta(days=90),
        released_at=None,
        issued_at=at,
        issuer="control-plane",
    )
    return replace(base, **changes)  # type: ignore[arg-type]
