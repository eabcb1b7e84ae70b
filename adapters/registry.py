"""The adapters by name, and ``--adapter auto`` (DOMAIN.md 5).

``load_export(name, school, paths)`` reads any supported export into a ``CanonicalExport``. The
canonical CSV files go through the fast block reader; vendor formats through their adapter and
``adapters.base.assemble``. ``auto`` asks each adapter whether it recognises the files and says
which it chose.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from adapters.base import Adapter, AdapterOutput, Where, assemble
from adapters.canonical import CanonicalExport, read_export
from adapters.intervals import is_interval_file, merge_reports, read_intervals, report_offset
from gateway.errors import ConfigError, InputError
from gateway.model import SchoolConfig

CANONICAL = "canonical"
AUTO = "auto"
_VENDORS = {
    "magister": "adapters.magister:MagisterAdapter",
    "somtoday": "adapters.somtoday:SomtodayAdapter",
    "eduarte": "adapters.eduarte:EduarteAdapter",
    "dagverzuim": "adapters.dagverzuim:DagverzuimAdapter",
}


def vendor_adapters() -> dict[str, Adapter]:
    """The vendor adapters this installation has, by name."""
    found: dict[str, Adapter] = {}
    for name, target in _VENDORS.items():
        module_name, class_name = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        found[name] = getattr(module, class_name)()
    return found


def names() -> list[str]:
    """Every name ``--adapter`` accepts."""
    return [AUTO, CANONICAL, *vendor_adapters()]


def choose(name: str, paths: Sequence[Path]) -> str:
    """The adapter for ``name``; for ``auto`` the first that recognises the files."""
    if name != AUTO:
        if name != CANONICAL and name not in vendor_adapters():
            raise ConfigError(f"--adapter {name!r}: kies uit {', '.join(names())}")
        return name
    for candidate, adapter in vendor_adapters().items():
        if adapter.detect(paths):
            return candidate
    if any(_looks_canonical(path) for path in paths):
        return CANONICAL
    raise InputError("--adapter auto: geen bekend formaat herkend; geef --adapter NAAM")


def load_export(
    name: str,
    school: SchoolConfig,
    paths: Sequence[Path],
    students: Path | None = None,
    not_after: dt.date | None = None,
) -> tuple[str, CanonicalExport]:
    """Read ``paths`` (and ``students``) with the chosen adapter; returns its name too.

    Two inputs with the same file name (from two folders) are refused (``InputError``): every
    rejection, warning and row count names a file by its name, so they could not be told apart,
    and the rows of one would be booked on the other."""
    _refuse_same_names([*paths, *([students] if students else [])])
    chosen = choose(name, [*paths, *([students] if students else [])])
    if chosen == CANONICAL:
        if students is None:
            raise InputError("het canonieke formaat vraagt om --students leerlingen.csv")
        intervals = [path for path in paths if is_interval_file(path)]
        lessons = [path for path in paths if path not in intervals]
        export = read_export(school, students, lessons, not_after)
        return chosen, _with_reports(export, intervals, school, not_after, students)
    adapter = vendor_adapters()[chosen]
    files = [*paths, *([students] if students else [])]
    return chosen, assemble(adapter.read(school, files), not_after)


def _refuse_same_names(files: Sequence[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in files:
        earlier = seen.setdefault(path.name, path)
        if earlier != path:
            raise InputError(
                f"{earlier} en {path} hebben dezelfde bestandsnaam ({path.name}); meldingen en "
                "tellingen noemen een bestand bij zijn naam: geef ze verschillende namen"
            )


def _with_reports(
    export: CanonicalExport,
    intervals: Sequence[Path],
    school: SchoolConfig,
    not_after: dt.date | None,
    students: Path,
) -> CanonicalExport:
    """Add the canonical interval files (``absentiemeldingen.csv``) to a lesson export."""
    if not intervals:
        return export
    output = AdapterOutput()
    output.students = [(s, Where(students.name)) for s in export.students.values()]
    for path in intervals:
        part = read_intervals(path, school, not_after)
        output.registrations.extend(part.registrations)
        output.rejections.extend(part.rejections)
        output.stats.extend(part.stats)
    reports = assemble(output, not_after)
    texts = None
    if reports.texts is not None:
        offset = report_offset(export.registrations)
        texts = reports.texts.with_columns(pl.col("volgorde") + offset)
        if export.texts is not None:
            texts = pl.concat([export.texts, texts])
    return CanonicalExport(
        export.students,
        merge_reports(export.registrations, reports.registrations),
        [*export.rejections, *reports.rejections],
        [*export.warnings, *reports.warnings],
        [*export.stats, *reports.stats],
        texts,
    )


def _looks_canonical(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            first = handle.readline(4096).decode("utf-8-sig", errors="replace").lower()
    except OSError:
        return False
    return first.startswith(("brin;", "leerlingnummer;")) and (
        "datum" in first or "absentiesoort" in first
    )
