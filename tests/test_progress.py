"""Readers report progress to a listener, and to nobody without one."""

from __future__ import annotations

from pathlib import Path

import adapters.blocks as blocks
from adapters.progress import advance, listening
from gateway.pipeline import run_precheck
from gateway.sample.generate import write_sample_school


def test_the_lesson_reader_reports_every_block_up_to_the_file_size(
    tmp_path: Path, monkeypatch: object
) -> None:
    files = write_sample_school(tmp_path)
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 64 * 1024)  # type: ignore[attr-defined]
    seen: list[tuple[str, int, int]] = []
    with listening(lambda source, done, total: seen.append((source, done, total))):
        run_precheck(files.school, files.leerlingen, [files.lesregistraties])
    size = files.lesregistraties.stat().st_size
    assert len(seen) > 5
    assert all(source == "lesregistraties.csv" and total == size for source, _, total in seen)
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)
    assert seen[-1][1] == size


def test_without_a_listener_nothing_happens() -> None:
    advance("x.csv", 1, 2)  # must not raise
