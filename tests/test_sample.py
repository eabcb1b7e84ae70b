"""The sample school generator: deterministic, valid identities, the canonical headers, every rule.

These tests check the data the generator writes, not the rule book's answers on it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import tomllib
from pathlib import Path

import pytest
from stdnum.nl import bsn, onderwijsnummer

from gateway.sample import (
    EXPECTED,
    INVALID_IDENTITY,
    NO_MELDING,
    SCENARIOS,
    SampleFiles,
    make_bsn,
    make_onderwijsnummer,
    write_sample_school,
)
from gateway.sample.generate import TERM_END, TERM_START

LEERLINGEN_HEADER = [
    "leerlingnummer",
    "bsn",
    "onderwijsnummer",
    "geboortedatum",
    "startkwalificatie",
]
LESREGISTRATIES_HEADER = [
    "brin",
    "vestiging",
    "leerlingnummer",
    "bsn",
    "onderwijsnummer",
    "datum",
    "lesuur",
    "begintijd",
    "eindtijd",
    "status",
    "redencode",
    "reden",
    "geoorloofd",
    "bron_id",
]
RULES = ("R-16U", "R-HERHAAL", "R-LRV", "R-RMC", "R-LUXE", "R-SIGNAAL", "R-EINDE")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    return write_sample_school(tmp_path_factory.mktemp("sample"))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return handle.readline().rstrip("\n").split(";")


def test_two_runs_give_byte_identical_files(sample: SampleFiles, tmp_path: Path) -> None:
    again = write_sample_school(tmp_path / "again")
    for name in ("school", "leerlingen", "lesregistraties", "meldingen"):
        first, second = getattr(sample, name), getattr(again, name)
        assert first.read_bytes() == second.read_bytes(), name


def test_another_seed_changes_only_the_background(tmp_path: Path, sample: SampleFiles) -> None:
    other = write_sample_school(tmp_path / "other", seed=7)
    assert other.lesregistraties.read_bytes() != sample.lesregistraties.read_bytes()
    assert other.school.read_bytes() == sample.school.read_bytes()

    def designed(path: Path) -> list[tuple[str, ...]]:
        return [
            tuple(v for k, v in row.items() if k != "bron_id")
            for row in _rows(path)
            if row["leerlingnummer"] in SCENARIOS
        ]

    assert designed(other.lesregistraties) == designed(sample.lesregistraties)


def test_headers(sample: SampleFiles) -> None:
    assert _header(sample.leerlingen) == LEERLINGEN_HEADER
    assert _header(sample.lesregistraties) == LESREGISTRATIES_HEADER
    assert not sample.lesregistraties.read_bytes().startswith(b"\xef\xbb\xbf")


def test_identities_valid_except_the_designed_invalid_ones(sample: SampleFiles) -> None:
    pupils = _rows(sample.leerlingen)
    assert 250 <= len(pupils) <= 350
    invalid, with_onderwijsnummer = set(), set()
    for pupil in pupils:
        if pupil["onderwijsnummer"]:
            assert not pupil["bsn"]
            assert onderwijsnummer.is_valid(pupil["onderwijsnummer"])
            with_onderwijsnummer.add(pupil["leerlingnummer"])
        elif not bsn.is_valid(pupil["bsn"]):
            invalid.add(pupil["leerlingnummer"])
        assert len(pupil["bsn"] or pupil["onderwijsnummer"]) == 9
    assert invalid == INVALID_IDENTITY
    assert 2 <= len(with_onderwijsnummer) <= 10
    numbers = [p["bsn"] or p["onderwijsnummer"] for p in pupils]
    assert len(set(numbers)) == len(numbers)
    assert len({p["leerlingnummer"] for p in pupils}) == len(pupils)


def test_number_makers_pass_stdnum() -> None:
    rng = random.Random(1)
    for _ in range(500):
        assert bsn.is_valid(make_bsn(rng))
        number = make_onderwijsnummer(rng)
        assert onderwijsnummer.is_valid(number)
        assert not bsn.is_valid(number)


def test_pupils_are_vo_aged_and_some_are_rmc_aged(sample: SampleFiles) -> None:
    pupils = _rows(sample.leerlingen)

    def age(pupil: dict[str, str]) -> int:
        born = dt.date.fromisoformat(pupil["geboortedatum"])
        return (
            TERM_START.year
            - born.year
            - ((TERM_START.month, TERM_START.day) < (born.month, born.day))
        )

    assert all(12 <= age(p) <= 19 for p in pupils)
    adults = [p for p in pupils if age(p) >= 18]
    assert sum(p["startkwalificatie"] == "N" for p in adults) >= 2
    assert sum(p["startkwalificatie"] == "J" for p in pupils) == 1
    assert {p["startkwalificatie"] for p in pupils} <= {"J", "N"}


def test_registrations_are_well_formed_apart_from_the_bad_rows(sample: SampleFiles) -> None:
    rows = _rows(sample.lesregistraties)
    assert len({r["bron_id"] for r in rows}) == len(rows)
    bad = 0
    for row in rows:
        assert row["geoorloofd"] in ("J", "N", "")
        try:
            day = dt.date.fromisoformat(row["datum"])
            good = row["begintijd"] < row["eindtijd"] and row["status"] in (
                "AFWEZIG",
                "TE_LAAT",
                "VERWIJDERD",
                "AANWEZIG",
                "NVT",
            )
        except ValueError:
            good = False
        if not good:
            bad += 1
            assert "F1" in SCENARIOS[row["leerlingnummer"]]
            continue
        assert TERM_START <= day <= TERM_END and day.weekday() < 5
    assert bad == 3
    assert sample.lesregistraties.stat().st_size < 3_000_000
    assert {r["status"] for r in rows} >= {"AFWEZIG", "TE_LAAT", "VERWIJDERD", "AANWEZIG", "NVT"}


def test_every_rule_has_a_pupil_and_every_pupil_exists(sample: SampleFiles) -> None:
    exercised = {rule for rules in SCENARIOS.values() for rule in rules}
    assert set(RULES) | {"V01", "W-ONBEKEND"} <= exercised
    pupils = {p["leerlingnummer"] for p in _rows(sample.leerlingen)}
    assert set(SCENARIOS) <= pupils
    registered = {r["leerlingnummer"] for r in _rows(sample.lesregistraties)}
    assert set(SCENARIOS) <= registered
    assert not NO_MELDING & {e.leerlingnummer for e in EXPECTED}


def test_school_and_history(sample: SampleFiles) -> None:
    config = tomllib.loads(sample.school.read_text(encoding="utf-8"))
    assert config["school"]["sector"] == "vo"
    assert config["school"]["te_laat_signaal"] > 0
    assert set(config["redencodes"].values()) <= {
        "ZIEK",
        "LUXE",
        "SCHORSING",
        "VERLOF",
        "MEDISCH",
        "OVERIG",
    }
    codes = {r["redencode"] for r in _rows(sample.lesregistraties)} - {""}
    assert codes <= set(config["redencodes"])
    assert [v["naam"] for v in config["vakanties"]] == ["herfstvakantie", "kerstvakantie"]

    history = json.loads(sample.meldingen.read_text(encoding="utf-8"))
    keys = {"leerlingnummer", "code", "begindatum", "einddatum", "status", "herhaal", "nummer"}
    assert all(set(item) == keys for item in history)
    assert any(item["code"] == "LRV" and item["einddatum"] is None for item in history)
    known = {(e.leerlingnummer, e.code, e.begindatum.isoformat()) for e in EXPECTED}
    assert all((i["leerlingnummer"], i["code"], i["begindatum"]) in known for i in history)
