"""``make bench``: run every benchmark script and print one table of measured ratios and targets.

Each script measures its own baseline in the same run (these machines are noisy), prints its own
detailed table, and appends its headline measures through ``bench_results.record``. This script
runs them one after another, passes their output through, and ends with the summary. The exit
code is 0 when every script ran; a missed target is shown as ``NOT MET``, not as a failure, so a
noisy machine cannot turn a measurement into a broken build.

    python benchmarks/summary.py [--only precheck messages sender adapters] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench_results import ENV_VARIABLE, Result, read_all

HERE = Path(__file__).resolve().parent
SCRIPTS = {
    "precheck": ["precheck.py"],
    "messages": ["messages.py"],
    "sender": ["sender.py"],
    "adapters": ["adapters.py"],
}
QUICK = {  # smaller inputs for a fast look; the README numbers come from the full run
    "precheck": ["--rows", "500000"],
    "messages": ["--count", "500", "--rounds", "3"],
    "adapters": ["--pupils", "500"],
}


def _run(name: str, quick: bool, results_file: str) -> int:
    command = [sys.executable, str(HERE / SCRIPTS[name][0])]
    if quick:
        command += QUICK.get(name, [])
    print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
    env = {**os.environ, ENV_VARIABLE: results_file}
    return subprocess.run(command, env=env, check=False).returncode


def _format(value: float, unit: str) -> str:
    if unit in {"/s", "MiB"}:
        return f"{value:,.0f} {unit}"
    return f"{value:,.2f} {unit}".strip()


def _table(results: list[Result], failed: dict[str, int]) -> str:
    header = (
        f"{'benchmark':<10} {'measure':<34} {'value':>16} {'ratio':>8}  "
        f"{'against':<26} {'target':<16} {'':<7}"
    )
    lines = [
        f"summary, {date.today().isoformat()}, {platform.machine()} with {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "",
        header,
        "-" * len(header),
    ]
    for r in results:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}"
        verdict = "" if r.met is None else ("met" if r.met else "NOT MET")
        lines.append(
            f"{r.benchmark:<10} {r.measure:<34} {_format(r.value, r.unit):>16} {ratio:>8}  "
            f"{r.baseline:<26} {r.target:<16} {verdict:<7}"
        )
    for name, code in failed.items():
        lines.append(f"{name:<10} {'(script failed, exit code ' + str(code) + ')':<34}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="run all benchmarks and print one summary")
    parser.add_argument("--only", nargs="+", choices=list(SCRIPTS), help="run only these")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a quick look")
    args = parser.parse_args(argv)

    names = args.only or list(SCRIPTS)
    failed: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="verzuim-bench-") as scratch:
        results_file = str(Path(scratch) / "results.jsonl")
        for name in names:
            code = _run(name, args.quick, results_file)
            if code != 0:
                failed[name] = code
        results = read_all(results_file)
    print("\n" + _table(results, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
