"""adapters.blocks: the fast native split and the exact per-line fallback agree on every line."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.blocks import Block, file_blocks, split_block

NAMES = ("f0", "f1", "f2", "f3")


def split(
    data: bytes, first_line: int = 2
) -> tuple[list[tuple[object, ...]], list[tuple[int, str]]]:
    result = split_block(Block(first_line, data), NAMES)
    rows = result.fields.select("regelnummer", "f0", "f1", "f2", "f3").rows()
    return rows, [(p.number, p.rule) for p in result.problems]


def test_clean_block_keeps_line_numbers_and_empty_fields() -> None:
    rows, problems = split(b"a;b;c;d\ne;;g;\n;;;")
    assert rows == [(2, "a", "b", "c", "d"), (3, "e", "", "g", ""), (4, "", "", "", "")]
    assert problems == []


def test_one_line_too_long_and_one_too_short_in_the_same_block_are_both_refused() -> None:
    # The separators add up to 3 per line on average: the fast path must still not accept it.
    rows, problems = split(b"a;b;c;d\n1;2;3;4;5\n1;2;3\nw;x;y;z")
    assert [row[0] for row in rows] == [2, 5]
    assert problems == [(3, "I-VELDEN"), (4, "I-VELDEN")]


def test_a_short_first_line_balanced_by_a_long_one_is_refused_line_by_line() -> None:
    # The separators add up and the first line is short: polars refuses the block (it takes
    # the first line's width); the lines are then split one by one, not the run stopped.
    rows, problems = split(b"a;b;c\n1;2;3;4;5\nw;x;y;z")
    assert [row[0] for row in rows] == [4]
    assert problems == [(2, "I-VELDEN"), (3, "I-VELDEN")]


def test_quoted_separator_blank_line_nul_and_bad_bytes() -> None:
    data = b'"a;1";b;c;d\n\nx\x00;b;c;d\n\xff;b;c;d\n"open;b;c;d\nok;b;c;d'
    rows, problems = split(data)
    assert rows == [(2, "a;1", "b", "c", "d"), (7, "ok", "b", "c", "d")]
    assert problems == [(4, "I-TEKEN"), (5, "I-TEKENSET"), (6, "I-VELDEN")]
    assert split_block(Block(2, data), NAMES).read == 5  # the blank line 3 is not counted


@pytest.mark.parametrize("block_bytes", [7, 16, 64, 1 << 20])
def test_blocks_cover_every_line_whatever_the_block_size(tmp_path: Path, block_bytes: int) -> None:
    lines = [f"{n};b;c;d" for n in range(1, 60)]
    path = tmp_path / "f.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    encoding, blocks = file_blocks(path, block_bytes)
    seen = []
    for block in blocks:
        seen.extend(split_block(block, NAMES, encoding).fields.select("regelnummer", "f0").rows())
    assert seen == [(n, str(n)) for n in range(1, 60)]


def test_windows_1252_block_is_reencoded(tmp_path: Path) -> None:
    rows = split_block(Block(1, "café;b;c;d".encode("cp1252")), NAMES, "windows-1252")
    assert rows.fields.get_column("f0").to_list() == ["café"]
