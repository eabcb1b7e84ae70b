"""Benchmark of the pre-check: end to end against parsing the same file with the ``csv`` module.

Usage::

    python benchmarks/precheck.py [--rows 5000000] [--pupils N] [--repeat K] [--seed 1]

Generates (or reuses, see ``generate_export``) a canonical school-year export in
``benchmarks/data/`` and measures, in the same run and each in its own subprocess:

(a) baseline: the standard library ``csv`` module alone iterating over ``lesregistraties.csv``;
(b) end to end: ``verzuim precheck --school S --students L --registrations R --format json``
    (the ``verzuim`` next to this Python interpreter), output to /dev/null.

Each command runs under a tiny wrapper process that times it and reads
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after waiting for it, so the two peak-memory figures never
mix. With ``--repeat K`` the best (lowest) time of K runs is shown, and the highest peak memory.
The table ends with the targets (>= 500,000 registrations/s end to end, peak memory < 1.5 GiB) and
whether they are met. It reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_results import Result, record
from generate_export import ExportFiles, generate_export

TARGET_RATE = 500_000  # registrations per second, end to end
TARGET_MEMORY_MIB = 1536  # 1.5 GiB
DEFAULT_ROWS = 5_000_000
PUPILS_PER_ROW = 30_000 / 5_000_000  # the default export's shape: about 167 rows per pupil
DATA_DIR = Path(__file__).resolve().parent / "data"

_WRAPPER = """
import json, resource, subprocess, sys, time
spec = json.loads(sys.argv[1])
out = subprocess.PIPE if spec["capture"] else subprocess.DEVNULL
started = time.perf_counter()
proc = subprocess.run(spec["cmd"], stdout=out, stderr=subprocess.PIPE)
seconds = time.perf_counter() - started
maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
json.dump({
    "seconds": seconds,
    "maxrss": maxrss,
    "returncode": proc.returncode,
    "stdout": (proc.stdout or b"")[-2000:].decode("utf-8", "replace"),
    "stderr": proc.stderr[-4000:].decode("utf-8", "replace"),
}, sys.stdout)
"""

_CSV_ONLY = """
import csv, sys
with open(sys.argv[1], encoding="utf-8", newline="") as handle:
    rows = sum(1 for _ in csv.reader(handle, delimiter=";"))
print(rows - 1)
"""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measured command: best wall time, highest peak memory over the repeats."""

    name: str
    registrations: int
    seconds: float
    peak_mib: float
    returncode: int
    stdout: str
    stderr: str

    @property
    def rate(self) -> float:
        """Registrations per second."""
        return self.registrations / self.seconds if self.seconds > 0 else float("inf")


def _run_once(cmd: list[str], capture: bool) -> dict[str, Any]:
    spec = json.dumps({"cmd": cmd, "capture": capture})
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, spec], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def measure(
    name: str, cmd: list[str], registrations: int, repeat: int, capture: bool = False
) -> Measurement:
    """Run ``cmd`` ``repeat`` times under the wrapper; keep the best time and the highest memory."""
    runs = [_run_once(cmd, capture) for _ in range(max(repeat, 1))]
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    scale = 1 / (1024 * 1024) if sys.platform == "darwin" else 1 / 1024
    best = min(runs, key=lambda run: float(run["seconds"]))
    failed = next((run for run in runs if run["returncode"] != 0), best)
    return Measurement(
        name=name,
        registrations=registrations,
        seconds=float(best["seconds"]),
        peak_mib=max(float(run["maxrss"]) for run in runs) * scale,
        returncode=int(failed["returncode"]),
        stdout=str(best["stdout"]),
        stderr=str(failed["stderr"]),
    )


def _verzuim() -> Path:
    """The ``verzuim`` command installed next to this interpreter (the same virtualenv)."""
    name = "verzuim.exe" if os.name == "nt" else "verzuim"
    return Path(sys.executable).parent / name


def _table(export: ExportFiles, results: list[Measurement], repeat: int) -> str:
    lines = [
        f"pre-check benchmark: {export.registrations:,} registrations "
        f"({export.bad_rows} bad), {export.pupils:,} pupils, best of {repeat}",
        f"data: {export.directory}",
        "",
        f"{'measurement':<20} {'registrations':>13} {'seconds':>9} {'registrations/s':>16} "
        f"{'peak MiB':>9}",
    ]
    for m in results:
        note = "" if m.returncode == 0 else f"  (exit code {m.returncode})"
        lines.append(
            f"{m.name:<20} {m.registrations:>13,} {m.seconds:>9.2f} {m.rate:>16,.0f} "
            f"{m.peak_mib:>9,.0f}{note}"
        )
    baseline, end_to_end = results
    lines += [
        "",
        f"end to end / csv only: {end_to_end.seconds / baseline.seconds:.2f}x the time, "
        f"{end_to_end.peak_mib / baseline.peak_mib:.1f}x the peak memory",
        "",
        "targets (end to end):",
        f"  >= {TARGET_RATE:,} registrations/s: {end_to_end.rate:,.0f}/s  "
        f"{'met' if end_to_end.rate >= TARGET_RATE else 'NOT MET'}",
        f"  peak memory < 1.5 GiB ({TARGET_MEMORY_MIB:,} MiB): {end_to_end.peak_mib:,.0f} MiB  "
        f"{'met' if end_to_end.peak_mib < TARGET_MEMORY_MIB else 'NOT MET'}",
    ]
    return "\n".join(lines)


def _record(baseline: Measurement, end_to_end: Measurement) -> None:
    """The headline measures for ``make bench``'s summary (``bench_results``)."""
    record(
        Result(
            "precheck",
            "verzuim precheck registrations/s",
            end_to_end.rate,
            "/s",
            baseline="csv module only (rate)",
            ratio=end_to_end.rate / baseline.rate,
            target=f">= {TARGET_RATE:,}/s",
            met=end_to_end.rate >= TARGET_RATE,
        )
    )
    record(
        Result(
            "precheck",
            "verzuim precheck peak memory",
            end_to_end.peak_mib,
            "MiB",
            baseline="csv module only (peak)",
            ratio=end_to_end.peak_mib / baseline.peak_mib,
            target=f"< {TARGET_MEMORY_MIB:,} MiB",
            met=end_to_end.peak_mib < TARGET_MEMORY_MIB,
        )
    )


def main(argv: list[str] | None = None) -> int:
    """Generate or reuse the export, measure both commands, print the table."""
    parser = argparse.ArgumentParser(description="pre-check benchmark (see the module docstring)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="registrations to generate")
    parser.add_argument("--pupils", type=int, help="pupils (default: rows * 30,000 / 5,000,000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command; the best counts")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    pupils = args.pupils or max(1, round(args.rows * PUPILS_PER_ROW))

    directory = DATA_DIR / f"export-r{args.rows}-p{pupils}-s{args.seed}"
    export = generate_export(directory, args.rows, pupils, args.seed)
    print(f"export {'generated' if export.generated else 'reused'}: {directory}", flush=True)

    verzuim = _verzuim()
    if not verzuim.exists():
        print(f"{verzuim} not found: install the project (make) first", file=sys.stderr)
        return 2
    registrations = str(export.lesregistraties)
    csv_cmd = [sys.executable, "-c", _CSV_ONLY, registrations]
    precheck_cmd = [
        str(verzuim),
        "precheck",
        "--school",
        str(export.school),
        "--students",
        str(export.leerlingen),
        "--registrations",
        registrations,
        "--format",
        "json",
    ]
    baseline = measure("csv module only", csv_cmd, export.registrations, args.repeat, True)
    end_to_end = measure("verzuim precheck", precheck_cmd, export.registrations, args.repeat)
    print(_table(export, [baseline, end_to_end], args.repeat))
    _record(baseline, end_to_end)

    status = 0
    if baseline.stdout.strip() != str(export.registrations):
        print(f"\nnote: csv counted {baseline.stdout.strip()} rows", file=sys.stderr)
    for m in (baseline, end_to_end):
        if m.returncode != 0:
            print(f"\n{m.name} failed (exit code {m.returncode}):\n{m.stderr}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
