"""The Magister adapter (DOMAIN.md 5): absenties JSON in envelopes plus a ``stamnr`` student CSV.

Every read goes through ``read``, which also checks what must hold for any input: the item
accounting of each file (read = accepted + rejected) and that no rejection or warning text repeats
a BSN, onderwijsnummer or birth date.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from builders import school, summary
from typer.testing import CliRunner

from adapters.base import AdapterOutput, assemble
from adapters.canonical import CanonicalExport
from adapters.lessons import DEFAULT_LESSONS
from adapters.magister import MagisterAdapter
from gateway.cli import app
from gateway.errors import InputError
from gateway.model import Categorie, PrecheckResult, Registration, SchoolConfig, Status
from gateway.rules.dayfacts import day_facts, last_date
from gateway.rules.precheck import precheck

FIXTURES = Path(__file__).parent / "fixtures" / "magister"
ADAPTER = MagisterAdapter()
D = dt.date
BSN = "111222333"
BSN_2 = "123456782"
BAD_BSN = "123456789"
ONDERWIJSNUMMER = "100000004"
SECRETS = (BSN, BSN_2, BAD_BSN, ONDERWIJSNUMMER, "2010-03-15", "2010-06-01", "15-03-2010")
STUDENT_HEADER = "stamnr;bsn;onderwijsnummer;geboortedatum;startkwalificatie"


def read(paths: Sequence[Path], config: SchoolConfig | None = None) -> AdapterOutput:
    """Read with the adapter and check the invariants every read must keep."""
    output = ADAPTER.read(config or school(), paths)
    for stats in output.stats:
        assert stats.read == stats.accepted + stats.rejected, stats
    texts = [r.reden for r in output.rejections] + [w.reden for w in output.warnings]
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, text
    return output


def item(ident: int = 1, **fields: Any) -> dict[str, Any]:
    """One Magister absentie: lesson 1 on Monday 2 September 2024 (08:30-09:20 local)."""
    base: dict[str, Any] = {
        "Id": ident,
        "Start": "2024-09-02T06:30:00.0000000Z",
        "Eind": "2024-09-02T07:20:00.0000000Z",
        "Lesuur": 1,
        "Geoorloofd": False,
        "Afgehandeld": True,
        "Verantwoordingtype": 1,
        "Code": "",
        "Omschrijving": "Afwezig",
        "Afspraak": {"Id": 9, "Omschrijving": "ne - 1A"},
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not _MISSING}


_MISSING: Any = object()


def envelope(items: list[Any], **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "leerlingnummer": "18842",
        "stamnr": "231045",
        "bsn": BSN,
        "onderwijsnummer": "",
        "geboortedatum": "2010-03-15",
        "brin": "99XX",
        "absenties": {"Items": items, "TotalCount": len(items)},
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not _MISSING}


def write(tmp_path: Path, data: object, name: str = "absenties.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def only_registration(output: AdapterOutput) -> Registration:
    assert len(output.registrations) == 1, output.rejections
    return output.registrations[0][0]


def precheck_of(export: CanonicalExport, config: SchoolConfig) -> PrecheckResult:
    """assemble -> day_facts -> precheck, as ``builders.run`` does for plain registrations."""
    as_of = last_date(export.registrations)
    assert as_of is not None
    facts = day_facts(export.registrations, config.eenheid, as_of)
    return precheck(config, export.students, facts.per_pupil, (), as_of)


FIXTURE_PATHS = [
    FIXTURES / "leerling_231045.json",
    FIXTURES / "klas_1a.json",
    FIXTURES / "leerlingen.csv",
]


# -- (1) the shared absence pattern --------------------------------------------------------------


@pytest.mark.parametrize("hele_dag_minuten", [None, 300])
def test_shared_pattern_gives_one_v3_of_18_lesuren(hele_dag_minuten: int | None) -> None:
    """231045 absent unexcused all six lessons Mon 2 - Wed 4 Sep 2024: R-16U reaches 16 lesuren
    on Wednesday (DOMAIN.md 4.6); 231046 excused sick (type 3, Geoorloofd) the same days: nothing.
    Magister exports only absences, so ``hele_dag_minuten = 300`` is how a school makes F6 work;
    the 16U is the same either way."""
    config = school(hele_dag_minuten=hele_dag_minuten)
    output = read(FIXTURE_PATHS, config)
    assert output.rejections == []
    export = assemble(output)
    assert export.rejections == []
    assert set(export.students) == {"231045", "231046", "231047"}
    result = precheck_of(export, config)
    assert summary(result) == [("V3", "", D(2024, 9, 2), D(2024, 9, 4), 18.0)]
    assert result.meldingen[0].leerlingnummer == "231045"
    assert result.afwijzingen == ()


def test_fixture_lessons_are_the_default_lessons_in_local_time() -> None:
    output = read([FIXTURES / "leerling_231045.json"])
    registrations = [registration for registration, _ in output.registrations]
    assert len(registrations) == 18
    expected = [
        (day, number, begin, end)
        for day in (D(2024, 9, 2), D(2024, 9, 3), D(2024, 9, 4))
        for number, begin, end in DEFAULT_LESSONS
    ]
    assert [(r.datum, r.lesuur, r.begintijd, r.eindtijd) for r in registrations] == expected
    first = registrations[0]
    assert (first.status, first.geoorloofd, first.bron_id) == (
        Status.AFWEZIG,
        False,
        "magister:1001",
    )
    assert output.registrations[0][1].pad == "$.absenties.Items[0]"
    (stats,) = output.stats
    assert (stats.bestand, stats.read, stats.accepted, stats.rejected) == (
        "leerling_231045.json",
        18,
        18,
        0,
    )


def test_identity_from_envelope_or_student_export() -> None:
    """DOMAIN.md 5: the BSN comes from a separate student export, or here from the envelope."""
    export = assemble(read(FIXTURE_PATHS))
    assert export.students["231045"].bsn == BSN  # envelope (CSV row without identity)
    assert export.students["231046"].bsn == BSN_2  # CSV (envelope without identity)
    assert export.students["231046"].geboortedatum == D(2010, 6, 1)
    assert export.students["231047"].onderwijsnummer == ONDERWIJSNUMMER  # envelope only


def test_klas_fixture_types_6_and_8() -> None:
    """Type 8 (homework) gives no registration but is read and accepted; type 6 becomes NVT."""
    output = read([FIXTURES / "klas_1a.json"])
    (stats,) = output.stats
    assert (stats.read, stats.accepted, stats.rejected) == (20, 20, 0)
    statuses = [r.status for r, _ in output.registrations]
    assert statuses.count(Status.AFWEZIG) == 18
    assert statuses.count(Status.NVT) == 1
    assert len(statuses) == 19
    assert all(r.categorie is Categorie.ZIEK for r, _ in output.registrations[:18])


# -- (2) the rules --------------------------------------------------------------------------------

M = _MISSING


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"Verantwoordingtype": 1}, (Status.AFWEZIG, False, None)),
        ({"Verantwoordingtype": 2}, (Status.TE_LAAT, False, None)),
        ({"Verantwoordingtype": 3, "Geoorloofd": True, "Code": "Z"}, (Status.AFWEZIG, True, "Z")),
        ({"Verantwoordingtype": 3, "Code": "Z"}, (Status.AFWEZIG, False, "Z")),
        ({"Verantwoordingtype": 4}, (Status.VERWIJDERD, False, None)),
        ({"Verantwoordingtype": 6, "Geoorloofd": True}, (Status.NVT, True, None)),
        ({"Verantwoordingtype": 1, "Code": "VZV"}, (Status.AFWEZIG, False, "VZV")),
        # Afgehandeld false and not geoorloofd: not yet known (counts, W-ONBEKEND; F2)
        ({"Afgehandeld": False}, (Status.AFWEZIG, None, None)),
        ({"Afgehandeld": False, "Geoorloofd": True}, (Status.AFWEZIG, True, None)),
        ({"Afgehandeld": M}, (Status.AFWEZIG, False, None)),
        ({"Afgehandeld": None}, (Status.AFWEZIG, False, None)),
    ],
)
def test_verantwoordingtype_and_geoorloofd(
    tmp_path: Path, fields: dict[str, Any], expected: tuple[Status, bool | None, str | None]
) -> None:
    config = school()
    registration = only_registration(read([write(tmp_path, envelope([item(**fields)]))], config))
    status, geoorloofd, code = expected
    assert registration.status is status
    assert registration.geoorloofd is geoorloofd
    assert registration.categorie == (config.categorie(code) if code else None)


@pytest.mark.parametrize("kind", [7, 8])
def test_forgotten_book_or_homework_is_read_but_not_registered(tmp_path: Path, kind: int) -> None:
    output = read([write(tmp_path, envelope([item(Verantwoordingtype=kind), item(2)]))])
    assert len(output.registrations) == 1
    assert output.rejections == []
    (stats,) = output.stats
    assert (stats.read, stats.accepted, stats.rejected) == (2, 2, 0)
    # assemble counts the item as ignored (part of accepted, without a registration)
    (stats,) = assemble(output).stats
    assert (stats.read, stats.accepted, stats.rejected, stats.ignored) == (2, 2, 0, 1)


def test_ignored_items_of_a_rejected_pupil_are_rows_of_rejected_pupils(tmp_path: Path) -> None:
    output = read([write(tmp_path, envelope([item(Verantwoordingtype=8), item(2)], bsn=BAD_BSN))])
    export = assemble(output)
    assert [r.regel for r in export.rejections] == ["V01"]
    (stats,) = export.stats
    assert (stats.accepted, stats.of_rejected_pupils, stats.ignored) == (0, 2, 0)


def test_categorie_comes_from_the_school_mapping_never_hard_coded(tmp_path: Path) -> None:
    """DOMAIN.md 5: a school that maps Z to MEDISCH gets MEDISCH; an unmapped code keeps the
    registration without categorie and gives one W-REDENCODE per code."""
    base = school()
    config = replace(base, redencodes=(("Z", Categorie.MEDISCH),))
    items = [
        item(1, Verantwoordingtype=3, Code="Z"),
        item(2, Code="S"),
        item(3, Code="S", Lesuur=2),
    ]
    output = read([write(tmp_path, envelope(items))], config)
    categories = [r.categorie for r, _ in output.registrations]
    assert categories == [Categorie.MEDISCH, None, None]
    (warning,) = output.warnings
    assert warning.regel == "W-REDENCODE"
    assert warning.veld == "Code"
    assert warning.reden.startswith("$.absenties.Items[1]: Code 'S' ")
    assert "(2 absenties)" in warning.reden


@pytest.mark.parametrize(
    ("start", "end", "datum", "begin", "eind"),
    [
        # last Saturday of summer time (UTC+2)
        ("2024-10-26T06:30:00.0000000Z", "2024-10-26T07:20:00.0000000Z", D(2024, 10, 26), "08:30",
         "09:20"),
        # Sunday 27 Oct 2024, after 03:00 CEST -> 02:00 CET (UTC+1)
        ("2024-10-27T07:30:00.0000000Z", "2024-10-27T08:20:00.0000000Z", D(2024, 10, 27), "08:30",
         "09:20"),
        ("2024-10-28T07:30:00.0000000Z", "2024-10-28T08:20:00.0000000Z", D(2024, 10, 28), "08:30",
         "09:20"),
        # last Friday of winter time (UTC+1)
        ("2025-03-28T07:30:00.0000000Z", "2025-03-28T08:20:00.0000000Z", D(2025, 3, 28), "08:30",
         "09:20"),
        # Monday 31 Mar 2025, the first school day of summer time (UTC+2)
        ("2025-03-31T06:30:00.0000000Z", "2025-03-31T07:20:00.0000000Z", D(2025, 3, 31), "08:30",
         "09:20"),
        # 23:30Z is already the next local day
        ("2024-09-01T22:30:00.0000000Z", "2024-09-01T23:20:00.0000000Z", D(2024, 9, 2), "00:30",
         "01:20"),
        # seven decimals are cut, not rounded; an explicit offset is converted too
        ("2024-09-02T06:30:59.9999999Z", "2024-09-02T09:20:00+02:00", D(2024, 9, 2), "08:30",
         "09:20"),
        ("2024-09-02T06:30Z", "2024-09-02T07:20:00.5Z", D(2024, 9, 2), "08:30", "09:20"),
    ],
)  # fmt: skip
def test_utc_to_amsterdam_across_daylight_saving(
    tmp_path: Path, start: str, end: str, datum: dt.date, begin: str, eind: str
) -> None:
    registration = only_registration(
        read([write(tmp_path, envelope([item(Start=start, Eind=end)]))])
    )
    assert registration.datum == datum
    assert registration.begintijd == dt.time.fromisoformat(begin)
    assert registration.eindtijd == dt.time.fromisoformat(eind)


@pytest.mark.parametrize(("lesuur", "expected"), [(1, 1), (12, 12), (0, None), (None, None)])
def test_lesuur(tmp_path: Path, lesuur: int | None, expected: int | None) -> None:
    """Lesuur 0 (the "0e uur") and null give a registration without lesson number."""
    registration = only_registration(read([write(tmp_path, envelope([item(Lesuur=lesuur)]))]))
    assert registration.lesuur == expected


def test_bron_id_and_duplicates_across_files(tmp_path: Path) -> None:
    """bron_id = magister:{Id}; the same absentie exported twice counts once (``assemble``)."""
    first = write(tmp_path, envelope([item(77)]), "a.json")
    second = write(tmp_path, envelope([item(77), item(78, Lesuur=2)]), "b.json")
    output = read([first, second])
    assert [r.bron_id for r, _ in output.registrations] == [
        "magister:77",
        "magister:77",
        "magister:78",
    ]
    export = assemble(output)
    assert export.registrations.height == 2
    # counted once, but not silently: the earlier copy is a duplicate, the later one counts
    assert [(s.bestand, s.accepted, s.duplicates) for s in export.stats] == [
        ("a.json", 1, 1),
        ("b.json", 2, 0),
    ]
    (warning,) = export.warnings
    assert (warning.regel, warning.bestand, warning.leerlingnummer, warning.veld) == (
        "W-DUBBEL", "a.json", "231045", "bron_id"
    )  # fmt: skip
    assert warning.reden.startswith("$.absenties.Items[0]: ")
    assert "b.json $.absenties.Items[0]" in warning.reden


def test_the_later_copy_of_an_absentie_counts(tmp_path: Path) -> None:
    """The same Id exported again after the school excused it: the later state counts."""
    first = write(tmp_path, envelope([item(77)]), "a.json")
    second = write(tmp_path, envelope([item(77, Geoorloofd=True, Code="Z")]), "b.json")
    export = assemble(read([first, second]))
    assert export.registrations.get_column("geoorloofd").to_list() == ["J"]
    assert export.texts is not None
    assert export.texts.get_column("redencode").to_list() == ["Z"]


# -- a later version of an Id wins whatever its type (F1, W-DUBBEL) ------------------------------

VO_SCHOOL = """
[school]
brin = "99XX"
vestiging = "00"
naam = "Proefschool"
sector = "vo"
[melder]
naam = "J. Jansen"
email = "verzuim@proefschool.example"
"""
RUNNER = CliRunner()
DAYS = (D(2024, 9, 2), D(2024, 9, 3), D(2024, 9, 4))


def lessons(count: int) -> list[dict[str, Any]]:
    """``count`` unexcused absent lessons with Id 1..count: lessons 1-6 from Mon 2 Sep 2024 on
    (local times, summer time). 16 of them reach R-16U on Wednesday (DOMAIN.md 4.6), 15 do not."""
    slots = [(day, slot) for day in DAYS for slot in DEFAULT_LESSONS][:count]
    return [
        item(ident, Start=f"{day}T{begin:%H:%M}:00+02:00", Eind=f"{day}T{end:%H:%M}:00+02:00",
             Lesuur=number)
        for ident, (day, (number, begin, end)) in enumerate(slots, start=1)
    ]  # fmt: skip


def precheck_json(tmp_path: Path, *files: Path) -> dict[str, Any]:
    """``verzuim precheck --adapter magister --format json`` over the files in this order."""
    school_file = tmp_path / "school.toml"
    school_file.write_text(VO_SCHOOL, encoding="utf-8")
    arguments = ["precheck", "--adapter", "magister", "--school", str(school_file),
                 "--format", "json"]  # fmt: skip
    for path in files:
        arguments += ["--registrations", str(path)]
    result = RUNNER.invoke(app, arguments)
    assert result.exit_code == 0, result.stderr
    for secret in SECRETS:
        assert secret not in result.stdout
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def counted(document: dict[str, Any]) -> dict[str, tuple[int, int, int, int, int]]:
    """Per file: gelezen, geaccepteerd, afgewezen, waarvan_dubbel, waarvan_genegeerd; read =
    accepted + rejected + rows of rejected pupils holds in every file."""
    for s in document["bestanden"]:
        assert s["gelezen"] == s["geaccepteerd"] + s["afgewezen"] + s["van_afgewezen_leerlingen"]
    return {
        s["bestand"]: (s["gelezen"], s["geaccepteerd"], s["afgewezen"], s["waarvan_dubbel"],
                       s["waarvan_genegeerd"])
        for s in document["bestanden"]
    }  # fmt: skip


def melding_codes(document: dict[str, Any]) -> list[tuple[str, str, float]]:
    return [(m["leerlingnummer"], m["code"], m["uren"]) for m in document["meldingen"]]


def only_duplicate_warning(document: dict[str, Any]) -> dict[str, Any]:
    """The one warning, a W-DUBBEL that names places only (no Id value, no bron_id)."""
    (warning,) = document["waarschuwingen"]
    assert (warning["regel"], warning["veld"], warning["leerlingnummer"]) == (
        "W-DUBBEL", "bron_id", "231045"
    )  # fmt: skip
    assert "magister:" not in warning["reden"]
    return warning


def test_an_absence_whose_id_comes_back_as_homework_in_a_later_file_no_longer_counts(
    tmp_path: Path,
) -> None:
    """The school re-classified absentie 16 as homework (type 7) before the next export: the
    later version wins (F1), so 15 lesuren remain and there is no false R-16U melding. The
    earlier absence is counted as dubbel with W-DUBBEL naming both places; the type 7 row stays
    genegeerd."""
    earlier = write(tmp_path, envelope(lessons(16)), "a.json")
    assert melding_codes(precheck_json(tmp_path, earlier)) == [("231045", "V3", 16.0)]
    later = write(tmp_path, envelope([item(16, Verantwoordingtype=7)]), "b.json")
    document = precheck_json(tmp_path, earlier, later)
    assert melding_codes(document) == []
    assert counted(document) == {"a.json": (16, 16, 0, 1, 0), "b.json": (1, 1, 0, 0, 1)}
    warning = only_duplicate_warning(document)
    assert warning["bestand"] == "a.json"
    assert warning["reden"].startswith("$.absenties.Items[15]: ")
    assert "(b.json $.absenties.Items[0])" in warning["reden"]


def test_within_one_file_the_later_item_of_an_id_wins(tmp_path: Path) -> None:
    """Input order inside a file is item order, across envelopes too: absentie 16 followed by
    the same Id as homework (type 8) in a later envelope no longer counts; the other way round
    (homework first) the absence counts."""
    homework = envelope([item(16, Verantwoordingtype=8)])
    file = write(tmp_path, [envelope(lessons(16)), homework], "a.json")
    document = precheck_json(tmp_path, file)
    assert melding_codes(document) == []
    assert counted(document) == {"a.json": (17, 17, 0, 1, 1)}
    warning = only_duplicate_warning(document)
    assert warning["reden"].startswith("$[0].absenties.Items[15]: ")
    assert "(a.json $[1].absenties.Items[0])" in warning["reden"]

    reverse = write(tmp_path, [homework, envelope(lessons(16))], "b.json")
    document = precheck_json(tmp_path, reverse)
    assert melding_codes(document) == [("231045", "V3", 16.0)]
    assert counted(document) == {"b.json": (17, 17, 0, 1, 0)}
    assert only_duplicate_warning(document)["reden"].startswith("$[0].absenties.Items[0]: ")


def test_homework_whose_id_comes_back_as_an_absence_counts_the_absence(tmp_path: Path) -> None:
    """Type 8 in an earlier file, the same Id as an absence later: the absence counts (R-16U),
    and the homework row, replaced by the later version of its Id, is the duplicate (dubbel,
    W-DUBBEL), no longer genegeerd: every Id counts once, as its latest version."""
    earlier = write(tmp_path, envelope([item(16, Verantwoordingtype=8)]), "a.json")
    later = write(tmp_path, envelope(lessons(16)), "b.json")
    document = precheck_json(tmp_path, earlier, later)
    assert melding_codes(document) == [("231045", "V3", 16.0)]
    assert counted(document) == {"a.json": (1, 1, 0, 1, 0), "b.json": (16, 16, 0, 0, 0)}
    warning = only_duplicate_warning(document)
    assert warning["bestand"] == "a.json"
    assert warning["reden"].startswith("$.absenties.Items[0]: ")
    assert "(b.json $.absenties.Items[15])" in warning["reden"]


def test_an_id_only_ever_homework_gives_no_registration(tmp_path: Path) -> None:
    """Id 16 only ever as type 7/8: never a registration (15 lesuren: no melding); exported
    twice, the earlier copy is dubbel and the later genegeerd, as for a repeated absence. The
    same Id number of another pupil is another absentie and counts."""
    other = envelope([item(16)], stamnr="231046", bsn=BSN_2, geboortedatum="2010-06-01")
    items = [*lessons(15), item(16, Verantwoordingtype=7)]
    earlier = write(tmp_path, [envelope(items), other], "a.json")
    later = write(tmp_path, envelope([item(16, Verantwoordingtype=8)]), "b.json")
    document = precheck_json(tmp_path, earlier, later)
    assert melding_codes(document) == []
    assert counted(document) == {"a.json": (17, 17, 0, 1, 0), "b.json": (1, 1, 0, 0, 1)}
    warning = only_duplicate_warning(document)
    assert warning["reden"].startswith("$[0].absenties.Items[15]: ")
    assert "(b.json $.absenties.Items[0])" in warning["reden"]
    alone = precheck_json(tmp_path, later)
    assert (melding_codes(alone), counted(alone)) == ([], {"b.json": (1, 1, 0, 0, 1)})
    assert alone["waarschuwingen"] == []


@pytest.mark.parametrize(
    ("name", "content"),
    [("absenties.json", b""), ("leerlingen.csv", b""), ("leerlingen.csv", b"stamnr;bsn\n")],
)
def test_an_empty_file_is_i_leeg_and_the_others_are_read(
    tmp_path: Path, name: str, content: bytes
) -> None:
    empty = tmp_path / name
    empty.write_bytes(content)
    output = read([empty, FIXTURES / "leerling_231045.json"])
    assert [(r.regel, r.bestand, r.regelnummer) for r in output.rejections] == [
        ("I-LEEG", name, None)
    ]
    assert len(output.registrations) == 18
    assert (output.stats[0].bestand, output.stats[0].read) == (name, 0)


def test_stamnr_is_the_key_with_leerlingnummer_as_fallback(tmp_path: Path) -> None:
    items = [item(1)]
    numeric = read([write(tmp_path, envelope(items, stamnr=231045), "a.json")])
    assert only_registration(numeric).leerlingnummer == "231045"
    fallback = read([write(tmp_path, envelope(items, stamnr=M), "b.json")])
    assert only_registration(fallback).leerlingnummer == "18842"


def test_total_count_different_from_items_warns(tmp_path: Path) -> None:
    data = envelope([item(1)])
    data["absenties"]["TotalCount"] = 40
    output = read([write(tmp_path, data)])
    assert len(output.registrations) == 1
    (warning,) = output.warnings
    assert warning.regel == "W-ONVOLLEDIG"
    assert "TotalCount is 40" in warning.reden


# -- (3) bad input: precise rejections, the good items go on --------------------------------------


BAD_ITEMS = [
    # (item fields, rule, veld, text in the reason)
    ({"Id": M}, "I-VERPLICHT", "Id", "Id ontbreekt"),
    ({"Id": "abc"}, "I-FORMAAT", "Id", "Id 'abc' is geen geheel getal"),
    ({"Start": M}, "I-VERPLICHT", "Start", "Start ontbreekt"),
    ({"Eind": ""}, "I-VERPLICHT", "Eind", "Eind ontbreekt"),
    ({"Start": "2024-09-02 06:30"}, "I-FORMAAT", "Start", "is geen tijdstip"),
    ({"Start": "2024-09-02T06:30:00.0000000"}, "I-FORMAAT", "Start", "is geen tijdstip"),
    ({"Start": "2024-02-30T06:30:00.0000000Z"}, "I-FORMAAT", "Start", "geen bestaand tijdstip"),
    ({"Start": 1725258600}, "I-FORMAAT", "Start", "is geen tijdstip"),
    ({"Eind": "2024-09-02T06:00:00.0000000Z"}, "F1", "Eind", "Eind ligt niet na Start (F1)"),
    ({"Eind": "2024-09-02T06:30:00.0000000Z"}, "F1", "Eind", "Eind ligt niet na Start (F1)"),
    ({"Eind": "2024-09-03T07:20:00.0000000Z"}, "F1", "Eind", "verschillende dagen"),
    ({"Start": "2024-09-02T04:00:00Z", "Eind": "2024-09-02T17:00:00Z"}, "F1", "Eind",
     "780 minuten, meer dan 720 (F1)"),
    ({"Verantwoordingtype": 5}, "I-FORMAAT", "Verantwoordingtype",
     "onbekend Verantwoordingtype 5"),
    ({"Verantwoordingtype": M}, "I-VERPLICHT", "Verantwoordingtype", "ontbreekt"),
    ({"Verantwoordingtype": "1"}, "I-FORMAAT", "Verantwoordingtype", "geen geheel getal"),
    ({"Verantwoordingtype": True}, "I-FORMAAT", "Verantwoordingtype", "geen geheel getal"),
    ({"Geoorloofd": M}, "I-VERPLICHT", "Geoorloofd", "Geoorloofd ontbreekt"),
    ({"Geoorloofd": "ja"}, "I-FORMAAT", "Geoorloofd", "'ja' is geen true of false"),
    ({"Afgehandeld": 1}, "I-FORMAAT", "Afgehandeld", "is geen true of false"),
    ({"Lesuur": 13}, "I-FORMAAT", "Lesuur", "Lesuur 13 is geen lesuur 0-12"),
    ({"Code": 5}, "I-FORMAAT", "Code", "Code '5' is geen tekst"),
    ({"Omschrijving": "a\x00b"}, "I-TEKEN", "Omschrijving", "NUL-teken"),
    ({"Afspraak": {"Omschrijving": "x\x00"}}, "I-TEKEN", "Afspraak.Omschrijving", "NUL-teken"),
    # a BSN typed into the wrong field is masked
    ({"Start": BSN}, "I-FORMAAT", "Start", "'*********' is geen tijdstip"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "rule", "veld", "text"), BAD_ITEMS)
def test_bad_item_is_rejected_and_the_others_go_on(
    tmp_path: Path, fields: dict[str, Any], rule: str, veld: str, text: str
) -> None:
    items = [item(1), item(2, **fields), item(3, Lesuur=3)]
    output = read([write(tmp_path, envelope(items), "leerling.json")])
    (rejection,) = output.rejections
    assert (rejection.regel, rejection.veld, rejection.bestand) == (rule, veld, "leerling.json")
    assert rejection.reden.startswith("$.absenties.Items[1]: ")
    assert text in rejection.reden
    assert rejection.leerlingnummer == "231045"
    assert [r.bron_id for r, _ in output.registrations] == ["magister:1", "magister:3"]
    (stats,) = output.stats
    assert (stats.read, stats.accepted, stats.rejected) == (3, 2, 1)


def test_item_that_is_not_an_object(tmp_path: Path) -> None:
    output = read([write(tmp_path, envelope([item(1), "x", 7, item(4)]))])
    assert [(r.regel, r.reden.split(":")[0]) for r in output.rejections] == [
        ("I-FORMAAT", "$.absenties.Items[1]"),
        ("I-FORMAAT", "$.absenties.Items[2]"),
    ]
    assert len(output.registrations) == 2
    assert (output.stats[0].read, output.stats[0].rejected) == (4, 2)


def test_path_in_a_list_of_envelopes(tmp_path: Path) -> None:
    data = [
        envelope([item(1)]),
        envelope([item(2), item(3, Eind=M)], stamnr="231046", bsn=BSN_2),
    ]
    output = read([write(tmp_path, data)])
    (rejection,) = output.rejections
    assert rejection.reden.startswith("$[1].absenties.Items[1]: Eind ontbreekt")
    assert rejection.leerlingnummer == "231046"
    assert [where.pad for _, where in output.registrations] == [
        "$[0].absenties.Items[0]",
        "$[1].absenties.Items[0]",
    ]


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b"{Items: [", "geen geldige JSON"),
        (b'"hallo"', "$: verwacht een envelop-object of een lijst"),
        (b"42", "$: verwacht een envelop-object of een lijst"),
        (b"[" * 200_000, "JSON"),
    ],
)
def test_file_that_is_not_json_of_the_right_shape_is_rejected_whole(
    tmp_path: Path, content: bytes, text: str
) -> None:
    """The whole file is one rejection (I-JSON); the other files are still read."""
    bad = tmp_path / "kapot.json"
    bad.write_bytes(content)
    output = read([bad, FIXTURES / "leerling_231045.json"])
    (rejection,) = output.rejections
    assert (rejection.regel, rejection.bestand) == ("I-JSON", "kapot.json")
    assert text in rejection.reden
    assert len(output.registrations) == 18
    assert [(s.bestand, s.read) for s in output.stats] == [
        ("kapot.json", 0),
        ("leerling_231045.json", 18),
    ]


def test_truncated_fixture_names_the_line() -> None:
    output = read([FIXTURES / "not_json.json"])
    (rejection,) = output.rejections
    assert rejection.regel == "I-JSON"
    assert rejection.regelnummer == 3
    assert "het hele bestand is niet gelezen" in rejection.reden


def test_bare_api_response_without_envelope_is_refused_with_a_hint() -> None:
    output = read([FIXTURES / "bare_response.json"])
    (rejection,) = output.rejections
    assert (rejection.regel, rejection.veld) == ("I-JSON", "absenties")
    assert "zonder envelop" in rejection.reden
    assert output.registrations == []


@pytest.mark.parametrize(
    ("data", "pad", "veld", "text"),
    [
        ([1, envelope([item(1)])], "$[0]", "", "verwacht een envelop-object"),
        ([envelope([item(1)], absenties=M), envelope([item(1)])], "$[0]", "absenties",
         "absenties ontbreekt"),
        ([envelope([item(1)], absenties={"Items": {}}), envelope([item(1)])], "$[0]", "Items",
         "absenties.Items ontbreekt of is geen lijst"),
    ],
)  # fmt: skip
def test_envelope_of_the_wrong_shape(
    tmp_path: Path, data: list[Any], pad: str, veld: str, text: str
) -> None:
    output = read([write(tmp_path, data)])
    (rejection,) = output.rejections
    assert (rejection.regel, rejection.veld) == ("I-JSON", veld)
    assert rejection.reden.startswith(f"{pad}: ")
    assert text in rejection.reden
    assert len(output.registrations) == 1


@pytest.mark.parametrize(
    ("fields", "rule", "veld", "text"),
    [
        ({"stamnr": M, "leerlingnummer": M}, "I-VERPLICHT", "stamnr", "stamnr (of leerlingnummer)"),
        ({"stamnr": "", "leerlingnummer": None}, "I-VERPLICHT", "stamnr", "ontbreekt"),
        ({"stamnr": "x" * 40}, "I-FORMAAT", "stamnr", "hoogstens 32"),
        ({"brin": "12AB"}, "V13", "brin", "BRIN '12AB' hoort niet bij deze school (99XX)"),
    ],
)  # fmt: skip
def test_envelope_without_pupil_or_of_another_school_rejects_its_items(
    tmp_path: Path, fields: dict[str, Any], rule: str, veld: str, text: str
) -> None:
    data = [envelope([item(1), item(2)], **fields), envelope([item(3)], stamnr="231046")]
    output = read([write(tmp_path, data)])
    (rejection,) = output.rejections
    assert (rejection.regel, rejection.veld) == (rule, veld)
    assert rejection.reden.startswith("$[0]: ")
    assert text in rejection.reden
    assert "2 absenties niet gelezen" in rejection.reden
    assert [r.bron_id for r, _ in output.registrations] == ["magister:3"]
    (stats,) = output.stats
    assert (stats.read, stats.accepted, stats.rejected) == (3, 1, 2)


def test_bad_birth_date_in_envelope_keeps_the_items(tmp_path: Path) -> None:
    """The envelope gives no identity; the items are read, and without a birth date from the
    student export ``assemble`` refuses them as I-LEERLING. The date itself is never shown."""
    output = read([write(tmp_path, envelope([item(1)], geboortedatum="15-03-2010"))])
    (rejection,) = output.rejections
    assert (rejection.regel, rejection.veld) == ("I-FORMAAT", "geboortedatum")
    assert len(output.registrations) == 1
    assert output.students == []
    export = assemble(output)
    assert [r.regel for r in export.rejections] == ["I-FORMAAT", "I-LEERLING"]
    students = tmp_path / "leerlingen.csv"
    students.write_text(f"{STUDENT_HEADER}\n231045;{BSN};;2010-03-15;N\n")
    export = assemble(read([tmp_path / "absenties.json", students]))
    assert export.registrations.height == 1


def test_non_utf8_byte_rejects_that_item_only() -> None:
    """A UTF-8 file (en dashes) with one stray Latin-1 byte: that item is I-TEKENSET."""
    output = read([FIXTURES / "mixed_bytes.json"])
    (rejection,) = output.rejections
    assert (rejection.regel, rejection.veld) == ("I-TEKENSET", "Omschrijving")
    assert rejection.reden.startswith("$.absenties.Items[2]: Omschrijving: byte 0xe9")
    assert [r.bron_id for r, _ in output.registrations] == ["magister:6001", "magister:6002"]
    (stats,) = output.stats
    assert (stats.encoding, stats.read, stats.accepted, stats.rejected) == ("utf-8", 3, 2, 1)


def test_windows_1252_file_is_read_with_a_warning() -> None:
    output = read([FIXTURES / "windows1252.json"])
    assert output.rejections == []
    assert [w.regel for w in output.warnings] == ["W-TEKENSET"]
    assert output.stats[0].encoding == "windows-1252"
    assert len(output.registrations) == 1


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(envelope([item(1)])).encode())
    assert len(read([path]).registrations) == 1


# -- identity: the student export and V01 --------------------------------------------------------


def test_student_export_wins_and_a_differing_envelope_warns(tmp_path: Path) -> None:
    students = tmp_path / "leerlingen.csv"
    students.write_text(f"{STUDENT_HEADER}\n231045;{BSN_2};;2010-03-15;J\n")
    output = read([write(tmp_path, envelope([item(1)])), students])
    export = assemble(output)
    student = export.students["231045"]
    assert (student.bsn, student.startkwalificatie) == (BSN_2, True)
    assert [(w.regel, w.veld) for w in output.warnings] == [("W-IDENTITEIT", "bsn")]


def test_invalid_bsn_is_v01_without_the_number(tmp_path: Path) -> None:
    output = read([write(tmp_path, envelope([item(1)], bsn=BAD_BSN))])
    export = assemble(output)
    (rejection,) = export.rejections
    assert (rejection.regel, rejection.bestand) == ("V01", "absenties.json")
    assert rejection.reden.startswith("$: BSN voldoet niet")
    assert BAD_BSN not in rejection.reden
    assert export.registrations.height == 0


def test_student_export_rows(tmp_path: Path) -> None:
    students = tmp_path / "leerlingen.csv"
    students.write_text(
        f"{STUDENT_HEADER}\n"
        f"231045;{BSN};;2010-03-15;N\n"
        f"231045;{BSN_2};;2010-03-15;N\n"
        f"231046;{BSN_2};;15-03-2010;N\n"
        "231047;1;2\n"
        f"231048;{BSN_2};;2010-03-15;X\n"
        ";;;;\n"
    )
    output = read([students])
    assert [(r.regel, r.regelnummer, r.veld) for r in output.rejections] == [
        ("I-DUBBEL", 3, "stamnr"),
        ("I-FORMAAT", 4, "geboortedatum"),
        ("I-VELDEN", 5, ""),
        ("I-FORMAAT", 6, "startkwalificatie"),
        ("I-VERPLICHT", 7, "stamnr"),
    ]
    (stats,) = output.stats
    assert (stats.read, stats.accepted, stats.rejected) == (6, 1, 5)
    assert [s.leerlingnummer for s, _ in output.students] == ["231045"]


def test_student_export_without_stamnr_column_is_refused(tmp_path: Path) -> None:
    students = tmp_path / "leerlingen.csv"
    students.write_text("leerlingnummer;bsn\n1;2\n")
    with pytest.raises(InputError, match="stamnr"):
        ADAPTER.read(school(), [students])


# -- (4) no identity numbers in any text ----------------------------------------------------------


def test_no_rejection_or_warning_contains_an_identity_number(tmp_path: Path) -> None:
    """A BSN typed into any field never reaches a rejection or warning text (``read`` checks every
    text of every test; this one puts the number everywhere at once)."""
    items = [
        item(1, Start=BSN),
        item(2, Code=BSN),
        item(3, Verantwoordingtype=int(BSN)),
        item(4, Id=BSN),
        item(5, Lesuur=int(BSN)),
        item(6, Omschrijving=BSN + "\x00"),
    ]
    data = [envelope(items, bsn=BAD_BSN), envelope([item(7)], stamnr="2", brin=BSN)]
    output = read([write(tmp_path, data)])
    assert len(output.rejections) == 6
    export = assemble(output)
    for text in [r.reden for r in export.rejections] + [w.reden for w in export.warnings]:
        for secret in SECRETS:
            assert secret not in text


# -- detect ---------------------------------------------------------------------------------------


def test_detect(tmp_path: Path) -> None:
    assert ADAPTER.detect(FIXTURE_PATHS)
    assert ADAPTER.detect([FIXTURES / "bare_response.json"])
    assert ADAPTER.detect([write(tmp_path, envelope([]), "empty.json")])
    assert not ADAPTER.detect([])
    assert not ADAPTER.detect([FIXTURES / "leerlingen.csv"])
    assert not ADAPTER.detect([FIXTURES / "not_json.json"])
    somtoday = write(tmp_path, {"waarnemingen": [{"beginDatumTijd": "x"}]}, "somtoday.json")
    assert not ADAPTER.detect([somtoday])
    assert not ADAPTER.detect([FIXTURES / "leerling_231045.json", somtoday])
    canonical = tmp_path / "lesregistraties.csv"
    canonical.write_text("brin;vestiging;leerlingnummer;datum\n")
    assert not ADAPTER.detect([FIXTURES / "leerling_231045.json", canonical])
