"""The schemas of ``xsd/``, found as package data, and validation against them (DESIGN.md 2).

Every outgoing document and every answer is validated with one cached lxml ``XMLSchema`` (fast,
C) before it is used; ``verzuim validate`` uses xmlschema for readable errors. Both report each
problem as an ``XmlIssue`` with the element path and line. Values are never quoted in an issue,
so a BSN or onderwijsnummer in a wrong element cannot end up in a log line.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import xmlschema
from lxml import etree

from gateway.errors import ConfigError, MessageError, XmlIssue
from gateway.messages.namespaces import SCHEMA_FILE, WSDL_FILE

_lock = threading.Lock()
_NAMESPACE = re.compile(r"\{[a-z]+:[^}]*\}")
_ELEMENT_PREFIX = re.compile(r"^Element '[^']*'(, attribute '[^']*')?: ")
_QUOTED_VALUE = re.compile(
    r"The value '.*?' (?=is not|has a length|has more|is greater|is less)|"
    r"^'.*?' (?=is not a valid value)",
    re.DOTALL,
)


def xsd_dir() -> Path:
    """The folder of the XSDs and the WSDL, shipped inside the package (``gateway/xsd``)."""
    folder = importlib.resources.files("gateway") / "xsd"
    if not isinstance(folder, Path) or not folder.is_dir():
        raise ConfigError(f"de XML-schema's zijn niet gevonden als map op schijf: {folder}")
    return folder.resolve()


def schema_path() -> Path:
    """The schema to load: ``verzuim-berichten-v1.xsd`` (it includes and imports the others)."""
    return xsd_dir() / SCHEMA_FILE


def wsdl_path() -> Path:
    """The WSDL 1.1 of the machinekoppeling, which imports the schemas by relative path."""
    return xsd_dir() / WSDL_FILE


_load_lock = threading.Lock()


def lxml_schema() -> etree.XMLSchema:
    """The one cached lxml schema of all request and answer documents. Loaded once under a
    lock: libxml2 fails (``XMLSchemaParseError``) when two threads parse the schemas at the
    same time, as the first two requests of the HTTP API did."""
    with _load_lock:
        return _lxml_schema()


@functools.cache
def _lxml_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(schema_path()), parser))


def xmlschema_schema() -> xmlschema.XMLSchema10:
    """The same schemas loaded with xmlschema, confined to the files of ``xsd/`` (once, under
    the same lock)."""
    with _load_lock:
        return _xmlschema_schema()


@functools.cache
def _xmlschema_schema() -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(str(schema_path()), allow="sandbox", defuse="always")


def validate(element: etree._Element) -> None:
    """Validate one document (its root element) with lxml; raise ``MessageError`` listing every
    problem with its element path and line."""
    schema = lxml_schema()
    with _lock:
        if schema.validate(element):
            return
        entries = [entry for entry in schema.error_log if _relevant(entry)]
    issues = tuple(_issue(element, entry.path, entry.line, entry.message) for entry in entries)
    raise MessageError(f"{etree.QName(element).localname} voldoet niet aan het XML-schema", issues)


def iter_xmlschema_issues(element: etree._Element) -> Iterator[XmlIssue]:
    """Validate one document with xmlschema and yield every problem (``verzuim validate``)."""
    resource = xmlschema.XMLResource(cast(Any, element))  # xmlschema reads lxml trees
    seen: set[XmlIssue] = set()
    for error in xmlschema_schema().iter_errors(resource):
        elem: object = error.elem
        if isinstance(elem, etree._Element):
            path = readable_path(elem)
        else:
            elem, path = None, error.path or "/"
        line = error.sourceline if isinstance(error.sourceline, int) else None
        message = _redact(error.reason or str(error.message), elem)
        issue = XmlIssue(path=path, message=message, line=line)
        if issue not in seen:  # a facet inherited through two derivations is reported twice
            seen.add(issue)
            yield issue


def _relevant(entry: etree._LogEntry) -> bool:
    """Errors only, without libxml2's follow-up note on an identity constraint over a value that
    was already reported as invalid."""
    return entry.level >= etree.ErrorLevels.ERROR and "No precomputed value" not in entry.message


def readable_path(element: etree._Element) -> str:
    """The path of an element by local names, with ``[n]`` where siblings share a name.

    For example ``/MeldenRelatiefVerzuim/Leerling/Onderwijsnummer``.
    """
    parts: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            same = [child for child in parent if child.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


def _issue(document: etree._Element, path: str | None, line: int, message: str) -> XmlIssue:
    element = _find(document, path) if path else None
    readable = readable_path(element) if element is not None else (path or "/")
    return XmlIssue(path=readable, message=_redact(message, element), line=line or None)


def _find(document: etree._Element, path: str) -> etree._Element | None:
    """The element at lxml's error path; its first step is the validated element itself (lxml
    validates a non-root element as the root of a stand-in document)."""
    steps = path.split("/", 2)
    if len(steps) < 3:
        return document
    namespaces = {prefix: uri for prefix, uri in document.nsmap.items() if prefix}
    try:
        found = document.xpath("./" + steps[2], namespaces=namespaces)
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def _redact(message: str, element: etree._Element | None) -> str:
    """Drop the element name (the path says it), namespaces and any quoted value."""
    text = _ELEMENT_PREFIX.sub("", message.strip())
    if element is not None and element.text:
        text = text.replace(f"'{element.text}'", "'…'")
    text = _QUOTED_VALUE.sub("The value ", text)
    return _NAMESPACE.sub("", text)
