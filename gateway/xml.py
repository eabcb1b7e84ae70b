"""The one safe XML parser of the gateway (DESIGN.md 1: one place per concern).

Every XML document that comes from outside (DUO's answers, files given to ``verzuim validate``,
SOAP bodies in the simulator) is parsed here and nowhere else:

- no DTD: a document with a ``<!DOCTYPE`` is refused, before parsing when it can be seen in the
  bytes and after parsing in any case, so no internal subset, entity declaration or external
  entity is ever used; entities are never expanded (``resolve_entities=False``) and no DTD is
  loaded (``load_dtd=False``);
- no network (``no_network=True``) and no XInclude;
- ASCII-compatible encodings only (the gateway exchanges UTF-8, DOMAIN.md 3.4): UTF-16 and
  UTF-32 would hide markup from the byte scan, so they are refused;
- a size limit (``MAX_DOCUMENT_BYTES`` by default) checked before parsing, and libxml2's own
  limits kept (``huge_tree=False``).

Refusals raise ``UnsafeXmlError``; a document that is not well-formed raises ``MessageError``.
"""

from __future__ import annotations

import threading

from lxml import etree

from gateway.errors import MessageError, UnsafeXmlError, XmlIssue

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
"""The largest document accepted: 4 MiB, far above a page of DC0011 answers."""

_FORBIDDEN_MARKUP = (b"<!DOCTYPE", b"<!ENTITY", b"<!ELEMENT", b"<!ATTLIST")
_WIDE_STARTS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"<\x00", b"\x00<")
_local = threading.local()


def _parser() -> etree.XMLParser:
    """One parser per thread (lxml parsers are not shared between threads)."""
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_blank_text=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse_bytes(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> etree._Element:
    """Parse one XML document safely and return its root element.

    Raises ``UnsafeXmlError`` for a document over ``max_bytes`` or with a DOCTYPE, entity
    declaration or entity reference, ``MessageError`` for one that is not well-formed XML.
    """
    if len(data) > max_bytes:
        raise UnsafeXmlError(
            f"XML-document geweigerd: {len(data)} bytes, meer dan de grens van {max_bytes} bytes"
        )
    if data.startswith(_WIDE_STARTS):
        raise UnsafeXmlError(
            "XML-document geweigerd: UTF-16/UTF-32 wordt niet aanvaard, alleen UTF-8"
        )
    for marker in _FORBIDDEN_MARKUP:
        if marker in data:
            raise UnsafeXmlError(
                f"XML-document geweigerd: bevat {marker.decode()} (DTD's en entities zijn niet "
                "toegestaan)"
            )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise MessageError(
            "geen goedgevormd XML-document", (XmlIssue(path="/", message=str(exc.msg), line=line),)
        ) from None
    _refuse_dtd_and_entities(root)
    return root


def _refuse_dtd_and_entities(root: etree._Element) -> None:
    """Second line of defence for encodings the byte scan cannot read (e.g. UTF-16)."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXmlError(
            "XML-document geweigerd: bevat een DOCTYPE (DTD's zijn niet toegestaan)"
        )
    for _ in root.iter(etree.Entity):
        raise UnsafeXmlError("XML-document geweigerd: bevat een entity-verwijzing")


def to_bytes(element: etree._Element, *, pretty: bool = False) -> bytes:
    """Serialise an element as a UTF-8 document with an XML declaration."""
    return etree.tostring(element, encoding="UTF-8", xml_declaration=True, pretty_print=pretty)


def canonical(element: etree._Element) -> bytes:
    """Exclusive C14N 1.0 of an element without comments: how tests and signatures compare XML."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
