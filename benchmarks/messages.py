"""Benchmark of the message layer: meldingen built and validated per second (DOMAIN.md 3).

Builds a fixed, seeded set of realistic meldingen (1-10 absent days, texts of tens to hundreds of
characters, some with extra contacts, onderwijsdeelname or a different address) and measures in
the same run:

- build + validate: ``build_melden`` (which validates every document it returns);
- validate only: the lxml schema on the documents already built;
- read back: the safe parser + validation + typed result of the serialised documents.

Targets (issue 3): at least 5,000 meldingen per second for build + validate, and build + validate
costing at most 3x validate-only. Each figure is the best of ``--rounds`` rounds, the three
measures interleaved within each round. This is a script
that prints a table, not a timed test.

    .venv/bin/python benchmarks/messages.py [--count 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_results import Result, record

from gateway.messages import (
    Adres,
    Contactpersoon,
    Leerweg,
    MeldingInhoud,
    Onderwijsdeelname,
    SoortOnderwijs,
    build_melden,
    read_request,
    validate,
)
from gateway.model import (
    Eenheid,
    Melder,
    Melding,
    SchoolConfig,
    Sector,
    Soort,
    Student,
    VerzuimDag,
    WireCode,
)
from gateway.xml import to_bytes

NOW = dt.datetime(2024, 10, 21, 7, 30, tzinfo=dt.UTC)
SCHOOL = SchoolConfig(
    brin="99XX",
    vestiging="01",
    naam="Benchmarkcollege",
    sector=Sector.VO,
    melder=Melder(
        naam="M. de Vries", email="verzuim@benchmark.example", functie="Verzuimcoördinator"
    ),
)
WORDS = ["leerling", "ziek", "gemeld", "gesprek", "ouders", "mentor", "afspraak", "school"]
WORDS += ["thuis", "zorg", "één", "café", "<&>", "\"'"]
SOORTEN = [
    (Soort.ZESTIEN_UUR, WireCode.V3),
    (Soort.ZESTIEN_UUR, WireCode.V4),
    (Soort.LRV, WireCode.LRV),
    (Soort.LUXE, WireCode.L),
    (Soort.OVERIG, WireCode.O),
]


def bsn(rng: random.Random) -> str:
    """A random BSN that passes the 11-check."""
    while True:
        digits = [rng.randrange(10) for _ in range(8)]
        rest = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if rest < 10 and (digits[0] or digits[1]):
            return "".join(map(str, digits)) + str(rest)


def text(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def melding(rng: random.Random) -> tuple[Melding, Student, MeldingInhoud]:
    soort, code = rng.choice(SOORTEN)
    begin = dt.date(2024, 9, 2) + dt.timedelta(days=rng.randrange(30))
    days: list[VerzuimDag] = []
    for offset in range(rng.randint(1, 10)):
        if rng.random() < 0.5:
            days.append(VerzuimDag(begin + dt.timedelta(days=offset), True, (), 6.0))
        else:
            lessons = tuple(sorted(rng.sample(range(1, 9), rng.randint(1, 4))))
            days.append(VerzuimDag(begin + dt.timedelta(days=offset), False, lessons, len(lessons)))
    item = Melding(
        leerlingnummer=str(rng.randrange(10**6)),
        soort=soort,
        code=code,
        begindatum=begin,
        einddatum=days[-1].datum,
        eenheid=Eenheid.LESUREN,
        uren=sum(day.uren for day in days),
        uiterste_meldingsdatum=None,
        regels=("R-16U",),
        herhaal=rng.random() < 0.2,
        dagen=tuple(days),
    )
    student = Student(
        leerlingnummer=item.leerlingnummer, geboortedatum=dt.date(2010, 1, 1), bsn=bsn(rng)
    )
    wants_action = rng.random() < 0.8
    inhoud = MeldingInhoud(
        vermoedelijke_reden=text(rng, 3, 15),
        ondernomen_acties=text(rng, 15, 80),
        actie_gewenst=wants_action,
        toelichting_actie_gewenst="" if wants_action else text(rng, 5, 20),
        toelichting=text(rng, 0, 50) if rng.random() < 0.5 else "",
        extra_contactpersoon=(
            Contactpersoon(naam="J. Jansen", functie="Mentor", telefoon="+31 6 1234 5678")
            if rng.random() < 0.3
            else None
        ),
        telefoon_ouder_leerling="06-12345678" if rng.random() < 0.5 else "",
        afwijkend_adres=(
            Adres("Schoolstraat", 12, "1234AB", "Utrecht", toevoeging="a")
            if rng.random() < 0.1
            else None
        ),
        onderwijsdeelname=(
            Onderwijsdeelname(SoortOnderwijs.BVE, niveau=2, leerweg=Leerweg.BOL, opleiding="Zorg")
            if rng.random() < 0.3
            else None
        ),
    )
    return item, student, inhoud


def best_of(rounds: int, *works: Callable[[], object]) -> list[float]:
    """The best time of each piece of work over ``rounds`` rounds, the works interleaved in every
    round so that all see the same machine (load changes between rounds hit each alike)."""
    best = [float("inf")] * len(works)
    for _ in range(rounds):
        for index, work in enumerate(works):
            start = time.perf_counter()
            work()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(20241021)
    inputs = [melding(rng) for _ in range(args.count)]
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in inputs]
    built = [
        build_melden(m, s, SCHOOL, i, document_id=d, now=NOW)
        for (m, s, i), d in zip(inputs, ids, strict=True)
    ]
    serialised = [to_bytes(element) for element in built]

    def build_all() -> None:
        for (item, student, inhoud), document_id in zip(inputs, ids, strict=True):
            build_melden(item, student, SCHOOL, inhoud, document_id=document_id, now=NOW)

    def validate_all() -> None:
        for element in built:
            validate(element)

    def read_all() -> None:
        for data in serialised:
            read_request(data)

    build_time, validate_time, read_time = best_of(args.rounds, build_all, validate_all, read_all)
    per_second = args.count / build_time
    ratio = build_time / validate_time
    size = sum(map(len, serialised)) / len(serialised)

    print(f"meldingen: {args.count}, best of {args.rounds} rounds, mean document {size:.0f} bytes")
    print()
    print(f"{'measure':<28}{'per second':>12}{'µs each':>10}{'target':>16}{'':>6}")
    rows = [
        ("build + validate", per_second, build_time, ">= 5000 /s", per_second >= 5000),
        ("validate only", args.count / validate_time, validate_time, "", None),
        ("read back (parse+validate)", args.count / read_time, read_time, "", None),
    ]
    for name, rate, total, target, ok in rows:
        mark = "" if ok is None else ("ok" if ok else "MISS")
        print(f"{name:<28}{rate:>12.0f}{total / args.count * 1e6:>10.1f}{target:>16}{mark:>6}")
    mark = "ok" if ratio <= 3 else "MISS"
    print(f"{'ratio build+validate / validate':<38}{ratio:>12.2f}{'<= 3.00':>16}{mark:>6}")
    record(
        Result(
            "messages",
            "build + validate meldingen/s",
            per_second,
            "/s",
            target=">= 5,000/s",
            met=per_second >= 5000,
        )
    )
    record(
        Result(
            "messages",
            "build+validate time / validate time",
            ratio,
            "x",
            baseline="XSD validation alone",
            ratio=ratio,
            target="<= 3.00",
            met=ratio <= 3,
        )
    )


if __name__ == "__main__":
    main()
