"""Fast, exact splitting of large ``;`` files into fields, with every line accounted for.

A file is read in blocks of whole lines. A block that is *clean* (valid in its encoding, no quote,
no NUL byte, no blank line, and exactly ``width - 1`` separators on every line, which the lengths
of the fields polars returns show) goes through polars' native CSV reader, so the common case
costs no Python per row. Any other block is split
line by line: the clean lines still go through polars in bulk, quoted lines through the ``csv``
module, and every other line becomes a ``LineProblem`` with its line number. Line numbers are
exact because no line is ever merged or skipped without being counted.
"""

from __future__ import annotations

import csv
import io
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl

from adapters.textio import BOM, UTF8, detect_encoding

BLOCK_BYTES = 16 * 1024 * 1024  # small enough that the last block checked alone is short
MAX_WORKERS = 4  # blocks checked at once (each holds a block and its frames in memory)
_In = TypeVar("_In")
_Out = TypeVar("_Out")


@dataclass(frozen=True, slots=True)
class LineProblem:
    """A line that could not be split into fields: its number, the rule and the reason."""

    number: int
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Block:
    """Whole lines of a file (LF-separated, no final newline); the first is ``first_line``."""

    first_line: int
    data: bytes
    lines: int = -1  # number of lines, when the reader counted them already


@dataclass(frozen=True, slots=True)
class SplitBlock:
    """The fields of a block's lines (one string column per kept column name, ``""`` when empty,
    and ``regelnummer``), the lines that could not be split, and how many non-blank lines were
    read."""

    fields: pl.DataFrame
    problems: list[LineProblem]
    read: int


def file_blocks(path: Path, block_bytes: int | None = None) -> tuple[str, Iterator[Block]]:
    """The detected encoding of ``path`` and its blocks of whole lines (BOM dropped, CRLF as LF).

    ``block_bytes`` defaults to ``BLOCK_BYTES``; the encoding is detected on the first block (at
    most 1 MiB).
    """
    block_bytes = block_bytes or BLOCK_BYTES
    with path.open("rb") as handle:
        sample = handle.read(min(block_bytes, 1024 * 1024))
    return detect_encoding(sample), _blocks(path, block_bytes)


def _blocks(path: Path, block_bytes: int) -> Iterator[Block]:
    """Blocks of whole lines, read in pieces of ``block_bytes`` (plain reads: cheaper than the
    page faults of a memory map); a line longer than a piece is taken whole."""
    with path.open("rb", buffering=0) as handle:
        if handle.read(len(BOM)) != BOM:
            handle.seek(0)
        parts: list[bytes | memoryview] = []
        first_line = 1
        while piece := handle.read(block_bytes):
            cut = piece.rfind(b"\n")
            if cut < 0:
                parts.append(piece)
                continue
            parts.append(memoryview(piece)[:cut])  # copied once, by the join
            data = b"".join(parts)
            parts = [piece[cut + 1 :]]
            lines = data.count(b"\n") + 1
            yield _block(first_line, data, lines)
            first_line += lines
        rest = b"".join(parts)
        if rest:  # the last line has no line end (a final line end gives no empty line)
            yield _block(first_line, rest, rest.count(b"\n") + 1)


def _block(first_line: int, data: bytes, lines: int) -> Block:
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").removesuffix(b"\r")
    return Block(first_line, data, lines)


def split_block(
    block: Block, names: Sequence[str], encoding: str = UTF8, keep: Sequence[str] | None = None
) -> SplitBlock:
    """Split a block into one field per column of ``names`` (see the module docstring).

    ``keep`` limits the columns returned (and materialised on the fast path) to the ones the
    caller uses; every line is still checked for exactly ``len(names)`` fields.
    """
    columns = Columns(names, keep)
    data = block.data
    if not data:
        return SplitBlock(columns.empty(), [], 0)
    clean = _reencoded(data, encoding)
    lines = block.lines if block.lines >= 0 else data.count(b"\n") + 1
    if clean is not None and _looks_clean(clean):
        fields = _native(clean, columns, every_column=True)
        # with no line above ``width`` fields (polars refuses those), the exact total of
        # separators means that every line has exactly ``width`` fields
        if (
            fields is not None
            and fields.height == lines
            and _separators(fields, len(clean), lines) == (columns.width - 1) * lines
        ):
            numbers = pl.int_range(
                block.first_line, block.first_line + fields.height, dtype=pl.Int64, eager=True
            )
            kept = fields.select(columns.internal[index] for index in columns.kept)
            return SplitBlock(kept.with_columns(regelnummer=numbers), [], kept.height)
    return _per_line(block, columns, encoding)


class Columns:
    """The columns of a file: internal names (kept columns by name, others ``_<index>``)."""

    def __init__(self, names: Sequence[str], keep: Sequence[str] | None) -> None:
        kept = set(names if keep is None else keep)
        self.width = len(names)
        self.internal = [name if name in kept else f"_{index}" for index, name in enumerate(names)]
        self.kept = [index for index, name in enumerate(names) if name in kept]

    def schema(self, kept_only: bool = True) -> dict[str, pl.DataType]:
        indexes = self.kept if kept_only else range(self.width)
        schema: dict[str, pl.DataType] = {self.internal[i]: pl.String() for i in indexes}
        return schema

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema={**self.schema(), "regelnummer": pl.Int64()})


def _reencoded(data: bytes, encoding: str) -> bytes | None:
    """The block as UTF-8 bytes for polars, or None when a byte is invalid in ``encoding``.

    ASCII (the usual export) is the same in UTF-8 and Windows-1252, and checking for it is several
    times faster than decoding."""
    if data.isascii():
        return data
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return data if encoding == UTF8 else text.encode(UTF8)


def _looks_clean(data: bytes) -> bool:
    """No quote, NUL or CR (each ``in`` is a fast memchr scan)."""
    return b'"' not in data and b"\x00" not in data and b"\r" not in data


def _separators(fields: pl.DataFrame, size: int, lines: int) -> int:
    """The separators in a clean block of ``size`` bytes and ``lines`` lines, from ``fields``,
    every column of its lines: each other byte belongs to a field or is a line end.

    Polars sums the field lengths without the GIL, where ``bytes.count`` would hold it while the
    other blocks wait."""
    field_bytes = fields.select(
        pl.sum_horizontal(pl.all().str.len_bytes().cast(pl.Int64).sum())
    ).item()
    return size - (lines - 1) - int(field_bytes)


def _native(data: bytes, columns: Columns, every_column: bool = False) -> pl.DataFrame | None:
    """Native polars split of the kept columns (or of every column); None when a line has more
    fields than the header, or when polars refuses the block otherwise (a blank first line). A
    line with fewer fields is not refused (its last fields are empty): the caller checks the
    count of separators."""
    try:
        return pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            separator=";",
            quote_char=None,
            schema=columns.schema(kept_only=False),
            empty_string_is_null=False,
            columns=None if every_column else columns.kept,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.SchemaError):
        return None


def _per_line(block: Block, columns: Columns, encoding: str) -> SplitBlock:
    width = columns.width
    problems: list[LineProblem] = []
    clean_lines: list[str] = []
    clean_numbers: list[int] = []
    quoted: list[tuple[int, list[str]]] = []
    read = 0
    for offset, raw in enumerate(block.data.split(b"\n")):
        number = block.first_line + offset
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            read += 1
            problems.append(
                LineProblem(number, "I-TEKENSET", f"byte 0x{raw[exc.start]:02x} op positie "
                            f"{exc.start + 1} is geen geldige {encoding}")
            )  # fmt: skip
            continue
        if not text.strip():
            continue
        read += 1
        if "\x00" in text:
            problems.append(LineProblem(number, "I-TEKEN", "regel bevat een NUL-teken"))
        elif '"' in text:
            try:
                fields = next(csv.reader([text], delimiter=";", strict=True))
            except csv.Error:
                problems.append(
                    LineProblem(number, "I-VELDEN", "aanhalingsteken niet goed afgesloten")
                )
                continue
            if len(fields) != width:
                problems.append(_field_count(number, width, len(fields)))
            else:
                quoted.append((number, fields))
        elif (found := text.count(";") + 1) != width:
            problems.append(_field_count(number, width, found))
        else:
            clean_lines.append(text)
            clean_numbers.append(number)
    parts = []
    if clean_lines:
        native = _native("\n".join(clean_lines).encode(UTF8), columns)
        assert native is not None and native.height == len(clean_numbers)
        parts.append(native.with_columns(regelnummer=pl.Series(clean_numbers, dtype=pl.Int64)))
    if quoted:
        values: dict[str, list[object]] = {
            columns.internal[index]: [fields[index] for _, fields in quoted]
            for index in columns.kept
        }
        values["regelnummer"] = [number for number, _ in quoted]
        parts.append(pl.DataFrame(values, schema=columns.empty().schema))
    frame = pl.concat(parts).sort("regelnummer") if parts else columns.empty()
    return SplitBlock(frame, problems, read)


def _field_count(number: int, width: int, found: int) -> LineProblem:
    return LineProblem(number, "I-VELDEN", f"verwacht {width} velden, gevonden {found}")


def map_in_order(
    function: Callable[[_In], _Out], items: Iterable[_In], workers: int | None = None
) -> Iterator[_Out]:
    """``map(function, items)`` on ``workers`` threads (default: the cores, at most
    ``MAX_WORKERS``), the results in the order of ``items``.

    Polars releases the GIL while it works and its own parallelism inside one block is small, so
    checking blocks side by side keeps every core busy. One item more than ``workers`` is in hand,
    so a thread that finishes finds the next item ready; memory stays bounded by those blocks.
    """
    count = workers or min(os.cpu_count() or 1, MAX_WORKERS)
    if count < 2:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(count, thread_name_prefix="block") as pool:
        pending: deque[Future[_Out]] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) > count:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
