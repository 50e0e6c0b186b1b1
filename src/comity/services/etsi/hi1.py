"""HI-1 requests in, answers out: import through intake, GET status, GETCSPCONFIG, notify, deliver.

The sender in the header must be a registered authority (registry id ``<country>-<identifier>``,
lower case); a sender with keys in the registry must sign, and a JSON message's JWS is verified
against those keys. Every check that can refuse the message runs before anything is stored; the
demands then go through ``services.intake.demands.submit_demand`` one by one, so
every intake check (the
requester's and agency's standing, emergency permission, fraud signs, idempotency by reference)
applies exactly as to Comity's own JSON. The HI-1 object map and its audit event are written in
one transaction afterwards; re-sending the same transaction returns the same answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.intake import DemandRecord, DemandStatus
from comity.domain.registry import (
    AUTHORITY_ID,
    HANDLERS,
    READERS,
    Authority,
    AuthorityStatus,
    User,
)
from comity.domain.workflow import Case
from comity.errors import Conflict, Forbidden, InvalidInput, NotFound, collect
from comity.services.cases import actions as cases
from comity.services.cases.actions import LawContext
from comity.services.etsi import answers
from comity.services.etsi.answers import ObjectState, PackageRef
from comity.services.etsi.mapping import Header, Plan, plan, read_header
from comity.services.etsi.message import Element, Hi1Message, JwsSignature
from comity.services.etsi.ports import EtsiObject, EtsiUnitOfWork, EtsiUowFactory
from comity.services.etsi.status import (
    Status,
    authorisation_status,
    ld_task_status,
    lp_task_status,
)
from comity.services.identity import require
from comity.services.intake import demands
from comity.services.ports import Clock


@dataclass(frozen=True)
class Imported:
    """One demand filed from one AuthorisationObject."""

    authorisation_id: str
    record: DemandRecord
    created: bool


@dataclass(frozen=True)
class Answer:
    """What the sender gets back (an HI-1 response) and what Comity did."""

    message: Element
    demands: tuple[Imported, ...]
    warnings: tuple[str, ...]
    replayed: bool = False


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_jws(jws: JwsSignature, authority: Authority) -> str:
    """The id of the sender's registered key that made the JWS; refuse anything else.

    Comity's registry holds Ed25519 keys, so the JWS must be ``EdDSA`` (RFC 8037); a ``kid`` in
    the protected header picks the key, otherwise each of the sender's keys is tried.
    """
    try:
        protected = json.loads(_b64url(jws.protected))
        signature = _b64url(jws.signature)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput("Signature: the JWS is not base64url-encoded JSON") from None
    if not isinstance(protected, dict):
        raise InvalidInput("Signature: the JWS protected header is not a JSON object")
    alg, kid = protected.get("alg"), protected.get("kid")
    if alg != "EdDSA":
        raise Forbidden(
            f"Signature: the JWS uses {alg!r}; Comity verifies EdDSA (Ed25519) signatures "
            f"against the keys registered for {authority.id}"
        )
    keys = [k for k in authority.keys if kid is None or k.key_id == kid]
    if not keys:
        raise Forbidden(f"Signature: key {kid!r} is not registered for {authority.id}")
    for key in keys:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.ed25519))
        try:
            public.verify(signature, jws.signing_input)
        except InvalidSignature:
            continue
        return key.key_id
    raise Forbidden(
        f"Signature: the JWS does not verify with the keys of {authority.id}; the message was "
        "changed or not signed by that sender"
    )


def _sender(uow: EtsiUnitOfWork, head: Header, actor: User) -> Authority:
    authority_id = head.authority_id
    authority = uow.intake.get_authority(authority_id) if AUTHORITY_ID.match(authority_id) else None
    if authority is None:
        raise Forbidden(
            f"Header.SenderIdentifier: the sender {head.sender} is not in the authority registry "
            f"(an authority with id {authority_id!r} is needed); its messages are refused"
        )
    if authority.status is AuthorityStatus.BLOCKLISTED:
        raise Forbidden(f"the sender {head.sender} ({authority.id}) is blocklisted")
    if not actor.is_staff and actor.agency_id != authority.id:
        raise Forbidden(
            f"Header.SenderIdentifier: the message is from {head.sender} ({authority.id}) but "
            f"{actor.id} acts for {actor.agency_id}"
        )
    return authority


def _signature(message: Hi1Message, authority: Authority, head: Header) -> str | None:
    if message.xml_signature:
        raise InvalidInput(
            "Signature: Comity cannot verify XML signatures (ds:Signature) yet; send the message "
            "as JSON signed with an EdDSA JWS, with a key registered for "
            f"{authority.id}"
        )
    if message.jws is not None:
        return verify_jws(message.jws, authority)
    if authority.keys:
        raise Forbidden(
            f"Signature: the sender {head.sender} ({authority.id}) has signing keys registered, so "
            "its messages must be signed; this one is not"
        )
    return None


def handle(
    uow_factory: EtsiUowFactory,
    clock: Clock,
    actor: User,
    message: Hi1Message,
    *,
    known_countries: frozenset[str],
    regions: Sequence[tuple[str, str]],
    instrument: str | None = None,
    max_file_bytes: int = demands.MAX_FILE_BYTES,
    law: LawContext | None = None,
) -> Answer:
    """Answer one HI-1 request message: CREATE (import), GET (status), GETCSPCONFIG.

    Each imported demand is filed by ``cases.file_demand``, which opens its case (assessed by
    ``law``) in the same call, as the API and the portal file one; without ``law`` the cases
    wait for ``comity`` to open them."""
    if actor.is_staff:
        require(actor, HANDLERS)
    if message.extra:
        raise InvalidInput(
            f"{', '.join(message.extra)}: not part of an HI1Message (expected Header, Payload, "
            "Signature); Comity does not support multiple signatures"
        )
    head = read_header(message.root)
    now = clock.now()
    with uow_factory() as uow:
        authority = _sender(uow, head, actor)
        key_id = _signature(message, authority, head)
        done = list(uow.etsi.for_transaction(authority.id, head.transaction_id))
    the_plan = plan(message.root, authority, now=now, instrument=instrument)
    if done:
        return _replay(uow_factory, clock, head, the_plan, done, regions=regions)
    collect(the_plan.problems)
    _precheck(
        uow_factory,
        actor,
        authority,
        the_plan,
        known_countries=known_countries,
        max_file_bytes=max_file_bytes,
    )
    imported: list[Imported] = []
    for planned in the_plan.demands:
        file = (
            demands.LegalProcessFile(planned.legal_process.filename, planned.legal_process.content)
            if planned.legal_process
            else None
        )
        body = json.dumps(planned.document).encode("utf-8")
        submission = demands.Submission(body, file, None, authority.id if actor.is_staff else None)
        record, created = cases.file_demand(
            uow_factory,
            clock,
            actor,
            submission,
            known_countries=known_countries,
            vocabulary=None,
            law=law,
            max_file_bytes=max_file_bytes,
        )
        imported.append(Imported(planned.authorisation_id, record, created))
    objects = (
        _record(uow_factory, now, actor, head, authority, the_plan, imported, key_id)
        if imported
        else []
    )
    return _answer(
        uow_factory,
        clock,
        head,
        the_plan,
        objects,
        imported=imported,
        replayed=False,
        regions=regions,
    )


def _precheck(
    uow_factory: EtsiUowFactory,
    actor: User,
    authority: Authority,
    the_plan: Plan,
    *,
    known_countries: frozenset[str],
    max_file_bytes: int,
) -> None:
    """Refuse before the first demand is stored whatever intake would refuse for a later one."""
    problems: list[str] = []
    for planned in the_plan.demands:
        try:
            demands.decode_demand(
                json.dumps(planned.document).encode("utf-8"), known_countries=known_countries
            )
            if planned.legal_process is not None:
                demands.check_file(
                    demands.LegalProcessFile(
                        planned.legal_process.filename, planned.legal_process.content
                    ),
                    max_file_bytes,
                )
        except InvalidInput as exc:
            problems += [
                f"AuthorisationObject {planned.authorisation_id}: {p}" for p in exc.problems
            ]
        if planned.document["emergency"] and not actor.is_staff and not actor.may_file_emergency:
            raise Forbidden(
                f"AuthorisationObject {planned.authorisation_id}: flagged IsEmergency, but the "
                f"requester {actor.id} is not permitted to file emergency requests"
            )
    collect(problems)
    with uow_factory() as uow:
        for planned in the_plan.demands:
            ids = [planned.authorisation_id, *(t.object_id for t in planned.tasks)]
            for object_id in ids:
                existing = uow.etsi.get(authority.id, object_id)
                if existing is not None:
                    raise Conflict(
                        f"ObjectIdentifier {object_id} was already created by transaction "
                        f"{existing.transaction_id} (demand {existing.demand_id}); HI-1 object "
                        "identifiers are created once"
                    )


def _record(  # noqa: PLR0917 - the import's facts, written once
    uow_factory: EtsiUowFactory,
    now: datetime,
    actor: User,
    head: Header,
    authority: Authority,
    the_plan: Plan,
    imported: list[Imported],
    key_id: str | None,
) -> list[EtsiObject]:
    receiver = f"{head.receiver_country or ''}/{head.receiver_id or ''}"
    objects: list[EtsiObject] = []
    for planned, done in zip(the_plan.demands, imported, strict=True):
        categories = tuple(str(c) for c in planned.document["categories"])

        def obj(
            object_id: str,
            kind: str,
            action_id: str,
            *,
            reference: str | None,
            cats: tuple[str, ...],
            demand_id: str = done.record.id,
        ) -> EtsiObject:
            return EtsiObject(
                authority.id,
                object_id,
                head.sender,
                receiver,
                kind,
                demand_id,
                head.transaction_id,
                action_id,
                reference,
                cats,
                now,
            )

        objects.append(
            obj(
                planned.authorisation_id,
                "authorisation",
                planned.action_id,
                reference=planned.reference,
                cats=categories,
            )
        )
        for task in planned.tasks:
            kind = "ld_task" if task.kind == "ld" else "lp_task"
            objects.append(
                obj(
                    task.object_id,
                    kind,
                    task.action_id,
                    reference=task.reference,
                    cats=task.categories,
                )
            )
        for document_id, action_id in planned.document_ids:
            objects.append(obj(document_id, "document", action_id, reference=None, cats=()))
    with uow_factory() as uow:
        for o in objects:
            if uow.etsi.get(o.authority_id, o.object_id) is None:
                uow.etsi.add(o)
        uow.audit.record(
            AuditEvent.of(
                now,
                actor.id,
                AuditAction.ETSI_IMPORTED,
                f"etsi/{authority.id}/{head.transaction_id}",
                {
                    "sender": head.sender,
                    "transaction": head.transaction_id,
                    "signature_key": key_id,
                    "demands": {i.authorisation_id: i.record.id for i in imported},
                    "objects": [o.object_id for o in objects],
                    "warnings": the_plan.warnings,
                },
            )
        )
        uow.commit()
    return objects


def _state(uow: EtsiUnitOfWork, obj: EtsiObject, auth_ids: dict[str, str]) -> ObjectState:
    record = uow.intake.get_demand(obj.demand_id)
    demand_status = record.status if record else DemandStatus.RECEIVED
    case: Case | None = uow.cases.for_demand(obj.demand_id)
    published = any(p.status == "published" for p in uow.productions.for_demand(obj.demand_id))
    status = object_status(obj, demand_status, case, published=published)
    return ObjectState(
        obj, status, None if obj.kind == "authorisation" else auth_ids.get(obj.demand_id)
    )


def object_status(
    obj: EtsiObject, demand_status: DemandStatus, case: Case | None, *, published: bool
) -> Status:
    if obj.kind == "ld_task":
        return ld_task_status(obj.categories, demand_status, case, published=published)
    if obj.kind == "lp_task":
        return lp_task_status(obj.categories, demand_status, case)
    if obj.kind == "authorisation":
        return authorisation_status(demand_status, case)
    document = authorisation_status(demand_status, case)
    return document if document.value != "Cancelled" else Status("Cancelled", document.reason)


def _auth_ids(uow: EtsiUnitOfWork, demand_ids: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for demand_id in demand_ids:
        for o in uow.etsi.for_demand(demand_id):
            if o.kind == "authorisation":
                found[demand_id] = o.object_id
    return found


def _answer(
    uow_factory: EtsiUowFactory,
    clock: Clock,
    head: Header,
    the_plan: Plan,
    objects: Sequence[EtsiObject],
    *,
    imported: list[Imported],
    replayed: bool,
    regions: Sequence[tuple[str, str]] = (),
) -> Answer:
    now = clock.now()
    actions: list[tuple[str, Element]] = []
    with uow_factory() as uow:
        auth_ids = _auth_ids(uow, {o.demand_id for o in objects})
        for o in objects:
            actions.append(
                (o.action_id, answers.create_response(o.action_id, _state(uow, o, auth_ids), now))
            )
        authority_id = head.authority_id
        for action_id, ident in the_plan.gets:
            found = uow.etsi.get(authority_id, ident)
            if found is None:
                actions.append(
                    (
                        action_id,
                        answers.error(
                            action_id,
                            answers.NOT_FOUND,
                            f"no object {ident} from {head.sender} is known to this provider",
                        ),
                    )
                )
            else:
                ids = _auth_ids(uow, {found.demand_id})
                actions.append(
                    (action_id, answers.get_response(action_id, _state(uow, found, ids), now))
                )
    for action_id in the_plan.config:
        actions.append((action_id, answers.csp_config(action_id, regions, now)))
    actions.sort(key=lambda pair: _order(pair[0]))
    receiver = f"{head.receiver_country or ''}/{head.receiver_id or ''}"
    head_el = answers.header(receiver, head.sender, head.transaction_id, now)
    return Answer(
        answers.response(head_el, [a for _, a in actions]),
        tuple(imported),
        tuple(the_plan.warnings),
        replayed,
    )


def _order(action_id: str) -> tuple[int, str]:
    return (int(action_id), "") if action_id.isdigit() else (1 << 30, action_id)


def _replay(
    uow_factory: EtsiUowFactory,
    clock: Clock,
    head: Header,
    the_plan: Plan,
    done: list[EtsiObject],
    *,
    regions: Sequence[tuple[str, str]],
) -> Answer:
    """The same transaction again: answer as before, from what was stored, importing nothing."""
    imported: list[Imported] = []
    with uow_factory() as uow:
        for o in done:
            if o.kind == "authorisation":
                record = uow.intake.get_demand(o.demand_id)
                if record is not None:
                    imported.append(Imported(o.object_id, record, False))
    return _answer(
        uow_factory,
        clock,
        head,
        the_plan,
        done,
        imported=imported,
        replayed=True,
        regions=regions,
    )


def _imported_objects(uow: EtsiUnitOfWork, actor: User, demand_id: str) -> list[EtsiObject]:
    record = demands.visible_record(actor, uow.intake.get_demand(demand_id), demand_id)
    objects = list(uow.etsi.for_demand(record.id))
    if not objects:
        raise NotFound(f"demand {demand_id} did not come in an HI-1 message; it has no HI-1 status")
    return objects


def status_message(
    uow_factory: EtsiUowFactory, clock: Clock, actor: User, demand_id: str
) -> Element:
    """A notification for the sender: each imported object of the demand and its status now.

    Sent (or polled) as the case moves: HI-1 CREATE of a NotificationObject at the authority.
    """
    if actor.is_staff:
        require(actor, READERS)
    now = clock.now()
    with uow_factory() as uow:
        objects = _imported_objects(uow, actor, demand_id)
        auth_ids = _auth_ids(uow, {demand_id})
        states = [_state(uow, o, auth_ids) for o in objects]
    first = objects[0]
    notification = answers.notification(
        str(uuid.uuid4()),
        states,
        now,
        f"Status of demand {demand_id} at the provider",
    )
    head = answers.header(first.receiver, first.sender, str(uuid.uuid4()), now)
    return answers.request(head, [answers.create_action("0", notification)])


def delivery_message(
    uow_factory: EtsiUowFactory,
    clock: Clock,
    actor: User,
    production_id: str,
    *,
    link: Callable[[], tuple[str, datetime | None]],
) -> Element:
    """A DELIVER of a DeliveryObject pointing at a published production's signed package.

    ``link`` makes the download link (URL and expiry); it is called only once every check has
    passed, so a refused delivery leaves no link behind.
    """
    if actor.is_staff:
        require(actor, HANDLERS)
    now = clock.now()
    with uow_factory() as uow:
        production = uow.productions.get(production_id)
        if production is None:
            raise NotFound(f"no production with id {production_id!r}")
        objects = _imported_objects(uow, actor, production.demand_id)
    if production.status != "published" or production.sha256 is None or production.size is None:
        raise Conflict(f"production {production_id} is {production.status}, not published")
    tasks = [o for o in objects if o.kind == "ld_task"]
    if not tasks:
        raise Conflict(
            f"demand {production.demand_id} has no LD task to deliver to (a preservation only)"
        )
    url, expires_at = link()
    package = PackageRef(
        production.id,
        url,
        production.sha256,
        production.size,
        production.path.replace("\\", "/").rsplit("/", 1)[-1],
        expires_at,
    )
    delivery = answers.delivery(str(uuid.uuid4()), tasks, package, now)
    head = answers.header(tasks[0].receiver, tasks[0].sender, str(uuid.uuid4()), now)
    return answers.request(head, [answers.deliver_action("0", delivery)])
