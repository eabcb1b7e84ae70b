"""Machine-readable results of the benchmark scripts, for the summary table of ``make bench``.

Each script prints its own table for a human and, when ``VERZUIM_BENCH_RESULTS`` names a file,
appends one JSON line per headline measure to it; ``benchmarks/summary.py`` runs the scripts with
that variable set and prints one table of all measured ratios and targets. Run alone, a script
behaves as before (the variable is unset, nothing is written).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

ENV_VARIABLE = "VERZUIM_BENCH_RESULTS"


@dataclass(frozen=True, slots=True)
class Result:
    """One headline measure: its value, the baseline measured in the same run, and the target."""

    benchmark: str
    measure: str
    value: float
    unit: str
    baseline: str = ""  # what the ratio is against, e.g. "csv module only"
    ratio: float | None = None  # value / baseline (or the ratio the target speaks of)
    target: str = ""  # the target as text, e.g. ">= 500,000/s"
    met: bool | None = None  # None: no target for this measure


def record(result: Result) -> None:
    """Append ``result`` to the file named by ``VERZUIM_BENCH_RESULTS``, if it is set."""
    path = os.environ.get(ENV_VARIABLE)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(result)) + "\n")


def read_all(path: str) -> list[Result]:
    """The results appended to ``path`` (an absent file has none)."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as lines:
        return [Result(**json.loads(line)) for line in lines if line.strip()]
