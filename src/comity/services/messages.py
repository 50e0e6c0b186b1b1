"""Messages between a requester and the legal team about one demand (practice.md: Kodex offers
two-way messages). A requester reaches only their agency's demands, under the same rule as
``visible_demand`` (another agency's demand is a 404); auditors read but do not write.
"""

from __future__ import annotations

from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.console import MAX_MESSAGE_CHARS, Message
from comity.domain.registry import HANDLERS, User
from comity.errors import InvalidInput
from comity.services.identity import require
from comity.services.intake.demands import visible_record
from comity.services.ports import Clock
from comity.services.sign_in import ConsoleUowFactory


def post_message(
    uow_factory: ConsoleUowFactory, clock: Clock, actor: User, demand_id: str, body: str
) -> Message:
    """Add a message to the demand's thread, with its audit entry in the same transaction."""
    text = body.strip()
    if not text:
        raise InvalidInput("message: write something before sending")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            f"message: {len(text)} characters is over the limit of {MAX_MESSAGE_CHARS}"
        )
    if actor.is_staff:
        require(actor, HANDLERS)
    with uow_factory() as uow:
        visible_record(actor, uow.intake.get_demand(demand_id), demand_id)
        message = uow.console.add_message(demand_id, actor.id, actor.is_staff, text, uow.now)
        uow.audit.record(
            AuditEvent.of(
                uow.now,
                actor.id,
                AuditAction.DEMAND_MESSAGE_POSTED,
                f"demand/{demand_id}",
                message.to_document(),
            )
        )
        uow.commit()
    return message


def list_messages(uow_factory: ConsoleUowFactory, actor: User, demand_id: str) -> list[Message]:
    with uow_factory() as uow:
        visible_record(actor, uow.intake.get_demand(demand_id), demand_id)
        return list(uow.console.list_messages(demand_id))
