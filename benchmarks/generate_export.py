"""Generate a large canonical school-year export for the pre-check benchmark.

``generate_export(directory, n_registrations=5_000_000, n_pupils=30_000, seed=1)`` writes

- ``lesregistraties.csv``: the canonical lesson-grain file (DOMAIN.md 5), school year 1 Aug 2024 -
  31 Jul 2025 (registrations fall on its schooldagen, 26 Aug 2024 - 11 Jul 2025), eight lessons of
  45 minutes a day, every pupil's rows together and in date order;
- ``leerlingen.csv``: the pupils, with fake BSNs that pass the 11-check, about 1% onderwijsnummers
  and a handful of invalid BSNs (V01);
- ``school.toml``: a VO school with the holidays of 2024-2025 (region midden) and
  ``te_laat_signaal = 5``;
- ``manifest.json``: the parameters and what was written. When it matches the parameters and the
  files are there with the recorded sizes, generation is skipped (a cache).

The data is absence-heavy but has presence too: per pupil a mix of whole days present (``AANWEZIG``
rows, sometimes with a late arrival, a skipped lesson or a removal), excused sick days and
episodes, medical appointments, unexcused lessons and truancy episodes (R-16U, R-HERHAAL), long
truancy or unexplained episodes of 15-45 schooldagen (R-LRV, R-RMC), absence with ``geoorloofd``
empty (W-ONBEKEND), luxe episodes (R-LUXE), unexcused late arrivals (R-SIGNAAL) and about 0.01%
bad rows (an impossible date, end before begin, an unknown status; F1).

Pure Python: each pupil-day is one of a few dozen day patterns whose text is rendered once per
schooldag and reused, so 5 million rows take a few seconds. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before benchmarks/: its adapters.py shadows the package

from gateway.sample.generate import LEERLINGEN_HEADER as LEERLINGEN  # noqa: E402
from gateway.sample.generate import LESREGISTRATIES_HEADER as LESREGISTRATIES  # noqa: E402

GENERATOR_VERSION = 4
BRIN = "99XX"
VESTIGING = "00"
YEAR_START = dt.date(2024, 8, 1)
YEAR_END = dt.date(2025, 7, 31)

VAKANTIES: tuple[tuple[str, dt.date, dt.date], ...] = (
    ("zomervakantie 2024", dt.date(2024, 7, 13), dt.date(2024, 8, 25)),
    ("herfstvakantie", dt.date(2024, 10, 19), dt.date(2024, 10, 27)),
    ("kerstvakantie", dt.date(2024, 12, 21), dt.date(2025, 1, 5)),
    ("voorjaarsvakantie", dt.date(2025, 2, 15), dt.date(2025, 2, 23)),
    ("Goede Vrijdag", dt.date(2025, 4, 18), dt.date(2025, 4, 18)),
    ("Tweede Paasdag", dt.date(2025, 4, 21), dt.date(2025, 4, 21)),
    ("meivakantie", dt.date(2025, 4, 26), dt.date(2025, 5, 4)),
    ("Bevrijdingsdag", dt.date(2025, 5, 5), dt.date(2025, 5, 5)),
    ("Hemelvaart", dt.date(2025, 5, 29), dt.date(2025, 5, 30)),
    ("Tweede Pinksterdag", dt.date(2025, 6, 9), dt.date(2025, 6, 9)),
    ("zomervakantie 2025", dt.date(2025, 7, 12), dt.date(2025, 8, 24)),
)

LESSONS: tuple[tuple[str, str], ...] = (
    ("08:30", "09:15"),
    ("09:15", "10:00"),
    ("10:00", "10:45"),
    ("11:00", "11:45"),
    ("11:45", "12:30"),
    ("13:00", "13:45"),
    ("13:45", "14:30"),
    ("14:30", "15:15"),
)
N_LESSONS = len(LESSONS)

REDENCODES: tuple[tuple[str, str, str], ...] = (
    ("Z", "ZIEK", "Ziek"),
    ("ZM", "ZIEK", "Ziekmelding ouder"),
    ("T", "OVERIG", "Te laat"),
    ("S", "OVERIG", "Ongeoorloofd afwezig"),
    ("VZV", "LUXE", "Vakantie zonder verlof"),
    ("ART", "MEDISCH", "Arts/tandarts"),
    ("VL", "VERLOF", "Verlof"),
    ("SCH", "SCHORSING", "Schorsing"),
    ("VW", "OVERIG", "Verwijderd uit de les"),
)
_REDEN = {code: omschrijving for code, _, omschrijving in REDENCODES}

LEERLINGEN_HEADER = LEERLINGEN + "\n"  # the sample school's headers (the readers' columns)
LESREGISTRATIES_HEADER = LESREGISTRATIES + "\n"
BAD_ROW_SHARE = 0.0001
_PUPIL = "\x00"  # placeholder for the leerlingnummer in a rendered day pattern

# A day pattern: one pupil's registrations on one schooldag: (lesuur, status, code, geoorloofd).
Pattern = tuple[tuple[int, str, str, str], ...]


@dataclass(frozen=True, slots=True)
class ExportFiles:
    """What ``generate_export`` wrote (or found in its cache)."""

    directory: Path
    school: Path
    leerlingen: Path
    lesregistraties: Path
    manifest: Path
    registrations: int
    bad_rows: int
    pupils: int
    generated: bool


def _in_holiday(day: dt.date) -> bool:
    return any(van <= day <= tot for _, van, tot in VAKANTIES)


def schooldagen() -> list[dt.date]:
    """Mon-Fri of the school year 2024-2025 outside the holidays."""
    days = []
    day = YEAR_START
    while day <= YEAR_END:
        if day.weekday() < 5 and not _in_holiday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _full_day(status: str, code: str, geoorloofd: str) -> Pattern:
    return tuple((les, status, code, geoorloofd) for les in range(1, N_LESSONS + 1))


def _present_with(events: dict[int, tuple[str, str, str]]) -> Pattern:
    """A day present, except for the lessons in ``events``."""
    return tuple((les, *events.get(les, ("AANWEZIG", "", ""))) for les in range(1, N_LESSONS + 1))


def _only(lessons: Sequence[int], status: str, code: str, geoorloofd: str) -> Pattern:
    """Absence-only export of a day: just the non-present lessons."""
    return tuple((les, status, code, geoorloofd) for les in lessons)


def _patterns() -> dict[str, list[Pattern]]:
    """Day patterns by kind; each has variants (which lesson, with or without presence rows)."""
    late = ("TE_LAAT", "T")
    return {
        "present": [
            *[_full_day("AANWEZIG", "", "")] * 4,
            _present_with({7: ("NVT", "", ""), 8: ("NVT", "", "")}),
        ],
        "late_n": [_present_with({k: (*late, "N")}) for k in (1, 1, 5)]
        + [_only((k,), *late, "N") for k in (1, 2, 5)],
        "late_j": [_present_with({1: (*late, "J")}), _only((1,), *late, "J")],
        "skip": [_present_with({k: ("AFWEZIG", "S", "N")}) for k in (1, 4, 7, 8)]
        + [_only(range(k, k + n), "AFWEZIG", "S", "N") for k in (1, 3, 6, 7) for n in (1, 2)],
        "removed": [_present_with({k: ("VERWIJDERD", "VW", "N")}) for k in (2, 6)]
        + [_only((k,), "VERWIJDERD", "VW", "N") for k in (3, 5)],
        "sick": [
            _full_day("AFWEZIG", "Z", "J"),
            _full_day("AFWEZIG", "ZM", "J"),
            _only(range(4, N_LESSONS + 1), "AFWEZIG", "Z", "J"),
        ],
        "truant": [_full_day("AFWEZIG", "S", "N")],
        "unknown": [_full_day("AFWEZIG", "", ""), _only(range(1, 5), "AFWEZIG", "", "")],
        "medical": [_only((k, k + 1), "AFWEZIG", "ART", "J") for k in (1, 3, 6)],
        "luxe": [_full_day("AFWEZIG", "VZV", "N")],
        "verlof": [_full_day("AFWEZIG", "VL", "J")],
        "suspended": [_full_day("AFWEZIG", "SCH", "J")],
    }


# Pupil profiles: events (kind, min days, max days, weight). An event of more than one day is an
# episode on consecutive schooldagen.
Event = tuple[str, int, int, int]
PROFILES: tuple[tuple[int, tuple[Event, ...]], ...] = (
    (  # ordinary pupil
        60,
        (
            ("present", 1, 1, 30),
            ("sick", 1, 3, 12),
            ("skip", 1, 1, 8),
            ("late_n", 1, 1, 6),
            ("late_j", 1, 1, 4),
            ("medical", 1, 1, 8),
            ("removed", 1, 1, 2),
            ("verlof", 1, 1, 1),
            ("unknown", 1, 1, 2),
        ),
    ),
    (  # truant
        15,
        (
            ("present", 1, 1, 25),
            ("skip", 1, 1, 25),
            ("truant", 1, 3, 10),
            ("late_n", 1, 1, 15),
            ("removed", 1, 1, 5),
            ("unknown", 1, 2, 5),
            ("sick", 1, 2, 5),
            ("suspended", 1, 2, 1),
        ),
    ),
    (  # often or long sick, excused
        15,
        (
            ("present", 1, 1, 20),
            ("sick", 3, 15, 20),
            ("medical", 1, 1, 10),
            ("late_j", 1, 1, 3),
        ),
    ),
    (  # long absence: LRV or RMC
        5,
        (
            ("truant", 15, 45, 6),
            ("unknown", 15, 45, 2),
            ("present", 1, 1, 20),
            ("skip", 1, 1, 10),
        ),
    ),
    (  # luxe
        5,
        (
            ("luxe", 3, 7, 3),
            ("present", 1, 1, 25),
            ("sick", 1, 3, 10),
            ("skip", 1, 1, 5),
        ),
    ),
)


class _Renderer:
    """Renders a day pattern on a schooldag once; the pupil is filled in per pupil."""

    def __init__(self, days: Sequence[dt.date]) -> None:
        self.dates = [day.isoformat() for day in days]
        self.cache: dict[tuple[int, int], str] = {}
        self.patterns: list[Pattern] = []

    def add(self, pattern: Pattern) -> int:
        self.patterns.append(pattern)
        return len(self.patterns) - 1

    def render(self, day_index: int, pattern_index: int) -> str:
        key = (day_index, pattern_index)
        text = self.cache.get(key)
        if text is None:
            datum = self.dates[day_index]
            lines = []
            for les, status, code, geoorloofd in self.patterns[pattern_index]:
                begin, end = LESSONS[les - 1]
                lines.append(
                    f"{BRIN};{VESTIGING};{_PUPIL};;;{datum};{les};{begin};{end};{status};{code};"
                    f"{_REDEN.get(code, '')};{geoorloofd};{_PUPIL}-{day_index:03d}-{les}\n"
                )
            text = "".join(lines)
            self.cache[key] = text
        return text

    def bad_row(self, day_index: int, kind: int) -> str:
        """A row the reader must reject (F1), with a bron_id no good row has."""
        datum = self.dates[day_index]
        begin, end = LESSONS[1]
        status = "AFWEZIG"
        if kind == 0:
            datum = datum[:8] + "32"
        elif kind == 1:
            begin, end = end, begin
        else:
            status = "ONBEKEND"
        return (
            f"{BRIN};{VESTIGING};{_PUPIL};;;{datum};2;{begin};{end};{status};S;"
            f"{_REDEN['S']};N;{_PUPIL}-{day_index:03d}-X\n"
        )


def _bsn(rng: random.Random) -> str:
    """A fake BSN passing the 11-check (sum(d1*9 .. d8*2) - d9 divisible by 11)."""
    while True:
        digits = [rng.randint(2, 6)] + [rng.randrange(10) for _ in range(7)]
        check = sum(w * d for w, d in zip(range(9, 1, -1), digits, strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def _onderwijsnummer(rng: random.Random) -> str:
    """A fake onderwijsnummer: ``10`` + 7 digits, the weighted sum - d9 leaves remainder 5."""
    while True:
        digits = [1, 0] + [rng.randrange(10) for _ in range(6)]
        check = (sum(w * d for w, d in zip(range(9, 1, -1), digits, strict=True)) - 5) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def _leerlingen(rng: random.Random, numbers: Sequence[str]) -> str:
    lines = [LEERLINGEN_HEADER]
    seen: set[str] = set()
    for i, lln in enumerate(numbers):
        age_years = rng.choices(range(12, 20), weights=(18, 18, 18, 17, 14, 10, 4, 1))[0]
        born = dt.date(2024 - age_years, 9, 1) - dt.timedelta(days=rng.randrange(1, 366))
        bsn = onderwijsnummer = ""
        if i % 100 == 50:
            onderwijsnummer = _onderwijsnummer(rng)
        else:
            while (bsn := _bsn(rng)) in seen:
                pass
            seen.add(bsn)
            if i % 5000 == 7:  # a typing error in the last digit: fails the 11-check (V01)
                bsn = bsn[:8] + str((int(bsn[8]) + 1) % 10)
        kwalificatie = "J" if age_years >= 18 and rng.random() < 0.1 else "N"
        lines.append(f"{lln};{bsn};{onderwijsnummer};{born.isoformat()};{kwalificatie}\n")
    return "".join(lines)


def render_school_toml() -> str:
    """``school.toml`` of the benchmark school (DOMAIN.md 4.1)."""
    lines = [
        "# Benchmark school of verzuim-gateway (generated by benchmarks/generate_export.py).",
        "",
        "[school]",
        f'brin = "{BRIN}"',
        f'vestiging = "{VESTIGING}"',
        'naam = "Benchmarkschool"',
        'sector = "vo"',
        "mbo_telt_lesuren = false",
        "melden_18plus = true",
        "te_laat_signaal = 5",
        "# hele_dag_minuten = 360   # optional, DOMAIN.md F6",
        "",
        "[melder]",
        'naam = "J. Jansen"',
        'functie = "verzuimcoordinator"',
        'email = "verzuim@benchmarkschool.example"',
        'telefoon = "0301234567"',
        "",
        "[redencodes]",
    ]
    lines += [f'{code} = "{categorie}"' for code, categorie, _ in REDENCODES]
    for naam, van, tot in VAKANTIES:
        lines += ["", "[[vakanties]]", f'naam = "{naam}"', f"van = {van}", f"tot = {tot}"]
    return "\n".join(lines) + "\n"


def _write_registrations(
    path: Path, rng: random.Random, numbers: Sequence[str], n_registrations: int
) -> tuple[int, int]:
    """Write ``lesregistraties.csv``; returns (rows written, bad rows among them)."""
    days = schooldagen()
    n_days = len(days)
    renderer = _Renderer(days)
    kinds = {kind: [renderer.add(p) for p in variants] for kind, variants in _patterns().items()}
    sizes = [len(p) for p in renderer.patterns]
    profile_weights = [weight for weight, _ in PROFILES]
    profile_events = [events for _, events in PROFILES]
    profile_cum = [
        list(_accumulate([weight for *_, weight in events])) for events in profile_events
    ]
    n_pupils = len(numbers)
    bad_share = n_registrations * BAD_ROW_SHARE / max(n_pupils, 1)
    written = bad = 0
    chunk: list[str] = []
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(LESREGISTRATIES_HEADER)
        for i, lln in enumerate(numbers):
            remaining_pupils = n_pupils - i
            budget = n_registrations - written
            if remaining_pupils == 1:
                target = budget
            else:
                target = int(budget / remaining_pupils * rng.uniform(0.3, 1.7))
            p = rng.choices(range(len(PROFILES)), weights=profile_weights)[0]
            events, cum = profile_events[p], profile_cum[p]
            chosen: dict[int, int] = {}
            rows = 0
            attempts = 0
            while rows < target and len(chosen) < n_days and attempts < 4 * n_days:
                attempts += 1
                kind, low, high, _ = rng.choices(events, cum_weights=cum)[0]
                variants = kinds[kind]
                pattern = variants[rng.randrange(len(variants))]
                start = rng.randrange(n_days)
                for day in range(start, min(start + rng.randint(low, high), n_days)):
                    if day not in chosen:
                        chosen[day] = pattern
                        rows += sizes[pattern]
            blocks = [renderer.render(day, pattern) for day, pattern in sorted(chosen.items())]
            if remaining_pupils == 1 and rows > target:  # the last pupil makes the total exact
                lines = "".join(blocks).splitlines(keepends=True)[: max(target, 0)]
                blocks, rows = lines, len(lines)
            elif blocks and rng.random() < bad_share:
                at = rng.randrange(len(blocks))
                day = sorted(chosen)[at]
                blocks.insert(at + 1, renderer.bad_row(day, rng.randrange(3)))
                rows += 1
                bad += 1
            chunk.append("".join(blocks).replace(_PUPIL, lln))
            written += rows
            if len(chunk) >= 500:
                handle.write("".join(chunk))
                chunk.clear()
        handle.write("".join(chunk))
    return written, bad


def _accumulate(values: Sequence[int]) -> list[int]:
    total, out = 0, []
    for value in values:
        total += value
        out.append(total)
    return out


def generate_export(
    path: Path,
    n_registrations: int = 5_000_000,
    n_pupils: int = 30_000,
    seed: int = 1,
    *,
    force: bool = False,
) -> ExportFiles:
    """Write the export into the directory ``path``, or reuse it when the manifest matches.

    About ``n_registrations`` rows (exact unless the pupils before the last one overshoot) for
    ``n_pupils`` pupils; deterministic for a given ``seed``.
    """
    path.mkdir(parents=True, exist_ok=True)
    school = path / "school.toml"
    leerlingen = path / "leerlingen.csv"
    registrations = path / "lesregistraties.csv"
    manifest_path = path / "manifest.json"
    params = {
        "generator_version": GENERATOR_VERSION,
        "n_registrations": n_registrations,
        "n_pupils": n_pupils,
        "seed": seed,
    }
    if not force and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        sizes = manifest.get("sizes", {})
        if manifest.get("params") == params and all(
            (path / name).exists() and (path / name).stat().st_size == size
            for name, size in sizes.items()
        ):
            return ExportFiles(
                path,
                school,
                leerlingen,
                registrations,
                manifest_path,
                int(manifest["registrations"]),
                int(manifest["bad_rows"]),
                n_pupils,
                generated=False,
            )
    manifest_path.unlink(missing_ok=True)
    rng = random.Random(seed)
    width = max(6, len(str(n_pupils)) + 1)
    numbers = [str(10**width // 5 + i + 1) for i in range(n_pupils)]
    school.write_text(render_school_toml(), encoding="utf-8", newline="\n")
    leerlingen.write_text(_leerlingen(rng, numbers), encoding="utf-8", newline="\n")
    written, bad = _write_registrations(registrations, rng, numbers, n_registrations)
    sizes = {p.name: p.stat().st_size for p in (school, leerlingen, registrations)}
    manifest = {"params": params, "registrations": written, "bad_rows": bad, "sizes": sizes}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return ExportFiles(
        path,
        school,
        leerlingen,
        registrations,
        manifest_path,
        written,
        bad,
        n_pupils,
        generated=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python benchmarks/generate_export.py [--rows N] [--pupils N] [--seed N] [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--pupils", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "export")
    parser.add_argument("--force", action="store_true", help="regenerate even when cached")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = generate_export(args.out, args.rows, args.pupils, args.seed, force=args.force)
    seconds = time.perf_counter() - started
    what = "generated" if files.generated else "cached"
    print(
        f"{what}: {files.registrations:,} registrations ({files.bad_rows} bad) for "
        f"{files.pupils:,} pupils in {files.directory} ({seconds:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
