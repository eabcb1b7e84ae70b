"""What ``verzuim sync`` keeps on disk per school: the drop folders it reads and the school's
canonical data (every registration imported so far), written atomically.

**Drop folders.** Every regular file directly in a drop folder is one batch, read together with
the source's adapter (so a Somtoday ``waarnemingen.json`` and its ``absentiemeldingen.json``
dropped together are joined). Hidden files, ``*.tmp``/``*.part``/``*.partial`` and files changed
less than ``settle_seconds`` ago are left for the next run (an SIS still writing). After the
batch's registrations are stored the files are moved, never deleted, to
``verwerkt/<run>/``; a batch that cannot be read as a whole (a wrong header, a student file
missing) goes to ``afgewezen/<run>/`` with ``reden.txt``.

**The school's data** (``<data_dir>/<BRIN>-<vestiging>/``) is the canonical ``leerlingen.csv``
and ``lesregistraties.csv`` (with ``categorie``) of everything imported so far: the pre-check
needs the whole period, not only the newest file. Each import writes a new generation
``generaties/<run>/`` (files and folder fsynced) and then switches the one-line pointer file
``HUIDIG`` with an atomic rename, so a sync killed at any moment leaves either the old or the new
data, never half of it. Merging: a pupil of a later import replaces the earlier one; a
registration with the same pupil, date, begin and end as an earlier one replaces it (F1: the
later row wins), so importing the same file twice changes nothing. A day register replaces whole
days (``dagverzuim``, whose register is complete per day, issue 5): the registrations of an export
read by such an adapter replace every earlier registration (stored or of an earlier source of the
same run) of the same pupil and date, so a day corrected from ``O`` to ``D`` (or back) in a later
export is not stored twice. The current and the previous generation are kept.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from adapters.canonical import CanonicalExport, read_export
from adapters.export import REGISTRATION_HEADER, STUDENT_HEADER, clock_text
from adapters.registry import CANONICAL, choose, load_export
from adapters.textrows import is_students_file
from gateway.errors import InputError
from gateway.model import SchoolConfig, Student

STUDENTS = "leerlingen.csv"
REGISTRATIONS = "lesregistraties.csv"
POINTER = "HUIDIG"
PROCESSED = "verwerkt"
REFUSED = "afgewezen"
_SKIP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")
_KEY = ["leerlingnummer", "datum", "begin", "eind"]  # F1: identical rows count once
#: Adapters that read a canonical leerlingen.csv beside their own files.
_NEEDS_STUDENT_CSV = {"somtoday", "eduarte", "dagverzuim"}
#: Adapters of a day register: an export's pupil-dates replace the stored ones (see the module).
DAY_REGISTERS = {"dagverzuim"}
_DAY = ["leerlingnummer", "datum"]


# ----- drop folders -----------------------------------------------------------------------------


def batch_files(drop: Path, now: dt.datetime, settle_seconds: float) -> list[Path]:
    """The files of a drop folder that are ready to import, by name. ``InputError`` when the
    folder does not exist (a typo in the settings must not look like "nothing to do")."""
    if not drop.is_dir():
        raise InputError(f"dropmap {drop} bestaat niet; maak hem aan of corrigeer sync-bron drop")
    ready = []
    for path in sorted(drop.iterdir()):
        name = path.name
        if name.startswith((".", "~")) or name.lower().endswith(_SKIP_SUFFIXES):
            continue
        if not path.is_file():
            continue
        if settle_seconds > 0:
            changed = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            if (now - changed).total_seconds() < settle_seconds:
                continue
        ready.append(path)
    return ready


def move_aside(files: Sequence[Path], target: Path) -> list[Path]:
    """Move ``files`` into ``target`` (created), fsyncing the folders: never deleted."""
    target.mkdir(parents=True, exist_ok=True)
    moved = []
    sources = {path.parent for path in files}
    for path in files:
        destination = target / path.name
        os.replace(path, destination)
        moved.append(destination)
    for folder in (target, *sources):
        _fsync_dir(folder)
    return moved


def refuse_batch(files: Sequence[Path], target: Path, reason: str) -> list[Path]:
    """Move an unreadable batch to ``target`` with ``reden.txt`` saying why."""
    moved = move_aside(files, target)
    _write_atomic(target / "reden.txt", reason + "\n")
    return moved


# ----- reading a batch --------------------------------------------------------------------------


def read_batch(
    school: SchoolConfig,
    adapter: str,
    files: Sequence[Path],
    stored_students: Path | None,
    today: dt.date,
) -> tuple[str, CanonicalExport]:
    """Read one batch with its adapter. A batch without a student file uses the school's stored
    ``leerlingen.csv`` (for the canonical format and the adapters that read one)."""
    chosen = choose(adapter, list(files))
    students = [path for path in files if is_students_file(path)]
    others = [path for path in files if path not in students]
    if chosen == CANONICAL:
        student_path = students[0] if students else stored_students
        if student_path is None:
            raise InputError(
                "het canonieke formaat vraagt om een leerlingen.csv in de dropmap "
                "(er is nog geen opgeslagen leerlingenbestand)"
            )
        return load_export(chosen, school, [*others, *students[1:]], student_path, today)
    paths = list(files)
    if chosen in _NEEDS_STUDENT_CSV and not students and stored_students is not None:
        paths.append(stored_students)
    return load_export(chosen, school, paths, None, today)


# ----- the school's canonical data --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MergeStats:
    """What a merge changed in the school's data."""

    students_before: int
    students_after: int
    registrations_before: int
    registrations_after: int
    registrations_in: int


class SchoolData:
    """The canonical data of one school (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def current(self) -> Path | None:
        """The folder of the current generation, or None before the first import."""
        try:
            name = (self.root / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        folder = self.root / "generaties" / name
        if not (folder / STUDENTS).is_file() or not (folder / REGISTRATIONS).is_file():
            raise InputError(
                f"{self.root / POINTER} wijst naar {folder}, maar daar ontbreken de bestanden; "
                "herstel HUIDIG naar de vorige generatie"
            )
        return folder

    def students_path(self) -> Path | None:
        folder = self.current()
        return folder / STUDENTS if folder else None

    def registrations_path(self) -> Path | None:
        folder = self.current()
        return folder / REGISTRATIONS if folder else None

    def merge(
        self,
        school: SchoolConfig,
        exports: Sequence[CanonicalExport],
        run_id: str,
        today: dt.date,
        adapters: Sequence[str] = (),
    ) -> MergeStats:
        """Merge ``exports`` (in order: later wins) into a new generation and switch to it.
        ``adapters`` names the adapter of each export: one in ``DAY_REGISTERS`` replaces whole
        pupil-dates (see the module docstring)."""
        folder = self.current()
        students: dict[str, Student] = {}
        frames: list[pl.DataFrame] = []
        if folder is not None:
            stored = read_export(school, folder / STUDENTS, [folder / REGISTRATIONS], today)
            students.update(stored.students)
            frames.append(_plain(stored.registrations))
        before_students = len(students)
        before_rows = frames[0].height if frames else 0
        incoming = 0
        for index, export in enumerate(exports):
            students.update(export.students)
            frame = _plain(export.registrations)
            if index < len(adapters) and adapters[index] in DAY_REGISTERS:
                frames = _without_days_of(frames, frame)
            frames.append(frame)
            incoming += export.registrations.height
        merged = _merge_frames(frames)
        target = self.root / "generaties" / run_id
        if target.exists():
            shutil.rmtree(target)  # a run killed while writing this generation: write it again
        target.mkdir(parents=True)
        _write_students(students, target / STUDENTS)
        _write_registrations(merged, school, target / REGISTRATIONS)
        _fsync_dir(target)
        _fsync_dir(target.parent)
        _write_atomic(self.root / POINTER, run_id + "\n")
        self._prune(keep={run_id, folder.name if folder else ""})
        return MergeStats(before_students, len(students), before_rows, merged.height, incoming)

    def _prune(self, keep: set[str]) -> None:
        generations = self.root / "generaties"
        for path in generations.iterdir():
            if path.name not in keep and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Registrations with string keys, so frames of several reads concatenate."""
    return frame.with_columns(pl.col("leerlingnummer").cast(pl.String))


def _without_days_of(frames: list[pl.DataFrame], later: pl.DataFrame) -> list[pl.DataFrame]:
    """``frames`` without the registrations of the pupil-dates that the later export of a day
    register gives again (its rows replace those days whole: issue 5, the later export wins)."""
    if later.height == 0:
        return frames
    days = later.select(_DAY).unique()
    return [frame.join(days, on=_DAY, how="anti") if frame.height else frame for frame in frames]


def _merge_frames(frames: list[pl.DataFrame]) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame()
    numbered = [
        frame.with_columns(pl.lit(index).alias("_bron"), pl.col("volgorde").alias("_rij"))
        for index, frame in enumerate(frames)
    ]
    return (
        pl.concat(numbered, how="vertical_relaxed")
        .sort(["_bron", "_rij"])
        .unique(subset=_KEY, keep="last", maintain_order=True)
        .sort(["leerlingnummer", "datum", "begin", "eind"])
        .drop(["_bron", "_rij"])
    )


def _write_students(students: dict[str, Student], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(STUDENT_HEADER)
        for pupil in sorted(students):
            student = students[pupil]
            writer.writerow((pupil, student.bsn, student.onderwijsnummer,
                             student.geboortedatum.isoformat(),
                             "J" if student.startkwalificatie else "N"))  # fmt: skip
        handle.flush()
        os.fsync(handle.fileno())


def _write_registrations(frame: pl.DataFrame, school: SchoolConfig, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(REGISTRATION_HEADER)
        if frame.height:
            rows = frame.select(
                pl.col("leerlingnummer"),
                pl.col("datum").dt.strftime("%Y-%m-%d"),
                pl.col("lesuur").cast(pl.String).fill_null(""),
                clock_text("begin"),
                clock_text("eind"),
                pl.col("status").cast(pl.String),
                pl.col("geoorloofd").cast(pl.String),
                pl.col("categorie").cast(pl.String),
            )
            for pupil, day, lesuur, begin, end, status, allowed, categorie in rows.iter_rows():
                writer.writerow((school.brin, school.vestiging, pupil, "", "", day, lesuur, begin,
                                 end, status, "", "", allowed, "", categorie))  # fmt: skip
        handle.flush()
        os.fsync(handle.fileno())


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old or the new file, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
