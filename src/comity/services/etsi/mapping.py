"""From an HI-1 request to Comity demand documents (contract section 4): pure, no I/O, no clock.

One ``AuthorisationObject`` becomes one demand. Its ``LDTaskObject``s (productions) or
``LPTaskObject``s (preservations) give the data categories, the period and the targets; its
``DocumentObject`` is the legal-process file. What Comity cannot represent is never dropped in
silence: a field that would change what is disclosed (an LI task, a traffic policy, a request
subtype, tasks with different targets) refuses the message with one sentence each; a field that
only informs (a delivery address, a requested deadline) is listed as a warning that travels with
the answer and into the audit log. ``docs/etsi.md`` is the field-by-field table.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from comity.domain.accounts import selector_problem
from comity.domain.demand import INSTRUMENT_ID
from comity.domain.registry import Authority
from comity.errors import InvalidInput
from comity.services.etsi.message import Element

#: TS 103 120 RequestType (dictionary ``RequestType``) -> Comity data categories (contract 3).
#: The four EU e-Evidence categories (Reg. (EU) 2023/1543 Art. 3(9)-(12)) match Comity's one to one.
REQUEST_TYPES: dict[str, tuple[str, ...]] = {
    "SubscriberData": ("subscriber",),
    "UserIdentifyingData": ("identification",),
    "TrafficData": ("traffic",),
    "StoredContentData": ("content",),
    "SubscriberDataAndUserIdentifyingData": ("subscriber", "identification"),
    "TrafficDataAndStoredContentData": ("traffic", "content"),
}
#: The owner Comity answers to for its own target formats and legal types (GETCSPCONFIG lists it).
COMITY_OWNER = "Comity"
#: (FormatOwner, FormatName) -> Comity selector type (contract section 2).
TARGET_FORMATS: dict[tuple[str, str], str] = {
    ("ETSI", "EmailAddress"): "email",
    ("ETSI", "InternationalE164"): "phone",
    (COMITY_OWNER, "Username"): "username",
    (COMITY_OWNER, "AccountId"): "account_id",
}
#: Objects whose CREATE Comity refuses, and why, in one sentence each.
UNSUPPORTED_OBJECTS: dict[str, str] = {
    "LITaskObject": "an LI task (lawful interception of live communications); Comity discloses "
    "stored data only",
    "TrafficPolicyObject": "a traffic policy, which steers lawful interception; Comity does not "
    "intercept",
    "TrafficRuleObject": "a traffic rule, which steers lawful interception; Comity does not "
    "intercept",
    "IRIPolicyObject": "an IRI policy, which steers lawful interception; Comity does not intercept",
    "LIDestinationObject": "an LI delivery destination; Comity does not intercept",
    "TDTaskObject": "a takedown task; Comity handles disclosure and preservation, not takedowns",
    "NotificationObject": "a notification from the authority; Comity sends notifications, it does "
    "not take them",
    "DeliveryObject": "a delivery to the provider; Comity delivers to authorities, it does not "
    "receive deliveries",
}
#: Authorisation and task flags that change what the request means; Comity cannot honour them.
REFUSED_FLAGS: dict[str, str] = {
    "IsTest": "a test authorisation is not a demand for customer data",
    "IsConsensual": "consensual access is not a compelled demand and Comity has no route for it",
    "IsDataAvailable": "Comity does not answer existence-only requests; it assesses the whole "
    "demand",
}
_COMMON = {"ObjectIdentifier", "CountryCode", "OwnerIdentifier", "AssociatedObjects"}
_AUTH_USED = _COMMON | {
    "AuthorisationReference",
    "AuthorisationLegalType",
    "AuthorisationFlags",
    "AuthorisationTypeOfCase",
    "AuthorisationDesiredStatus",
}
_TASK_USED = _COMMON | {"Reference", "RequestDetails", "Flags", "CSPID", "DesiredStatus"}
_DETAILS_USED = {"Type", "StartTime", "EndTime", "RequestValues"}
_DOC_USED = _COMMON | {"DocumentName", "DocumentType", "DocumentBody", "DocumentReference"}
#: Informative fields: listed as not kept, never refused.
_WHY_NOT_KEPT: dict[str, str] = {
    "Deadlines": "Comity sets its deadlines from the instrument's law (the case's due dates)",
    "DeliveryDetails": "Comity does not push data to an address; the package is fetched from "
    "Comity (see the DeliveryObject it sends)",
    "AuthorisationTimespan": "Comity's demand has no validity window; the law engine judges "
    "whether the instrument is in force",
    "DesiredPreservationExpiration": "Comity's preservation holds last as the law allows "
    "(us.2703f, eu.epoc_pr)",
}
_DESIRED_OK = {
    "AuthorisationDesiredStatus": {"SubmittedToCSP", "Approved", "AwaitingApproval"},
    "LDTaskObject": {"AwaitingDisclosure", "AwaitingApproval"},
    "LPTaskObject": {"Preserved", "AwaitingPreservation"},
}


@dataclass(frozen=True)
class Header:
    sender_country: str
    sender_id: str
    receiver_country: str | None
    receiver_id: str | None
    transaction_id: str
    timestamp: str | None

    @property
    def sender(self) -> str:
        return f"{self.sender_country}/{self.sender_id}"

    @property
    def authority_id(self) -> str:
        """The registry id an HI-1 sender is registered under: ``<country>-<identifier>``."""
        return f"{self.sender_country}-{self.sender_id}".lower()


@dataclass(frozen=True)
class TaskRef:
    object_id: str
    kind: str  # "ld" (production) or "lp" (preservation)
    action_id: str
    reference: str | None
    categories: tuple[str, ...]


@dataclass(frozen=True)
class LegalProcess:
    object_id: str
    action_id: str
    filename: str
    content: bytes


@dataclass(frozen=True)
class PlannedDemand:
    authorisation_id: str
    action_id: str
    document: dict[str, Any]
    tasks: tuple[TaskRef, ...]
    legal_process: LegalProcess | None = None
    #: A DocumentObject without a body (metadata only) still answers its CREATE.
    document_ids: tuple[tuple[str, str], ...] = ()

    @property
    def reference(self) -> str:
        return str(self.document["reference"])


@dataclass
class Plan:
    header: Header
    demands: list[PlannedDemand] = field(default_factory=list)
    #: (ActionIdentifier, Identifier) of each GET.
    gets: list[tuple[str, str]] = field(default_factory=list)
    #: ActionIdentifier of each GETCSPCONFIG.
    config: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_header(root: Element) -> Header:
    """The message header, or one sentence naming what is missing."""
    header = root.one("Header")
    if header is None:
        raise InvalidInput("Header: the HI-1 message has no Header")
    country = header.text_at("SenderIdentifier", "CountryCode")
    sender = header.text_at("SenderIdentifier", "UniqueIdentifier")
    transaction = header.text_at("TransactionIdentifier")
    missing = [
        name
        for name, value in (
            ("Header.SenderIdentifier.CountryCode", country),
            ("Header.SenderIdentifier.UniqueIdentifier", sender),
            ("Header.TransactionIdentifier", transaction),
        )
        if value is None
    ]
    if missing:
        raise InvalidInput(f"{', '.join(missing)}: required in every HI-1 message, got nothing")
    assert country is not None
    assert sender is not None
    assert transaction is not None
    return Header(
        country,
        sender,
        header.text_at("ReceiverIdentifier", "CountryCode"),
        header.text_at("ReceiverIdentifier", "UniqueIdentifier"),
        transaction,
        header.text_at("Timestamp"),
    )


@dataclass
class _Created:
    action_id: str
    obj: Element

    @property
    def id(self) -> str:
        return self.obj.text_at("ObjectIdentifier") or ""

    @property
    def associated(self) -> list[str]:
        node = self.obj.one("AssociatedObjects")
        return [a.text.strip() for a in node.all("AssociatedObject") if a.text] if node else []


def plan(
    root: Element, authority: Authority, *, now: datetime, instrument: str | None = None
) -> Plan:
    """Map every action of the request; problems and warnings are gathered, not raised."""
    result = Plan(read_header(root))
    requests = root.at("Payload", "RequestPayload", "ActionRequests")
    if requests is None:
        result.problems.append(
            "Payload.RequestPayload.ActionRequests: the message carries no requests (a response "
            "or an error message cannot be imported)"
        )
        return result
    created: list[_Created] = []
    for request in requests.all("ActionRequest"):
        action_id = request.text_at("ActionIdentifier") or "?"
        verbs = [n for n in request.names() if n != "ActionIdentifier"]
        verb = verbs[0] if verbs else ""
        node = request.one(verb) if verb else None
        where = f"ActionRequest {action_id}"
        if len(verbs) != 1:
            result.problems.append(
                f"{where}: expected exactly one action (CREATE, GET, ...), got "
                f"{', '.join(verbs) or 'none'}"
            )
            continue
        if verb == "CREATE" and node is not None and len(node.all("HI1Object")) > 1:
            result.problems.append(f"{where}: CREATE carries more than one HI1Object")
            continue
        if verb == "CREATE" and node is not None:
            obj = node.one("HI1Object")
            if obj is None:
                result.problems.append(f"{where}: CREATE carries no HI1Object")
                continue
            kind = obj.type or ""
            if kind in UNSUPPORTED_OBJECTS:
                result.problems.append(
                    f"{where}: {kind} {obj.text_at('ObjectIdentifier')} is "
                    f"{UNSUPPORTED_OBJECTS[kind]}; Comity does not support it"
                )
            elif kind == "LDDestinationObject":
                result.warnings.append(
                    f"{where}: LDDestinationObject {obj.text_at('ObjectIdentifier')} is not kept: "
                    + _WHY_NOT_KEPT["DeliveryDetails"]
                )
            elif kind in ("AuthorisationObject", "LDTaskObject", "LPTaskObject", "DocumentObject"):
                created.append(_Created(action_id, obj))
            else:
                result.problems.append(
                    f"{where}: Comity does not know the HI-1 object type {kind or 'nothing'!r}"
                )
        elif verb == "GET" and node is not None:
            ident = node.text_at("Identifier")
            if ident is None:
                result.problems.append(f"{where}: GET names no Identifier")
            else:
                result.gets.append((action_id, ident))
        elif verb == "GETCSPCONFIG":
            result.config.append(action_id)
        elif verb == "UPDATE":
            result.problems.append(
                f"{where}: UPDATE is not supported: Comity does not amend a demand once filed; "
                "send the authorisation with its tasks and document in one CREATE message, or "
                "withdraw the demand and file a new one"
            )
        elif verb == "LIST":
            result.problems.append(
                f"{where}: LIST is not supported; GET each object by its identifier"
            )
        elif verb == "DELIVER":
            result.problems.append(
                f"{where}: DELIVER to the provider is not supported; Comity delivers to "
                "authorities (DeliveryObject in its answers)"
            )
        else:
            result.problems.append(f"{where}: Comity does not support the action {verb!r}")
    _plan_demands(result, created, authority, now, instrument)
    if not (result.problems or result.demands or result.gets or result.config):
        result.problems.append(
            "the message creates no authorisation and asks nothing Comity answers (CREATE of an "
            "AuthorisationObject with its tasks, GET, GETCSPCONFIG)"
        )
    result.warnings = list(dict.fromkeys(result.warnings))
    return result


def _plan_demands(
    result: Plan,
    created: list[_Created],
    authority: Authority,
    now: datetime,
    instrument: str | None,
) -> None:
    by_id: dict[str, _Created] = {}
    for c in created:
        if not c.id:
            result.problems.append(
                f"ActionRequest {c.action_id}: the object has no ObjectIdentifier"
            )
        elif c.id in by_id:
            result.problems.append(f"ObjectIdentifier {c.id} is created twice in one message")
        else:
            by_id[c.id] = c
    auths = [c for c in by_id.values() if c.obj.type == "AuthorisationObject"]
    claimed: set[str] = set()
    references: set[str] = set()
    for auth in auths:
        linked = [
            c
            for c in by_id.values()
            if c is not auth and (auth.id in c.associated or c.id in auth.associated)
        ]
        claimed.update(c.id for c in linked)
        planned = _plan_one(result, auth, linked, authority, now=now, instrument=instrument)
        if planned is None:
            continue
        if planned.reference in references:
            result.problems.append(
                f"AuthorisationObject {auth.id}: reference {planned.reference!r} is used by "
                "another authorisation in this message; Comity files one demand per reference"
            )
            continue
        references.add(planned.reference)
        result.demands.append(planned)
    for c in by_id.values():
        if c.obj.type != "AuthorisationObject" and c.id not in claimed:
            result.problems.append(
                f"{c.obj.type} {c.id} is associated with no AuthorisationObject in this message; "
                "Comity files each authorisation, with its tasks and document, as one demand"
            )


def _not_kept(result: Plan, what: str, node: Element, used: set[str]) -> None:
    for name in node.names():
        if name in used:
            continue
        why = _WHY_NOT_KEPT.get(name, "Comity's demand has no field for it")
        result.warnings.append(f"{what}: {name} is not kept: {why}")


def _plan_one(
    result: Plan,
    auth: _Created,
    linked: list[_Created],
    authority: Authority,
    *,
    now: datetime,
    instrument: str | None,
) -> PlannedDemand | None:
    before = len(result.problems)
    what = f"AuthorisationObject {auth.id}"
    obj = auth.obj
    _not_kept(result, what, obj, _AUTH_USED)
    reference = obj.text_at("AuthorisationReference") or auth.id
    chosen = _instrument(result, what, obj, instrument)
    emergency = False
    flags = obj.one("AuthorisationFlags")
    for flag in flags.all("AuthorisationFlag") if flags else []:
        _owner, value = _entry_of(flag)
        if value == "IsEmergency":
            emergency = True
        elif value in REFUSED_FLAGS:
            result.problems.append(f"{what}: flag {value}: {REFUSED_FLAGS[value]}")
        else:
            result.warnings.append(f"{what}: flag {value} is not kept")
    _desired(result, what, obj, "AuthorisationDesiredStatus", "AuthorisationDesiredStatus")
    offence = None
    _owner, case_type = obj.entry("AuthorisationTypeOfCase")
    if case_type is not None and case_type != "NotSpecified":
        offence = {"description": f"TS 103 120 AuthorisationTypeOfCase: {case_type}"}

    tasks = [c for c in linked if c.obj.type in ("LDTaskObject", "LPTaskObject")]
    documents = [c for c in linked if c.obj.type == "DocumentObject"]
    if not tasks:
        result.problems.append(
            f"{what}: no LDTaskObject or LPTaskObject is associated with it; a demand needs a "
            "task naming the data and the targets"
        )
    kinds = {t.obj.type for t in tasks}
    if len(kinds) > 1:
        result.problems.append(
            f"{what}: it mixes production (LDTaskObject) and preservation (LPTaskObject) tasks; "
            "Comity files them as separate demands, so send them as separate authorisations"
        )
    categories: list[str] = []
    targets: list[dict[str, str]] | None = None
    period: tuple[date, date] | None = None
    task_refs: list[TaskRef] = []
    for task in tasks:
        seen = _plan_task(result, task)
        if seen is None:
            continue
        task_cats, task_targets, task_period = seen
        if targets is not None and task_targets != targets:
            result.problems.append(
                f"{what}: its tasks name different targets; Comity applies every category of a "
                "demand to every target, so send them as separate authorisations"
            )
        if period is not None and task_period != period:
            result.problems.append(
                f"{what}: its tasks ask for different periods; Comity keeps one period per "
                "demand, so send them as separate authorisations"
            )
        targets, period = task_targets, task_period
        for c in task_cats:
            if c not in categories:
                categories.append(c)
        for flag_value in _task_flags(result, task):
            if flag_value == "IsEmergency":
                emergency = True
        task_refs.append(
            TaskRef(
                task.id,
                "ld" if task.obj.type == "LDTaskObject" else "lp",
                task.action_id,
                task.obj.text_at("Reference"),
                task_cats,
            )
        )
    legal_process = None
    document_ids: list[tuple[str, str]] = []
    if len(documents) > 1:
        result.problems.append(
            f"{what}: {len(documents)} DocumentObjects are associated with it; Comity keeps one "
            "legal-process file per demand"
        )
    for document in documents:
        document_ids.append((document.id, document.action_id))
        legal_process = _plan_document(result, document)
    if len(result.problems) > before or chosen is None:
        return None
    doc: dict[str, Any] = {
        "reference": reference,
        "received_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "issuing_authority": {
            "country": authority.country,
            "kind": authority.kind,
            "name": authority.name,
        },
        "instrument": chosen,
        "categories": categories,
        "targets": targets or [],
        "period": {"start": period[0].isoformat(), "end": period[1].isoformat()}
        if period
        else None,
        "offence": offence,
        "emergency": {
            "threat": "flagged IsEmergency in the TS 103 120 message, which describes no threat; "
            "obtain the threat from the authority before disclosing",
            "verified_by": None,
        }
        if emergency
        else None,
        "non_disclosure": None,
        "via": None,
    }
    if emergency:
        result.warnings.append(
            f"{what}: it is flagged IsEmergency, but HI-1 carries no description of the threat; "
            "the demand says so, and a call-back to a registry contact is needed before disclosure"
        )
    return PlannedDemand(
        auth.id, auth.action_id, doc, tuple(task_refs), legal_process, tuple(document_ids)
    )


def _instrument(result: Plan, what: str, obj: Element, given: str | None) -> str | None:
    owner, value = obj.entry("AuthorisationLegalType")
    named = value if owner == COMITY_OWNER and value and INSTRUMENT_ID.match(value) else None
    if value is not None and named is None and owner != "ETSI":
        result.problems.append(
            f"{what}: AuthorisationLegalType {owner}/{value} is not a Comity instrument id "
            f"(expected Owner {COMITY_OWNER!r} and a value such as eu.epoc or us.warrant)"
        )
        return None
    if named is not None and given is not None and named != given:
        result.problems.append(
            f"{what}: the message says the instrument is {named} but {given} was given with it"
        )
        return None
    chosen = named or given
    if chosen is None:
        result.problems.append(
            f"{what}: the message does not say which legal instrument it is; give "
            f"AuthorisationLegalType with Owner {COMITY_OWNER!r} and a Comity instrument id "
            "(e.g. eu.epoc), or name the instrument when importing (--instrument / ?instrument=)"
        )
    elif value == "Manual":
        result.warnings.append(
            f"{what}: AuthorisationLegalType is Manual; the instrument {chosen} was given on import"
        )
    return chosen


def _desired(result: Plan, what: str, obj: Element, field_name: str, table: str) -> None:
    _owner, value = obj.entry(field_name)
    if value is not None and value not in _DESIRED_OK[table]:
        result.problems.append(
            f"{what}: {field_name} {value} cannot be asked of a new demand (expected one of "
            f"{', '.join(sorted(_DESIRED_OK[table]))})"
        )


def _entry_of(node: Element) -> tuple[str | None, str | None]:
    """A flag is either a dictionary entry or plain text, depending on the producer."""
    if node.children:
        return node.text_at("Owner"), node.text_at("Value")
    return None, node.text_at()


def _task_flags(result: Plan, task: _Created) -> list[str]:
    what = f"{task.obj.type} {task.id}"
    flags = task.obj.one("Flags")
    values: list[str] = []
    for flag in flags.children if flags else ():
        _owner, value = _entry_of(flag)
        if value is None:
            continue
        if value in REFUSED_FLAGS:
            result.problems.append(f"{what}: flag {value}: {REFUSED_FLAGS[value]}")
        elif value != "IsEmergency":
            result.warnings.append(f"{what}: flag {value} is not kept")
        values.append(value)
    return values


def _plan_task(
    result: Plan, task: _Created
) -> tuple[tuple[str, ...], list[dict[str, str]], tuple[date, date] | None] | None:
    obj = task.obj
    kind = obj.type or ""
    what = f"{kind} {task.id}"
    before = len(result.problems)
    _not_kept(result, what, obj, _TASK_USED)
    _desired(result, what, obj, "DesiredStatus", kind)
    details = obj.one("RequestDetails")
    if details is None:
        result.problems.append(f"{what}: it has no RequestDetails (type, period, targets)")
        return None
    for name in details.names():
        if name in ("Subtype", "RequestSubtype"):
            result.problems.append(
                f"{what}: RequestDetails.Subtype narrows the request within its type; Comity "
                "cannot represent a subtype and would produce the whole category"
            )
        elif name not in _DETAILS_USED:
            result.warnings.append(f"{what}: RequestDetails.{name} is not kept")
    owner, type_value = details.entry("Type")
    categories: tuple[str, ...] = ()
    if type_value is None:
        result.problems.append(
            f"{what}: RequestDetails.Type is missing; Comity needs the data category "
            f"(one of {', '.join(REQUEST_TYPES)})"
        )
    elif owner not in (None, "ETSI") or type_value not in REQUEST_TYPES:
        result.problems.append(
            f"{what}: RequestDetails.Type {owner}/{type_value} is not one of the ETSI request "
            f"types Comity supports ({', '.join(REQUEST_TYPES)})"
        )
    else:
        categories = REQUEST_TYPES[type_value]
    period = _period(result, what, details)
    targets: list[dict[str, str]] = []
    values = details.one("RequestValues")
    for value in values.all("RequestValue") if values else []:
        target = _target(result, what, value)
        if target is not None and target not in targets:
            targets.append(target)
    if not targets and len(result.problems) == before:
        result.problems.append(f"{what}: RequestDetails.RequestValues names no target")
    if len(result.problems) > before:
        return None
    return categories, targets, period


def _period(result: Plan, what: str, details: Element) -> tuple[date, date] | None:
    start_text, end_text = details.text_at("StartTime"), details.text_at("EndTime")
    if start_text is None and end_text is None:
        return None
    start, end = _instant(start_text), _instant(end_text)
    if start is None or end is None:
        result.problems.append(
            f"{what}: RequestDetails needs StartTime and EndTime as date-times with a time zone, "
            f"got {start_text!r} and {end_text!r}"
        )
        return None
    if start > end:
        result.problems.append(f"{what}: RequestDetails.StartTime {start_text} is after EndTime")
        return None
    days = (start.astimezone(UTC).date(), end.astimezone(UTC).date())
    if any(t.astimezone(UTC).time() != datetime.min.time() for t in (start, end)):
        result.warnings.append(
            f"{what}: the period {start_text} to {end_text} is kept as the whole days "
            f"{days[0]} to {days[1]} (UTC); Comity's periods are dates"
        )
    return days


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


_DIGITS = re.compile(r"^[0-9]{7,15}$")


def _target(result: Plan, what: str, value: Element) -> dict[str, str] | None:
    owner = value.text_at("FormatType", "FormatOwner") or ""
    name = value.text_at("FormatType", "FormatName") or ""
    raw = value.text_at("Value") or ""
    kind = TARGET_FORMATS.get((owner, name))
    if kind is None:
        known = ", ".join(f"{o}/{n}" for o, n in TARGET_FORMATS)
        result.problems.append(
            f"{what}: target format {owner}/{name} is not one Comity can match to an account "
            f"(supported: {known})"
        )
        return None
    if kind == "phone":
        raw = raw if raw.startswith("+") else "+" + raw
        if not _DIGITS.match(raw[1:]):
            result.problems.append(
                f"{what}: {raw!r} is not an international E.164 number (7 to 15 digits)"
            )
            return None
    why = selector_problem(kind, raw)
    if why:
        result.problems.append(f"{what}: {why}")
        return None
    return {"type": kind, "value": raw}


def _plan_document(result: Plan, document: _Created) -> LegalProcess | None:
    obj = document.obj
    what = f"DocumentObject {document.id}"
    _not_kept(result, what, obj, _DOC_USED)
    body = obj.one("DocumentBody")
    if body is None:
        result.warnings.append(
            f"{what}: it has no DocumentBody, so there is no legal-process file to keep"
        )
        return None
    contents = body.text_at("Contents")
    try:
        content = base64.b64decode("".join((contents or "").split()), validate=True)
    except (binascii.Error, ValueError):
        result.problems.append(f"{what}: DocumentBody.Contents is not base64")
        return None
    checksums = [(body.text_at("Checksum"), body.text_at("ChecksumType"))]
    listed = body.one("Checksums")
    if listed is not None:
        checksums += [
            (c.text_at("Checksum"), c.text_at("ChecksumType"))
            for c in listed.all("ChecksumAndType")
        ]
    checksums = [(c, t) for c, t in checksums if c is not None]
    if not checksums:
        result.warnings.append(
            f"{what}: it carries no checksum; the file is kept with the SHA-256 Comity computes"
        )
    for checksum, checksum_type in checksums:
        algorithm = (checksum_type or "SHA-256").upper().replace("-", "").replace("_", "")
        if algorithm not in ("SHA256", "SHA384", "SHA512", "SHA1", "MD5"):
            result.problems.append(
                f"{what}: checksum type {checksum_type!r} is not one Comity can check (SHA-256)"
            )
            continue
        actual = hashlib.new(algorithm.replace("SHA", "sha").replace("MD5", "md5"), content)
        if actual.hexdigest() != (checksum or "").strip().lower():
            result.problems.append(
                f"{what}: the document's {checksum_type or 'SHA-256'} checksum {checksum} does "
                f"not match its contents ({actual.hexdigest()}); it was changed or truncated"
            )
            return None
    name = obj.text_at("DocumentName") or obj.text_at("DocumentReference") or "legal-process"
    return LegalProcess(document.id, document.action_id, name, content)
