"""The one safe parser (gateway/xml.py; DESIGN.md 1): DOCTYPEs, entities and oversized documents
in anything from outside are refused, never expanded, and no file is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

import gateway.xml as safe_xml
from gateway.errors import MessageError, UnsafeXmlError
from gateway.messages import read_answer
from gateway.xml import MAX_DOCUMENT_BYTES, canonical, parse_bytes

SECRET = "geheim-7f3a9c"
ANSWER = Path(__file__).resolve().parent.parent / "xsd" / "examples" / "DC0001-Bevestiging.xml"


def _forbid_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any call of lxml's parser in gateway.xml fail the test: refusal must come first."""

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("the document reached the XML parser")

    monkeypatch.setattr(safe_xml.etree, "fromstring", boom)


def _external_entity_doc(target: Path, encoding: str = "utf-8") -> bytes:
    text = (
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n'
        f'<!DOCTYPE x [<!ENTITY e SYSTEM "{target.as_uri()}">]>\n'
        "<x>&e;</x>"
    )
    return text.encode(encoding)


def _billion_laughs() -> bytes:
    lines = ['<!ENTITY lol0 "lol">']
    lines += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    text = f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{"".join(lines)}]>\n<lolz>&lol9;</lolz>'
    return text.encode()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A file whose access time shows whether anyone read it (skipped where atime is not kept)."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    mtime = os.stat(path).st_mtime
    os.utime(path, (0, mtime))
    path.read_bytes()
    if os.stat(path).st_atime == 0:
        pytest.skip("this file system does not update access times")
    os.utime(path, (0, mtime))
    return path


def test_the_attack_document_is_real(secret_file: Path) -> None:
    """Control: an unsafe parser does read the file, so the tests below can fail."""
    unsafe = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=True)
    root = etree.fromstring(_external_entity_doc(secret_file), unsafe)
    assert root.text == SECRET


def test_doctype_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    _forbid_parsing(monkeypatch)
    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        parse_bytes(b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "a.dtd"><a/>')


def test_external_entity_is_refused_without_reading_the_file(
    secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _forbid_parsing(monkeypatch)
    with pytest.raises(UnsafeXmlError) as caught:
        parse_bytes(_external_entity_doc(secret_file))
    assert SECRET not in str(caught.value)
    assert os.stat(secret_file).st_atime == 0


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_wide_encodings_that_hide_markup_are_refused_before_parsing(
    encoding: str, secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _external_entity_doc(secret_file, encoding)
    assert b"<!DOCTYPE" not in data
    _forbid_parsing(monkeypatch)
    with pytest.raises(UnsafeXmlError, match="UTF-8"):
        parse_bytes(data)
    assert os.stat(secret_file).st_atime == 0


def test_second_line_of_defence_refuses_a_doctype_the_scan_missed(
    secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the byte scan switched off, the parser neither loads nor expands the entity and the
    DOCTYPE is refused after parsing."""
    monkeypatch.setattr(safe_xml, "_FORBIDDEN_MARKUP", ())
    with pytest.raises(UnsafeXmlError, match="DOCTYPE") as caught:
        parse_bytes(_external_entity_doc(secret_file))
    assert SECRET not in str(caught.value)
    assert os.stat(secret_file).st_atime == 0


def test_billion_laughs_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    _forbid_parsing(monkeypatch)
    with pytest.raises(UnsafeXmlError):
        parse_bytes(_billion_laughs())


def test_billion_laughs_past_the_scan_is_not_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safe_xml, "_FORBIDDEN_MARKUP", ())
    with pytest.raises((UnsafeXmlError, MessageError)) as caught:
        parse_bytes(_billion_laughs())
    assert "lollol" not in str(caught.value)


def test_entity_reference_without_doctype_is_not_well_formed() -> None:
    with pytest.raises(MessageError, match="goedgevormd"):
        parse_bytes(b"<a>&undefined;</a>")


def test_oversized_document_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"<a>" + b"x" * (MAX_DOCUMENT_BYTES - 6) + b"</a>"
    assert len(data) == MAX_DOCUMENT_BYTES + 1
    _forbid_parsing(monkeypatch)
    with pytest.raises(UnsafeXmlError, match="grens"):
        parse_bytes(data)


def test_document_at_the_size_limit_is_parsed() -> None:
    data = b"<a>" + b"x" * 10 + b"</a>"
    assert parse_bytes(data, max_bytes=len(data)).text == "x" * 10
    with pytest.raises(UnsafeXmlError):
        parse_bytes(data, max_bytes=len(data) - 1)


def test_not_well_formed_gives_the_line() -> None:
    with pytest.raises(MessageError) as caught:
        parse_bytes(b"<a>\n<b>\n</a>")
    assert caught.value.issues[0].line is not None


def test_answers_go_through_the_safe_parser(secret_file: Path) -> None:
    """A DUO answer carrying a DOCTYPE is refused by the message layer, not expanded."""
    answer = ANSWER.read_bytes()
    assert read_answer(answer).nummer == "2024000123"
    poisoned = answer.replace(
        b"<vz:Bevestiging",
        b'<!DOCTYPE vz:Bevestiging [<!ENTITY e SYSTEM "' + secret_file.as_uri().encode() + b'">]>'
        b"<vz:Bevestiging",
        1,
    )
    with pytest.raises(UnsafeXmlError):
        read_answer(poisoned)
    assert os.stat(secret_file).st_atime == 0
    with pytest.raises(UnsafeXmlError):
        read_answer(answer + b" " * MAX_DOCUMENT_BYTES)


def test_canonical_ignores_prefixes_and_comments() -> None:
    one = etree.fromstring(b'<a:x xmlns:a="urn:t"><!-- c --><a:y>1</a:y></a:x>')
    two = etree.fromstring(b'<x xmlns="urn:t"><y>1</y></x>')
    other = etree.fromstring(b'<x xmlns="urn:t"><y>2</y></x>')
    assert canonical(one) != canonical(other)
    assert b"<!--" not in canonical(one)
    assert etree.QName(one).namespace == etree.QName(two).namespace
