"""ETSI TS 103 120 (HI-1) in and out: the front door ``POST /hi1`` and ``comity demand import``
share (docs/etsi.md).

A message's bytes are decoded by the codec adapter (XML with defused entities, or JSON) and
answered by ``services.etsi.hi1`` in the ETSI unit of work, which opens each demand's case in the
call that files it (docs/workflow.md) when a law engine is given; the answer is encoded in the
form the sender used.
The entry points only read the request, make one call and write the bytes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from comity.adapters.controlplane.etsi_repo import etsi_uow_factory
from comity.adapters.etsi import codec
from comity.domain.registry import User
from comity.services.cases.actions import LawContext
from comity.services.etsi import hi1
from comity.services.etsi.message import Element
from comity.services.etsi.ports import EtsiUowFactory
from comity.services.intake.demands import MAX_FILE_BYTES

if TYPE_CHECKING:
    from comity.bootstrap import Comity

FORMS = ("xml", "json")


def encode(message: Element, form: str) -> bytes:
    """An HI-1 message as XML or JSON bytes (``form`` is one of ``FORMS``)."""
    return codec.to_xml(message) if form == "xml" else codec.to_json(message)


@dataclass(frozen=True)
class Hi1Reply:
    """The encoded HI-1 answer, in the sender's form, and what Comity did."""

    body: bytes
    form: str
    demand_ids: tuple[str, ...]
    warnings: tuple[str, ...]
    created: bool


@dataclass(frozen=True)
class Hi1Gateway:
    """The HI-1 feature wired to a deployment."""

    comity: Comity

    @cached_property
    def _uow(self) -> EtsiUowFactory:
        c = self.comity
        return etsi_uow_factory(c.engine, c.clock.now, c.audit_signer)

    @cached_property
    def _read(self) -> EtsiUowFactory:
        """For what only reads (a status notification): no write lock on SQLite."""
        c = self.comity
        return etsi_uow_factory(c.read_engine, c.clock.now)

    def receive(
        self,
        actor: User,
        body: bytes,
        *,
        instrument: str | None = None,
        law: LawContext | None = None,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> Hi1Reply:
        """Answer one HI-1 request; with ``law``, open each filed demand's case at once."""
        c = self.comity
        parsed = codec.parse(body)
        answer = hi1.handle(
            self._uow,
            c.clock,
            actor,
            parsed,
            known_countries=c.known_countries,
            regions=[(r.id, r.country) for r in c.deployment.regions],
            instrument=instrument,
            max_file_bytes=max_file_bytes,
            law=law,
        )
        return Hi1Reply(
            body=encode(answer.message, parsed.form),
            form=parsed.form,
            demand_ids=tuple(i.record.id for i in answer.demands),
            warnings=answer.warnings,
            created=any(i.created for i in answer.demands) and not answer.replayed,
        )

    def status(self, actor: User, demand_id: str, form: str) -> bytes:
        """The HI-1 notification of an imported demand: each object's status now."""
        return encode(hi1.status_message(self._read, self.comity.clock, actor, demand_id), form)

    def delivery(
        self,
        actor: User,
        production_id: str,
        form: str,
        link: Callable[[], tuple[str, datetime | None]],
    ) -> bytes:
        """The DeliveryObject pointing at a new download link of a published production."""
        message = hi1.delivery_message(
            self._uow, self.comity.clock, actor, production_id, link=link
        )
        return encode(message, form)
