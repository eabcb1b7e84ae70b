"""A deterministic sample school that exercises every rule of the pre-check (DOMAIN.md 4.4, 4.5).

``write_sample_school(out_dir)`` writes ``school.toml``, ``leerlingen.csv``,
``lesregistraties.csv`` and ``meldingen.json``; ``SCENARIOS`` says which pupil exercises which rule.
"""

from gateway.sample.generate import (
    EXPECTED,
    INVALID_IDENTITY,
    NO_MELDING,
    SCENARIOS,
    WIJZIGINGEN,
    ExpectedMelding,
    SampleFiles,
    make_bsn,
    make_onderwijsnummer,
    write_sample_school,
)

__all__ = [
    "EXPECTED",
    "INVALID_IDENTITY",
    "NO_MELDING",
    "SCENARIOS",
    "WIJZIGINGEN",
    "ExpectedMelding",
    "SampleFiles",
    "make_bsn",
    "make_onderwijsnummer",
    "write_sample_school",
]
