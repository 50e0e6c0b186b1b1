"""The HI-1 messages Comity sends: responses, object status, notifications, deliveries, config.

Each builder is pure: the time, the identifiers and the state come in as arguments, and an
``Element`` tree comes out for the adapters to write as XML or JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from comity.services.etsi.mapping import COMITY_OWNER, REQUEST_TYPES, TARGET_FORMATS
from comity.services.etsi.message import Element, el, entry, leaf
from comity.services.etsi.ports import EtsiObject
from comity.services.etsi.status import Status

ETSI_VERSION = "V1.23.1"

#: Error codes in ``ErrorInformation`` (TS 103 120 leaves the values to the implementation).
NOT_FOUND = 1000


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _endpoint(name: str, endpoint: str) -> Element:
    country, _, ident = endpoint.partition("/")
    return el(name, Element("CountryCode", country), Element("UniqueIdentifier", ident))


def header(sender: str, receiver: str, transaction_id: str, at: datetime) -> Element:
    """A header from ``sender`` to ``receiver`` (each ``COUNTRY/IDENTIFIER``)."""
    return el(
        "Header",
        _endpoint("SenderIdentifier", sender),
        _endpoint("ReceiverIdentifier", receiver),
        Element("TransactionIdentifier", transaction_id),
        Element("Timestamp", stamp(at)),
        el(
            "Version",
            Element("ETSIVersion", ETSI_VERSION),
            Element("NationalProfileOwner", receiver.partition("/")[0]),
            Element("NationalProfileVersion", "v1.0"),
        ),
    )


def response(head: Element, actions: Sequence[Element]) -> Element:
    return el(
        "HI1Message",
        head,
        el("Payload", el("ResponsePayload", el("ActionResponses", *actions))),
    )


def request(head: Element, actions: Sequence[Element]) -> Element:
    return el(
        "HI1Message", head, el("Payload", el("RequestPayload", el("ActionRequests", *actions)))
    )


def action_response(action_id: str, body: Element) -> Element:
    return el("ActionResponse", Element("ActionIdentifier", action_id), body)


def error(action_id: str, code: int, description: str) -> Element:
    return action_response(
        action_id,
        el(
            "ErrorInformation",
            Element("ErrorCode", str(code)),
            Element("ErrorDescription", description),
        ),
    )


@dataclass(frozen=True)
class ObjectState:
    """An imported object with what its status is now and what Comity calls its demand."""

    obj: EtsiObject
    status: Status
    authorisation_id: str | None = None


def hi1_object(state: ObjectState, at: datetime) -> Element:
    """The object as a GET returns it: identity, Comity's demand id, status (and reason)."""
    obj = state.obj
    country, _, owner = obj.sender.partition("/")
    common = [
        Element("ObjectIdentifier", obj.object_id),
        Element("CountryCode", country),
        Element("OwnerIdentifier", owner),
        Element("ExternalIdentifier", obj.demand_id),
        el("AssociatedObjects", Element("AssociatedObject", state.authorisation_id))
        if state.authorisation_id
        else None,
        Element("LastChanged", stamp(at)),
    ]
    reason = (
        el(
            "task:StatusReason",
            Element("ErrorCode", "0"),
            Element("ErrorDescription", state.status.reason),
        )
        if state.status.reason
        else None
    )
    if obj.kind == "authorisation":
        return el(
            "HI1Object",
            *common,
            leaf("auth:AuthorisationReference", obj.reference),
            entry("auth:AuthorisationStatus", "ETSI", "AuthorisationStatus", state.status.value),
            type_="auth:AuthorisationObject",
        )
    if obj.kind == "ld_task":
        return el(
            "HI1Object",
            *common,
            leaf("task:Reference", obj.reference),
            entry("task:Status", "ETSI", "LDTaskStatus", state.status.value),
            reason,
            type_="task:LDTaskObject",
        )
    if obj.kind == "lp_task":
        return el(
            "HI1Object",
            *common,
            entry("task:Status", "ETSI", "LPTaskStatus", state.status.value),
            reason,
            type_="task:LPTaskObject",
        )
    return el(
        "HI1Object",
        *common,
        entry("doc:DocumentStatus", "ETSI", "DocumentStatus", state.status.value),
        type_="doc:DocumentObject",
    )


def create_response(action_id: str, state: ObjectState, at: datetime) -> Element:
    """A CREATE's answer: the identifier, and the object with Comity's demand id and status."""
    return action_response(
        action_id,
        el(
            "CREATEResponse",
            Element("Identifier", state.obj.object_id),
            hi1_object(state, at),
        ),
    )


def get_response(action_id: str, state: ObjectState, at: datetime) -> Element:
    return action_response(action_id, el("GETResponse", hi1_object(state, at)))


def notification(
    notification_id: str, states: Iterable[ObjectState], at: datetime, details: str
) -> Element:
    """A NotificationObject listing each object's status now (CREATEd at the authority)."""
    listed = list(states)
    first = listed[0].obj
    country, _, owner = first.receiver.partition("/")
    return el(
        "HI1Object",
        Element("ObjectIdentifier", notification_id),
        Element("CountryCode", country),
        Element("OwnerIdentifier", owner),
        Element("ExternalIdentifier", first.demand_id),
        el("AssociatedObjects", *(Element("AssociatedObject", s.obj.object_id) for s in listed)),
        Element("notification:NotificationDetails", details),
        entry("notification:NotificationType", "ETSI", "NotificationType", "General"),
        Element("notification:NewNotification", "true"),
        Element("notification:NotificationTimestamp", stamp(at)),
        el(
            "notification:StatusOfAssociatedObjects",
            *(
                el(
                    "notification:AssociatedObjectStatus",
                    Element("notification:AssociatedObject", s.obj.object_id),
                    entry("notification:Status", "ETSI", _dictionary(s.obj.kind), s.status.value),
                    leaf("notification:Details", s.status.reason),
                )
                for s in listed
            ),
        ),
        type_="notification:NotificationObject",
    )


def _dictionary(kind: str) -> str:
    return {
        "authorisation": "AuthorisationStatus",
        "ld_task": "LDTaskStatus",
        "lp_task": "LPTaskStatus",
    }.get(kind, "DocumentStatus")


@dataclass(frozen=True)
class PackageRef:
    """Where the signed BagIt package of a production is, and what it must hash to."""

    production_id: str
    url: str
    sha256: str
    size: int
    filename: str
    expires_at: datetime | None


def delivery(
    delivery_object_id: str,
    tasks: Sequence[EtsiObject],
    package: PackageRef,
    at: datetime,
) -> Element:
    """A DeliveryObject that points at the package: its URL, SHA-256 and size, never its bytes.

    The package stays the signed BagIt file (docs/productions.md); the authority fetches it and
    checks it against this checksum and Comity's signature.
    """
    first = tasks[0]
    country, _, owner = first.receiver.partition("/")
    ldid = first.reference or first.object_id
    return el(
        "HI1Object",
        Element("ObjectIdentifier", delivery_object_id),
        Element("CountryCode", country),
        Element("OwnerIdentifier", owner),
        Element("ExternalIdentifier", package.production_id),
        el("AssociatedObjects", *(Element("AssociatedObject", t.object_id) for t in tasks)),
        el("delivery:Reference", Element("delivery:LDID", ldid)),
        Element("delivery:DeliveryID", package.production_id),
        Element("delivery:SequenceNumber", "1"),
        Element("delivery:LastSequence", "true"),
        el(
            "delivery:Manifest",
            entry(
                "delivery:Specification",
                COMITY_OWNER,
                "ManifestSpecification",
                "BagIt-RFC8493-signed",
            ),
        ),
        el(
            "delivery:Delivery",
            el(
                "delivery:URL",
                Element("delivery:URL", package.url),
                Element("delivery:ContentLength", str(package.size)),
                Element("delivery:ContentType", "application/x-tar"),
                leaf("delivery:Expiry", stamp(package.expires_at) if package.expires_at else None),
                Element("delivery:Checksum", package.sha256),
                Element("delivery:OriginalFilename", package.filename),
                Element("delivery:ChecksumType", "SHA-256"),
            ),
        ),
        entry("delivery:DeliveryStatus", "ETSI", "DeliveryStatus", "Available"),
        type_="delivery:DeliveryObject",
    )


def deliver_action(action_id: str, obj: Element) -> Element:
    identifier = obj.text_at("ObjectIdentifier") or ""
    return el(
        "ActionRequest",
        Element("ActionIdentifier", action_id),
        el("DELIVER", Element("Identifier", identifier), obj),
    )


def create_action(action_id: str, obj: Element) -> Element:
    return el("ActionRequest", Element("ActionIdentifier", action_id), el("CREATE", obj))


#: What each Comity selector type looks like, for the GETCSPCONFIG format definitions.
_FORMAT_GUIDANCE = {
    "email": "an e-mail address of an account",
    "phone": "an international E.164 number, digits only or with a leading +",
    "username": "the provider's user name of an account",
    "account_id": "the provider's account identifier",
}
_COMITY_FORMATS = {
    "Username": (r"^\S{1,200}$", "The provider's user name of an account"),
    "AccountId": (r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", "The provider's account identifier"),
}


def csp_config(action_id: str, regions: Sequence[tuple[str, str]], at: datetime) -> Element:
    """GETCSPCONFIG: per region (id, country), the request types and target formats accepted.

    Every region takes the same LD and LP request types; the guidance names the region and its
    country so an authority sees where each category may be held (contract section 2).
    """
    ld_types = [
        entry("common:DictionaryEntry", "ETSI", "RequestType", value) for value in REQUEST_TYPES
    ]
    targeting = [
        el(
            "config:TargetingConfiguration",
            Element("config:FormatName", name),
            Element("config:FormatOwner", owner),
            Element(
                "config:Guidance",
                f"Region {region} ({country}): Comity matches {_FORMAT_GUIDANCE[kind]} to the "
                "accounts whose data this region holds, for production (LD) and preservation "
                "(LP) of the request types listed; LI is not supported.",
            ),
            el("config:AssociatedLDRequestTypes", *ld_types),
            el("config:AssociatedLPRequestTypes", *ld_types),
        )
        for region, country in regions
        for (owner, name), kind in TARGET_FORMATS.items()
    ]
    return action_response(
        action_id,
        el(
            "GETCSPCONFIGResponse",
            Element("LastChanged", stamp(at)),
            el(
                "TargetFormatTypeDefinitions",
                Element("config:FormatOwner", COMITY_OWNER),
                el(
                    "config:TargetFormatTypeDefinitionEntries",
                    *(
                        el(
                            "config:TargetFormatTypeDefinitionEntry",
                            Element("config:FormatName", name),
                            Element("config:Description", description),
                            Element("config:FormatRegex", regex),
                        )
                        for name, (regex, description) in _COMITY_FORMATS.items()
                    ),
                ),
            ),
            el("TargetingConfigurations", *targeting),
        ),
    )
