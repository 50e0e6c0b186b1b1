"""An ETSI TS 103 120 HI-1 message as one neutral tree, whichever form (XML or JSON) it came in.

The standard defines the same message twice: XML with namespaces, and JSON whose keys carry the
XML prefixes (``"auth:AuthorisationReference"``) and whose ``"@xsi:type"`` names the object's type.
The adapters (``comity.adapters.etsi``) turn either form into ``Element``s keyed by local names, so
the mapping to Comity's demand is written once and cannot disagree between the two forms.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

#: The namespaces of TS 103 120 v1.23.1 (examples and schemas in ``shared/etsi-ts-103120``).
NAMESPACES: dict[str, str] = {
    "core": "http://uri.etsi.org/03120/common/2019/10/Core",
    "common": "http://uri.etsi.org/03120/common/2016/02/Common",
    "task": "http://uri.etsi.org/03120/common/2020/09/Task",
    "auth": "http://uri.etsi.org/03120/common/2020/09/Authorisation",
    "doc": "http://uri.etsi.org/03120/common/2020/09/Document",
    "notification": "http://uri.etsi.org/03120/common/2016/02/Notification",
    "delivery": "http://uri.etsi.org/03120/common/2019/10/Delivery",
    "config": "http://uri.etsi.org/03120/common/2024/06/Config",
    "dictionaries": "http://uri.etsi.org/03280/common/2019/10/Dictionaries",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


@dataclass(frozen=True)
class Element:
    """One element: its local name, its ``xsi:type`` (local name) if any, its text or children.

    ``name`` may carry a prefix (``"task:Status"``) when Comity builds a message to send; parsed
    messages carry local names only. ``local`` is the name without the prefix either way.
    """

    name: str
    text: str | None = None
    type: str | None = None
    children: tuple[Element, ...] = ()

    @property
    def local(self) -> str:
        return self.name.rsplit(":", 1)[-1]

    def all(self, name: str) -> list[Element]:
        return [c for c in self.children if c.local == name]

    def one(self, name: str) -> Element | None:
        found = self.all(name)
        return found[0] if found else None

    def at(self, *path: str) -> Element | None:
        node: Element | None = self
        for name in path:
            node = node.one(name) if node is not None else None
        return node

    def text_at(self, *path: str) -> str | None:
        node = self.at(*path)
        if node is None or node.text is None:
            return None
        text = node.text.strip()
        return text or None

    def entry(self, name: str) -> tuple[str | None, str | None]:
        """A dictionary entry child (``common:Owner``/``Name``/``Value``): its owner and value."""
        return self.text_at(name, "Owner"), self.text_at(name, "Value")

    def names(self) -> Iterator[str]:
        return (c.local for c in self.children)


def el(
    name: str, *children: Element | None, text: str | None = None, type_: str | None = None
) -> Element:
    """Build an element for a message Comity sends; ``None`` children are left out."""
    return Element(name, text, type_, tuple(c for c in children if c is not None))


def leaf(name: str, value: object | None) -> Element | None:
    """A text element, or nothing when ``value`` is None."""
    return None if value is None else Element(name, str(value))


def entry(name: str, owner: str, dictionary: str, value: str) -> Element:
    """A TS 103 120 dictionary entry (``common:Owner``, ``common:Name``, ``common:Value``)."""
    return el(
        name,
        Element("common:Owner", owner),
        Element("common:Name", dictionary),
        Element("common:Value", value),
    )


@dataclass(frozen=True)
class JwsSignature:
    """A JSON message's ``Signature`` (TS 103 120 clause on JSON signing): a detached JWS.

    ``signing_input`` is what the signature covers: the protected header, ``.``, and the
    base64url of the message serialised compactly with both ``Signature`` members emptied.
    """

    protected: str
    signature: str
    signing_input: bytes


@dataclass(frozen=True)
class Hi1Message:
    root: Element
    form: Literal["xml", "json"]
    jws: JwsSignature | None = None
    #: An XML message carried an enveloped ``ds:Signature`` (removed from ``root``).
    xml_signature: bool = False
    #: Anything at the top of a JSON message besides Header, Payload and Signature.
    extra: tuple[str, ...] = field(default=())
