"""Read and write HI-1 messages (ETSI TS 103 120) in their XML and JSON forms.

XML is parsed by lxml with every door a hostile message could use shut: no DTD is loaded, no
entity is resolved, nothing is fetched from the network, libxml2's limits on huge documents stay
on, and the message is capped in size before parsing. A message that declares a DOCTYPE at all is
refused, since HI-1 messages have none and entity expansion ("billion laughs") and external
entities both need one. JSON is parsed by the standard library, refusing NaN and Infinity.
"""

from __future__ import annotations

import base64
import copy
import json
import math
from typing import Any, cast

from lxml import etree

from comity.errors import InvalidInput, TooLarge
from comity.services.etsi.message import NAMESPACES, Element, Hi1Message, JwsSignature

#: Legal process travels base64 inside the message; libxml2 caps one text node at 10 MB anyway.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
#: HI-1 messages nest about 15 levels; libxml2 stops XML at 256 without huge_tree.
MAX_DEPTH = 128
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_DSIG = "http://www.w3.org/2000/09/xmldsig#"
#: Elements that the JSON form always writes as arrays (maxOccurs > 1 in the schemas).
_ARRAYS = frozenset(
    {
        "ActionRequest",
        "ActionResponse",
        "AssociatedObject",
        "DeliveryDestination",
        "LDDeliveryDestination",
        "AssociatedObjectStatus",
        "TargetingConfiguration",
        "TargetFormatTypeDefinitionEntry",
        "DictionaryEntry",
        "Dictionary",
        "RequestValue",
        "SupportedLDWorkflowEndpoint",
        "SupportedLPWorkflowEndpoint",
        "LDDeadline",
    }
)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse(body: bytes) -> Hi1Message:
    """The message in ``body``, XML or JSON (told apart by its first character)."""
    if len(body) > MAX_MESSAGE_BYTES:
        raise TooLarge(f"the HI-1 message is {len(body)} bytes; the limit is {MAX_MESSAGE_BYTES}")
    start = body.lstrip()[:1]
    if start == b"<":
        return parse_xml(body)
    if start == b"{":
        return parse_json(body)
    raise InvalidInput(
        "the HI-1 message is neither XML nor JSON (it starts with neither '<' nor '{')"
    )


# --- XML -------------------------------------------------------------------------------------


class _Prolog(Exception):
    """Stops the first pass: ``doctype`` says the message declared one, else None."""

    def __init__(self, doctype: str | None) -> None:
        super().__init__(doctype)
        self.doctype = doctype


class _PrologTarget:
    """A parser target that stops at the DOCTYPE (before any entity is declared) or the root."""

    def doctype(self, name: str, _pubid: str | None, _system: str | None) -> None:
        raise _Prolog(name or "?")

    def start(self, _tag: str, _attrib: object, _nsmap: object = None) -> None:
        raise _Prolog(None)

    def end(self, _tag: str) -> None:
        return None

    def data(self, _data: str) -> None:
        return None

    def close(self) -> None:
        return None


def _refuse_doctype(body: bytes) -> None:
    """Refuse a DOCTYPE before libxml2 reads its entity declarations (bombs, external files)."""
    parser = etree.XMLParser(
        target=cast(Any, _PrologTarget()), resolve_entities=False, no_network=True, load_dtd=False
    )
    try:
        etree.fromstring(body, parser=parser)
    except _Prolog as stop:
        if stop.doctype is not None:
            raise InvalidInput(
                "the HI-1 message declares a DOCTYPE; HI-1 messages have none, and Comity "
                "refuses DTDs and the entities they declare (entity expansion, external files)"
            ) from None
    except etree.XMLSyntaxError:
        return  # the full parse below names the syntax error


def parse_xml(body: bytes) -> Hi1Message:
    _refuse_doctype(body)
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"the HI-1 message is not well-formed XML: {exc.msg}") from None
    doctype: Any = root.getroottree().docinfo  # the stubs lack doctype and the DTD fields
    if doctype.doctype or doctype.internalDTD is not None or doctype.externalDTD is not None:
        raise InvalidInput(
            "the HI-1 message declares a DOCTYPE; HI-1 messages have none, and Comity refuses "
            "DTDs and the entities they declare"
        )
    if etree.QName(root).localname != "HI1Message":
        raise InvalidInput(
            f"the XML document is a {etree.QName(root).localname!r}, not an HI1Message"
        )
    signed = False
    for sig in root.findall(f"{{{_DSIG}}}Signature"):
        root.remove(sig)
        signed = True
    return Hi1Message(_element(root), "xml", None, signed)


def _element(node: etree._Element) -> Element:
    name = etree.QName(node).localname
    type_ = None
    raw_type = node.get(_XSI_TYPE)
    if raw_type is not None:
        type_ = raw_type.rsplit(":", 1)[-1].rsplit("}", 1)[-1]
    children = tuple(_element(c) for c in node if isinstance(c.tag, str))
    text = None if children else (node.text or "")
    return Element(name, text, type_, children)


def to_xml(root: Element) -> bytes:
    """The message as XML, each prefix bound to its TS 103 120 namespace."""
    nsmap: dict[str | None, str] = {None: NAMESPACES["core"]}
    nsmap.update({p: u for p, u in NAMESPACES.items() if p != "core"})
    return bytes(
        etree.tostring(
            _xml_node(root, nsmap, None), xml_declaration=True, encoding="UTF-8", pretty_print=True
        )
    )


def _xml_node(
    e: Element, nsmap: dict[str | None, str], parent: etree._Element | None
) -> etree._Element:
    prefix, _, local = e.name.rpartition(":")
    tag = f"{{{NAMESPACES[prefix or 'core']}}}{local}"
    node = (
        etree.Element(tag, nsmap=cast(Any, nsmap))
        if parent is None
        else etree.SubElement(parent, tag)
    )
    if e.type is not None:
        node.set(_XSI_TYPE, e.type)
    if e.children:
        for child in e.children:
            _xml_node(child, nsmap, node)
    elif e.text is not None:
        node.text = e.text
    return node


# --- JSON ------------------------------------------------------------------------------------


class _NotPlain(ValueError):
    pass


def _constant(name: str) -> object:
    raise _NotPlain(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotPlain(f"the number {text[:24]} is too large")
    return value


def parse_json(body: bytes) -> Hi1Message:
    try:
        doc = json.loads(body.decode("utf-8"), parse_constant=_constant, parse_float=_finite)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the HI-1 message is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"the HI-1 message is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}"
        ) from None
    except _NotPlain as exc:
        raise InvalidInput(f"the HI-1 message is not plain JSON: {exc}") from None
    except RecursionError:
        raise InvalidInput("the HI-1 message is nested too deeply") from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"the HI-1 message must be a JSON object, got {type(doc).__name__}")
    jws = _jws(doc)
    extra = tuple(
        k for k in doc if not k.startswith("@") and k not in ("Header", "Payload", "Signature")
    )
    body_doc = {k: v for k, v in doc.items() if k != "Signature"}
    return Hi1Message(_from_json("HI1Message", body_doc)[0], "json", jws, False, extra)


def _jws(doc: dict[str, Any]) -> JwsSignature | None:
    """The detached JWS of a signed JSON message, and the bytes it signs.

    TS 103 120 signs the message serialised compactly (``separators=(",", ":")``, keys in the
    order sent) with ``Signature.protected`` and ``Signature.signature`` set to empty strings.
    """
    sig = doc.get("Signature")
    if sig is None:
        return None
    if (
        not isinstance(sig, dict)
        or not isinstance(sig.get("protected"), str)
        or not isinstance(sig.get("signature"), str)
    ):
        raise InvalidInput("Signature: expected an object with protected and signature strings")
    blank = copy.deepcopy(doc)
    blank["Signature"]["protected"] = ""
    blank["Signature"]["signature"] = ""
    payload = json.dumps(blank, separators=(",", ":")).encode("utf-8")
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=")
    return JwsSignature(
        sig["protected"],
        sig["signature"],
        sig["protected"].encode("ascii", "replace") + b"." + encoded,
    )


def _from_json(name: str, value: Any, depth: int = 0) -> list[Element]:
    if depth > MAX_DEPTH:
        raise InvalidInput(f"the HI-1 message is nested more than {MAX_DEPTH} levels deep")
    local = name.rsplit(":", 1)[-1]
    if isinstance(value, list):
        return [e for item in value for e in _from_json(name, item, depth + 1)]
    if isinstance(value, dict):
        type_ = None
        children: list[Element] = []
        for key, item in value.items():
            if key == "@xsi:type":
                type_ = str(item).rsplit("}", 1)[-1].rsplit(":", 1)[-1]
            elif key.startswith("@"):
                continue  # namespace declarations
            else:
                children.extend(_from_json(key, item, depth + 1))
        return [Element(local, None if children else "", type_, tuple(children))]
    if isinstance(value, bool):
        return [Element(local, "true" if value else "false")]
    if value is None:
        return [Element(local, None)]
    return [Element(local, str(value))]


def to_json(root: Element) -> bytes:
    """The message in TS 103 120's JSON form (prefixed keys, ``@xsi:type`` with its namespace)."""
    doc: dict[str, Any] = {"@xmlns": NAMESPACES["core"]}
    doc.update({f"@xmlns:{p}": u for p, u in NAMESPACES.items() if p != "core"})
    doc.update(_json_value(root))
    return json.dumps(doc, indent=2).encode("utf-8")


def _json_value(e: Element) -> Any:
    if not e.children:
        return e.text
    out: dict[str, Any] = {}
    if e.type is not None:
        prefix, _, local = e.type.rpartition(":")
        out["@xsi:type"] = f"{{{NAMESPACES[prefix or 'core']}}}{local}"
    for child in e.children:
        value = _json_value(child)
        if child.local in _ARRAYS:
            out.setdefault(child.name, []).append(value)
        elif child.name in out:
            raise ValueError(f"{child.name} appears twice under {e.name}")
        else:
            out[child.name] = value
    return out
