"""Reading text exports: encoding detection and line-numbered chunks (DOMAIN.md 5).

UTF-8 with or without BOM is read as such; a file whose first block is not mostly valid UTF-8 is
read as Windows-1252, the encoding of older Windows exports. A line that breaks the detected
encoding later on is reported on its own, so one bad byte never stops the rest of the file.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

UTF8 = "utf-8"
CP1252 = "windows-1252"
BOM = b"\xef\xbb\xbf"
CHUNK_BYTES = 16 * 1024 * 1024
_INVALID_RUN = re.compile("[\udc80-\udcff]+")
_MULTI_BYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a text file that could not be decoded (its number and the offending byte)."""

    number: int
    reason: str


@dataclass(frozen=True, slots=True)
class Chunk:
    """A block of whole lines: ``lines[i]`` is line ``first_line + i`` of the file.

    ``undecodable`` lists lines that broke the encoding; their entry in ``lines`` is empty.
    """

    first_line: int
    lines: list[str]
    undecodable: list[Line]


def detect_encoding(sample: bytes) -> str:
    """UTF-8 when the sample decodes as UTF-8 (a cut multi-byte character at its end allowed),
    or when its valid multi-byte UTF-8 characters are at least as many as its invalid byte
    sequences (a UTF-8 export with a stray bad line: that line is reported, the rest is read as
    UTF-8); Windows-1252 otherwise.

    Windows-1252 text practically never forms valid multi-byte UTF-8 sequences, so an export in
    that encoding has invalid sequences and no valid ones.
    """
    if sample.startswith(BOM) or sample.isascii():  # ASCII: UTF-8, and quick to see
        return UTF8
    # surrogateescape turns each invalid byte into one lone surrogate; the incremental decoder
    # keeps back a multi-byte character cut at the end of the sample.
    decoder = codecs.getincrementaldecoder(UTF8)(errors="surrogateescape")
    text = decoder.decode(sample, final=False)
    invalid = len(_INVALID_RUN.findall(text))
    valid = len(_MULTI_BYTE.findall(text))
    return UTF8 if valid >= invalid else CP1252


def read_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> tuple[str, Iterator[Chunk]]:
    """The detected encoding of ``path`` and an iterator over its lines in blocks.

    Line endings ``\\n`` and ``\\r\\n`` are accepted; the BOM is dropped.
    """
    with path.open("rb") as handle:
        sample = handle.read(min(chunk_bytes, 1024 * 1024))
    encoding = detect_encoding(sample)
    return encoding, _chunks(path, encoding, chunk_bytes)


def _chunks(path: Path, encoding: str, chunk_bytes: int) -> Iterator[Chunk]:
    with path.open("rb") as handle:
        next_line = 1
        rest = b""
        first = True
        while True:
            block = handle.read(chunk_bytes)
            if first and block.startswith(BOM):
                block = block[len(BOM) :]
            first = False
            data = rest + block
            if not block:
                if data:
                    yield _decode(data, next_line, encoding)
                return
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            rest = data[cut + 1 :]
            chunk = _decode(data[:cut], next_line, encoding)
            next_line += len(chunk.lines)
            yield chunk


def _decode(data: bytes, first_line: int, encoding: str) -> Chunk:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return _decode_per_line(data, first_line, encoding)
    return Chunk(first_line, _split(text), [])


def _decode_per_line(data: bytes, first_line: int, encoding: str) -> Chunk:
    lines: list[str] = []
    bad: list[Line] = []
    for offset, raw in enumerate(data.split(b"\n")):
        try:
            lines.append(raw.decode(encoding).removesuffix("\r"))
        except UnicodeDecodeError as exc:
            lines.append("")
            bad.append(
                Line(
                    first_line + offset,
                    f"byte 0x{raw[exc.start]:02x} op positie {exc.start + 1} is geen geldige "
                    f"{encoding}; het bestand mengt tekensets",
                )
            )
    return Chunk(first_line, lines, bad)


def _split(text: str) -> list[str]:
    lines = text.split("\n")
    if "\r" in text:
        lines = [line.removesuffix("\r") for line in lines]
    return lines
