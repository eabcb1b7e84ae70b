"""Benchmark of the SIS adapters: each vendor format against the canonical reader on the same rows.

Usage::

    python benchmarks/adapters.py [--pupils 2000] [--repeat K] [--seed 1] [--only NAME ...]

Generates (or reuses, see ``generate_vendor``) one school term of absence data for ``--pupils``
pupils in every input format in ``benchmarks/data/``, and measures, in the same run and each in
its own process:

- ``canonical``: ``load_export("canonical", ...)`` on the full lesson file (presence too);
- per vendor: ``load_export(name, ...)`` on the vendor files, and ``adapters.canonical.read_export``
  on the canonical ``lesregistraties.csv`` holding exactly the registrations that vendor's adapter
  produces (``equivalent/NAME.csv``), so the ratio compares reading the same rows.

Each measurement runs in a fresh interpreter that imports the project, loads ``school.toml``, then
times only the read (``time.perf_counter``) and reports ``getrusage(RUSAGE_SELF).ru_maxrss`` (the
peak of that process, imports included; the peak before the read, after the imports, is shown as
``base``). It is started through a small wrapper process, as in ``precheck.py``, so that it does not
inherit the benchmark's own peak. With ``--repeat K`` the best (lowest) time of K runs counts, and
the highest peak memory. The rate is registrations out per second (the height of the registration
frame); ``records`` are the input lines or JSON items read, the student export's rows included. It
reports; it asserts nothing, but notes a read whose registrations or pupils differ from what the
generator expects, or that rejected rows.

This file is named like the ``adapters`` package and, run as a script, shadows it on
``sys.path``: it therefore never imports ``adapters`` itself; the measuring processes run from the
repository root.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_results import Result, record
from generate_vendor import LESSONS, VENDORS, VendorFiles, generate_vendor

DATA_DIR = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parent.parent

# The measuring process is started by this small wrapper, not by the benchmark itself: on Linux a
# process inherits the peak RSS of the process it was forked from (kept across exec), so a child of
# the benchmark, which may have just generated the data, would report the benchmark's peak.
_WRAPPER = """
import subprocess, sys
sys.exit(subprocess.run([sys.executable, "-c", sys.argv[1], sys.argv[2]]).returncode)
"""

_MEASURE = """
import json, resource, sys, time
from pathlib import Path
spec = json.loads(sys.argv[1])
from adapters.canonical import read_export
from adapters.lessons import DEFAULT_LESSONS
from adapters.registry import load_export, vendor_adapters
from gateway.school import load_school
vendor_adapters()  # import the adapter modules before the clock starts
slots = [[n, b.hour * 60 + b.minute, e.hour * 60 + e.minute] for n, b, e in DEFAULT_LESSONS]
school = load_school(Path(spec["school"]))
paths = [Path(p) for p in spec["paths"]]
students = Path(spec["students"])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if spec["reader"] == "read_export":
    export = read_export(school, students, paths)
else:
    _, export = load_export(spec["adapter"], school, paths, students)
seconds = time.perf_counter() - started
rules = {}
for rejection in export.rejections:
    rules[rejection.regel] = rules.get(rejection.regel, 0) + 1
json.dump({
    "seconds": seconds,
    "registrations": export.registrations.height,
    "students": len(export.students),
    "records": sum(s.read for s in export.stats),
    "rejections": rules,
    "warnings": len(export.warnings),
    "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "base": base,
    "slots": slots,
}, sys.stdout)
"""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One read: best time, highest peak memory over the repeats, and what it produced."""

    name: str
    reader: str
    seconds: float
    registrations: int
    records: int
    students: int
    rejections: dict[str, int]
    peak_mib: float
    base_mib: float
    slots: list[list[int]]

    @property
    def rate(self) -> float:
        """Registrations per second."""
        return self.registrations / self.seconds if self.seconds > 0 else float("inf")


def _run_once(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, _MEASURE, json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{spec['adapter']} ({spec['reader']}) failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def measure(
    name: str, reader: str, school: Path, paths: list[Path], students: Path, repeat: int
) -> Measurement:
    """Read ``paths`` ``repeat`` times, each in a fresh process; keep the best time."""
    spec = {
        "adapter": name,
        "reader": reader,
        "school": str(school),
        "paths": [str(p) for p in paths],
        "students": str(students),
    }
    runs = [_run_once(spec) for _ in range(max(repeat, 1))]
    scale = 1 / (1024 * 1024) if sys.platform == "darwin" else 1 / 1024  # ru_maxrss units
    best = min(runs, key=lambda run: float(run["seconds"]))
    return Measurement(
        name=name,
        reader=reader,
        seconds=float(best["seconds"]),
        registrations=int(best["registrations"]),
        records=int(best["records"]),
        students=int(best["students"]),
        rejections=dict(best["rejections"]),
        peak_mib=max(float(run["maxrss"]) for run in runs) * scale,
        base_mib=max(float(run["base"]) for run in runs) * scale,
        slots=best["slots"],
    )


def _mib(path_list: list[Path]) -> float:
    return sum(p.stat().st_size for p in path_list) / (1024 * 1024)


def _table(
    files: VendorFiles, pairs: list[tuple[Measurement, Measurement | None]], repeat: int
) -> str:
    lines = [
        f"adapter benchmark: {files.pupils:,} pupils, one term, best of {repeat}; "
        f"data: {files.directory}",
        "rate = registrations out per second; ratio = canonical rate / adapter rate "
        "(how many times slower than the canonical reader on the same rows)",
        "",
        f"{'adapter':<11} {'input MiB':>9} {'records':>9} {'registr.':>9} {'seconds':>8} "
        f"{'regs/s':>9} {'canon s':>8} {'canon regs/s':>12} {'ratio':>7} {'peak MiB':>8} "
        f"{'(base)':>6} {'canon peak':>10}",
    ]
    for vendor, canonical in pairs:
        inputs = files.inputs[vendor.name]
        if canonical is None:
            canon = f"{'':>8} {'':>12} {'1.00':>7}"
            canon_peak = ""
        else:
            canon = (
                f"{canonical.seconds:>8.2f} {canonical.rate:>12,.0f} "
                f"{canonical.rate / vendor.rate:>6.1f}x"
            )
            canon_peak = f"{canonical.peak_mib:,.0f}"
        lines.append(
            f"{vendor.name:<11} {_mib(inputs):>9,.1f} {vendor.records:>9,} "
            f"{vendor.registrations:>9,} {vendor.seconds:>8.2f} {vendor.rate:>9,.0f} {canon} "
            f"{vendor.peak_mib:>8,.0f} {vendor.base_mib:>6,.0f} {canon_peak:>10}"
        )
    return "\n".join(lines)


def _checks(files: VendorFiles, pairs: list[tuple[Measurement, Measurement | None]]) -> list[str]:
    notes: list[str] = []
    for vendor, canonical in pairs:
        expected = files.registrations[vendor.name]
        for m in (vendor, canonical):
            if m is None:
                continue
            label = f"{m.name} ({'canonical reader' if m.reader == 'read_export' else 'adapter'})"
            if m.registrations != expected:
                notes.append(f"{label}: {m.registrations:,} registrations, expected {expected:,}")
            if m.rejections:
                notes.append(f"{label}: rejections {m.rejections}")
            if m.students != files.pupils:
                notes.append(f"{label}: {m.students:,} pupils, expected {files.pupils:,}")
            if [tuple(slot) for slot in m.slots] != list(LESSONS):
                notes.append("adapters.lessons.DEFAULT_LESSONS changed: update generate_vendor")
    return notes


def _record(pairs: list[tuple[Measurement, Measurement | None]]) -> None:
    """The headline measures for ``make bench``'s summary (``bench_results``): each adapter's
    rate, as a ratio of the canonical reader's rate on the same rows (no target is set)."""
    for vendor, canonical in pairs:
        record(
            Result(
                "adapters",
                f"{vendor.name} registrations/s",
                vendor.rate,
                "/s",
                baseline="" if canonical is None else "canonical reader, same rows",
                ratio=None if canonical is None else vendor.rate / canonical.rate,
            )
        )


def main(argv: list[str] | None = None) -> int:
    """Generate or reuse the data, measure every adapter and its canonical twin, print the table."""
    parser = argparse.ArgumentParser(description="adapter benchmark (see the module docstring)")
    parser.add_argument("--pupils", type=int, default=2_000, help="pupils (one term each)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per read; the best counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--only", nargs="+", choices=["canonical", *VENDORS], help="measure only these"
    )
    args = parser.parse_args(argv)

    directory = DATA_DIR / f"vendor-p{args.pupils}-s{args.seed}"
    files = generate_vendor(directory, args.pupils, args.seed)
    print(f"data {'generated' if files.generated else 'reused'}: {directory}", flush=True)

    pairs: list[tuple[Measurement, Measurement | None]] = []
    for name in ["canonical", *VENDORS]:
        if args.only and name not in args.only:
            continue
        school, students = files.school, files.students[name]
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        if name == "canonical":
            vendor = measure(name, "load_export", school, files.inputs[name], students, args.repeat)
            pairs.append((vendor, None))
            continue
        vendor = measure(name, "load_export", school, files.inputs[name], students, args.repeat)
        twin = measure(
            name,
            "read_export",
            school,
            [files.equivalent[name]],
            files.students["canonical"],
            args.repeat,
        )
        pairs.append((vendor, twin))
    print(_table(files, pairs, args.repeat))
    _record(pairs)
    notes = _checks(files, pairs)
    if notes:
        print("\nnotes:\n  " + "\n  ".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
