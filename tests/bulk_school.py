"""A school export of any size with exactly one 16-uur melding per pupil, for load tests and the
sender benchmark: every pupil is absent, unexcused, all six lessons of three schooldagen in a row
(18 lesson hours, R-16U), and nothing else. Deterministic for a given ``n`` and ``seed``."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from gateway.sample.generate import (
    BRIN,
    LEERLINGEN_HEADER,
    LESREGISTRATIES_HEADER,
    LESSONS,
    VESTIGING,
    make_bsn,
    render_school_toml,
    schooldagen,
)


@dataclass(frozen=True, slots=True)
class BulkSchool:
    """The three files of ``write_bulk_school``."""

    school: Path
    leerlingen: Path
    lesregistraties: Path
    pupils: int


def write_bulk_school(out_dir: Path, n: int, seed: int = 1) -> BulkSchool:
    """Write ``school.toml``, ``leerlingen.csv`` and ``lesregistraties.csv`` for ``n`` pupils,
    each giving one R-16U melding (begindatum = the first of their three absent days)."""
    rng = random.Random(seed)
    days = schooldagen()
    # Runs start on a Monday or Tuesday, so the three days never straddle a weekend or holiday
    # and each pupil's run is a single block.
    starts = [i for i in range(len(days) - 2) if days[i + 2] - days[i] == dt.timedelta(days=2)]
    bsns: set[str] = set()
    pupils = [LEERLINGEN_HEADER]
    rows = [LESREGISTRATIES_HEADER]
    for index in range(n):
        lln = f"{200000 + index}"
        bsn = make_bsn(rng)
        while bsn in bsns:
            bsn = make_bsn(rng)
        bsns.add(bsn)
        birth = dt.date(2009 + index % 4, 1 + index % 12, 1 + index % 28)
        pupils.append(f"{lln};{bsn};;{birth.isoformat()};N")
        first = starts[index % len(starts)]
        for day in days[first : first + 3]:
            for lesuur, (begin, end) in enumerate(LESSONS, start=1):
                bron_id = f"B{index:06d}{day:%m%d}{lesuur}"
                fields = (BRIN, VESTIGING, lln, "", "", day.isoformat(), str(lesuur), begin, end,
                          "AFWEZIG", "S", "Spijbelen", "N", bron_id)  # fmt: skip
                rows.append(";".join(fields))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = BulkSchool(
        school=out_dir / "school.toml",
        leerlingen=out_dir / "leerlingen.csv",
        lesregistraties=out_dir / "lesregistraties.csv",
        pupils=n,
    )
    files.school.write_text(render_school_toml(), encoding="utf-8")
    files.leerlingen.write_text("\n".join(pupils) + "\n", encoding="utf-8")
    files.lesregistraties.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return files
