"""Somtoday adapter (DOMAIN.md 5): waarnemingen joined with absentiemeldingen, local times,
precise rejections, and the shared absence pattern through the rule book (R-16U, F2, F6)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from builders import school, summary

from adapters.base import AdapterOutput, assemble
from adapters.somtoday import SomtodayAdapter
from gateway.errors import InputError
from gateway.model import Categorie, PrecheckResult, Registration, Status
from gateway.rules.dayfacts import day_facts, last_date
from gateway.rules.precheck import precheck

D = dt.date
FIXTURES = Path(__file__).parent / "fixtures" / "somtoday"
STUDENTS = FIXTURES / "leerlingen.csv"
BSNS = ("111222333", "123456782")


def read(*paths: Path) -> AdapterOutput:
    return SomtodayAdapter().read(school(), [STUDENTS, *paths])


def registrations(output: AdapterOutput) -> dict[str, Registration]:
    return {r.bron_id.rsplit(":", 1)[1]: r for r, _ in output.registrations}


def precheck_of(output: AdapterOutput) -> PrecheckResult:
    config = school()
    export = assemble(output)
    as_of = last_date(export.registrations)
    assert as_of is not None
    facts = day_facts(export.registrations, config.eenheid, as_of)
    return precheck(config, export.students, facts.per_pupil, (), as_of)


def waarneming(
    item_id: int,
    begin: str,
    end: str,
    soort: str = "Afwezig",
    pupil: int = 231045,
    lesuur: int | None = 1,
) -> dict[str, object]:
    item: dict[str, object] = {
        "id": item_id,
        "leerling": {"id": 9_000_000 + pupil, "leerlingnummer": pupil},
        "beginDatumTijd": begin,
        "eindDatumTijd": end,
        "waarnemingSoort": soort,
    }
    if lesuur is not None:
        item["beginLesuur"] = item["eindLesuur"] = lesuur
    return item


def melding(
    item_id: int,
    begin: str,
    end: str | None,
    soort: str = "Absent",
    afkorting: str = "Z",
    geoorloofd: bool = True,
    pupil: int = 231045,
) -> dict[str, object]:
    item: dict[str, object] = {
        "id": item_id,
        "leerling": {"id": 9_000_000 + pupil, "leerlingnummer": pupil},
        "beginDatumTijd": begin,
        "absentieReden": {
            "absentieSoort": soort,
            "afkorting": afkorting,
            "omschrijving": afkorting.lower(),
            "geoorloofd": geoorloofd,
        },
        "afgehandeld": True,
    }
    if end is not None:
        item["eindDatumTijd"] = end
    return item


def write(tmp_path: Path, name: str, items: list[dict[str, object]]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"items": items}), encoding="utf-8")
    return path


def t(day: str, clock: str, offset: str = "+02:00") -> str:
    return f"2024-{day}T{clock}:00.000{offset}"


# -- (1) the shared absence pattern --------------------------------------------------------------


def test_shared_pattern_gives_one_v3_melding_and_nothing_for_the_sick_pupil() -> None:
    output = read(FIXTURES / "waarnemingen.json", FIXTURES / "absentiemeldingen.json")
    assert output.rejections == []
    result = precheck_of(output)
    assert summary(result) == [("V3", "", D(2024, 9, 2), D(2024, 9, 4), 18.0)]
    assert result.meldingen[0].leerlingnummer == "231045"
    assert [(s.bestand, s.read, s.accepted, s.rejected) for s in output.stats] == [
        ("leerlingen.csv", 2, 2, 0),
        ("waarnemingen.json", 48, 48, 0),
        ("absentiemeldingen.json", 1, 1, 0),
    ]


def test_shared_pattern_registrations_are_canonical() -> None:
    output = read(FIXTURES / "waarnemingen.json", FIXTURES / "absentiemeldingen.json")
    rows = [r for r, _ in output.registrations]
    unexcused = [r for r in rows if r.leerlingnummer == "231045" and r.status is Status.AFWEZIG]
    assert len(unexcused) == 18
    assert {(r.geoorloofd, r.categorie) for r in unexcused} == {(False, None)}
    sick = [r for r in rows if r.leerlingnummer == "231046" and r.status is Status.AFWEZIG]
    assert {(r.geoorloofd, r.categorie) for r in sick} == {(True, Categorie.ZIEK)}
    thursday = [r for r in rows if r.datum == D(2024, 9, 5)]
    assert {r.status for r in thursday} == {Status.AANWEZIG} and len(thursday) == 12
    first = rows[0]
    assert (first.datum, first.begintijd, first.eindtijd, first.lesuur, first.bron_id) == (
        D(2024, 9, 2),
        dt.time(8, 30),
        dt.time(9, 20),
        1,
        "somtoday:waarneming:1001",
    )


def test_presence_on_thursday_ends_the_run_without_lrv() -> None:
    """F6: the Aanwezig lessons of Thursday make it no afwezige dag, so the run ends there."""
    output = read(FIXTURES / "waarnemingen.json")
    result = precheck_of(output)
    # without the sick report pupil 231046 has the same pattern
    assert sorted((m.leerlingnummer, m.code.value) for m in result.meldingen) == [
        ("231045", "V3"),
        ("231046", "V3"),
    ]


# -- (2) the join -------------------------------------------------------------------------------


def test_join_statuses_reasons_and_uncovered(tmp_path: Path) -> None:
    lessons = [
        waarneming(1, t("09-09", "08:30"), t("09-09", "09:20"), lesuur=1),  # inside ziek
        waarneming(2, t("09-09", "11:20"), t("09-09", "12:10"), lesuur=4),  # inside ziek
        waarneming(3, t("09-09", "12:40"), t("09-09", "13:30"), lesuur=5),  # after ziek
        waarneming(4, t("09-10", "08:30"), t("09-10", "09:20"), lesuur=1),  # telaat inside
        waarneming(5, t("09-10", "09:20"), t("09-10", "10:10"), lesuur=2),  # verwijderd
        waarneming(6, t("09-10", "10:30"), t("09-10", "11:20"), lesuur=3),  # unknown code
        waarneming(7, t("09-10", "11:20"), t("09-10", "12:10"), "Aanwezig", lesuur=4),
        waarneming(8, t("09-10", "12:40"), t("09-10", "13:30"), "Nvt", lesuur=5),
        waarneming(9, t("09-11", "08:30"), t("09-11", "09:20"), lesuur=1),  # luxe, not excused
        waarneming(10, t("09-09", "08:30"), t("09-09", "09:20"), pupil=231046),  # other pupil
    ]
    reports = [
        melding(100, t("09-09", "08:00"), t("09-09", "12:10"), "Absent", "Z", True),
        melding(101, t("09-10", "08:30"), t("09-10", "08:40"), "Telaat", "TL", False),
        melding(102, t("09-10", "09:50"), t("09-10", "10:10"), "Verwijderd", "VW", False),
        melding(103, t("09-10", "10:30"), t("09-10", "11:20"), "Absent", "XX", True),
        melding(104, t("09-11", "00:00"), None, "Absent", "VZV", False),  # open report
        melding(105, t("09-10", "11:00"), t("09-10", "12:10"), "Absent", "Z", True),  # Aanwezig
    ]
    output = read(write(tmp_path, "w.json", lessons), write(tmp_path, "a.json", reports))
    assert output.rejections == []
    got = {k: (r.status, r.geoorloofd, r.categorie) for k, r in registrations(output).items()}
    assert got == {
        "1": (Status.AFWEZIG, True, Categorie.ZIEK),
        "2": (Status.AFWEZIG, True, Categorie.ZIEK),
        "3": (Status.AFWEZIG, False, None),
        "4": (Status.TE_LAAT, False, None),
        "5": (Status.VERWIJDERD, False, None),
        "6": (Status.AFWEZIG, True, None),
        "7": (Status.AANWEZIG, None, None),
        "8": (Status.NVT, None, None),
        "9": (Status.AFWEZIG, False, Categorie.LUXE),
        "10": (Status.AFWEZIG, False, None),
    }
    codes = [(w.regel, w.reden) for w in output.warnings]
    assert [code for code, _ in codes] == ["W-REDENCODE"] * 3
    assert "'XX'" in codes[2][1] and "(1 lessen)" in codes[2][1]


def test_largest_overlap_wins_then_the_later_report(tmp_path: Path) -> None:
    lessons = [
        waarneming(1, t("09-09", "08:30"), t("09-09", "09:20")),
        waarneming(2, t("09-09", "09:20"), t("09-09", "10:10"), lesuur=2),
    ]
    reports = [
        melding(100, t("09-09", "08:00"), t("09-09", "08:40"), "Absent", "Z", True),
        melding(101, t("09-09", "08:40"), t("09-09", "17:00"), "Absent", "VZV", False),
        melding(102, t("09-09", "09:00"), t("09-09", "17:00"), "Absent", "Z", True),
    ]
    output = read(write(tmp_path, "w.json", lessons), write(tmp_path, "a.json", reports))
    got = registrations(output)
    assert got["1"].categorie is Categorie.LUXE  # 40 minutes of 101 beat 20 of 102 and 10 of 100
    assert got["2"].categorie is Categorie.ZIEK  # 101 and 102 cover all 50: the later begin


def test_report_touching_the_lesson_does_not_cover_it(tmp_path: Path) -> None:
    lessons = [waarneming(1, t("09-09", "09:20"), t("09-09", "10:10"), lesuur=2)]
    reports = [melding(100, t("09-09", "08:00"), t("09-09", "09:20"))]
    output = read(write(tmp_path, "w.json", lessons), write(tmp_path, "a.json", reports))
    assert registrations(output)["1"].geoorloofd is False


def test_times_are_local_across_the_dst_change_of_27_october(tmp_path: Path) -> None:
    """CEST (+02:00) until Sunday 27 Oct 2024 03:00, CET (+01:00) after: local 08:30 both sides,
    whatever offset or UTC the stamp uses."""
    lessons = [
        waarneming(1, "2024-10-25T08:30:00.000+02:00", "2024-10-25T09:20:00.000+02:00"),
        waarneming(2, "2024-10-28T08:30:00.000+01:00", "2024-10-28T09:20:00.000+01:00"),
        waarneming(3, "2024-10-25T06:30:00Z", "2024-10-25T07:20:00Z"),
        waarneming(4, "2024-10-28T07:30:00Z", "2024-10-28T08:20:00Z"),
        # a stamp with the summer offset after the change is still converted right
        waarneming(5, "2024-10-28T09:30:00.000+02:00", "2024-10-28T10:20:00.000+02:00"),
        # on the night itself: 00:30 UTC is 02:30 CEST, 01:30 UTC is 02:30 CET
        waarneming(6, "2024-10-27T00:30:00Z", "2024-10-27T00:50:00Z"),
        waarneming(7, "2024-10-27T01:30:00Z", "2024-10-27T01:50:00Z"),
        waarneming(8, "2024-10-26T23:00:00Z", "2024-10-26T23:50:00Z"),  # 01:00-01:50 CEST
    ]
    output = read(write(tmp_path, "w.json", lessons))
    got = {k: (r.datum, r.begintijd, r.eindtijd) for k, r in registrations(output).items()}
    assert got == {
        "1": (D(2024, 10, 25), dt.time(8, 30), dt.time(9, 20)),
        "2": (D(2024, 10, 28), dt.time(8, 30), dt.time(9, 20)),
        "3": (D(2024, 10, 25), dt.time(8, 30), dt.time(9, 20)),
        "4": (D(2024, 10, 28), dt.time(8, 30), dt.time(9, 20)),
        "5": (D(2024, 10, 28), dt.time(8, 30), dt.time(9, 20)),
        "6": (D(2024, 10, 27), dt.time(2, 30), dt.time(2, 50)),
        "7": (D(2024, 10, 27), dt.time(2, 30), dt.time(2, 50)),
        "8": (D(2024, 10, 27), dt.time(1, 0), dt.time(1, 50)),
    }


def test_report_across_the_dst_change_covers_by_real_time(tmp_path: Path) -> None:
    lessons = [waarneming(1, "2024-10-28T08:30:00.000+01:00", "2024-10-28T09:20:00.000+01:00")]
    reports = [melding(100, "2024-10-25T08:00:00.000+02:00", "2024-10-28T09:20:00.000+01:00")]
    output = read(write(tmp_path, "w.json", lessons), write(tmp_path, "a.json", reports))
    assert registrations(output)["1"].categorie is Categorie.ZIEK


def test_detect(tmp_path: Path) -> None:
    adapter = SomtodayAdapter()
    assert adapter.name == "somtoday"
    assert adapter.detect([STUDENTS, FIXTURES / "waarnemingen.json"])
    assert adapter.detect([FIXTURES / "absentiemeldingen.json"])
    assert not adapter.detect([STUDENTS])
    magister = tmp_path / "absenties.json"
    magister.write_text('{"Items": [{"Id": 1, "Verantwoordingtype": 1}]}', encoding="utf-8")
    assert not adapter.detect([STUDENTS, magister])


def test_exactly_one_student_csv_is_required(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="leerlingenbestand"):
        SomtodayAdapter().read(school(), [FIXTURES / "waarnemingen.json"])


def test_pupil_missing_from_the_student_export_is_i_leerling(tmp_path: Path) -> None:
    lessons = [waarneming(1, t("09-09", "08:30"), t("09-09", "09:20"), pupil=999999)]
    export = assemble(read(write(tmp_path, "w.json", lessons)))
    assert [(r.regel, r.bestand, r.leerlingnummer) for r in export.rejections] == [
        ("I-LEERLING", "w.json", "999999")
    ]
    assert export.rejections[0].reden.startswith("$.items[0]: ")


# -- (3) bad input -------------------------------------------------------------------------------


def test_bad_waarnemingen_each_a_precise_rejection() -> None:
    output = read(FIXTURES / "waarnemingen_fouten.json")
    got = [(r.regel, r.veld, r.reden.split(":", 1)[0]) for r in output.rejections]
    assert got == [
        ("I-VERPLICHT", "beginDatumTijd", "$.items[1]"),
        ("I-FORMAAT", "beginDatumTijd", "$.items[2]"),
        ("I-FORMAAT", "beginDatumTijd", "$.items[3]"),
        ("F1", "eindDatumTijd", "$.items[4]"),
        ("I-FORMAAT", "waarnemingSoort", "$.items[5]"),
        ("I-VORM", None, "$.items[6]"),
        ("I-VERPLICHT", "leerling", "$.items[7]"),
        ("I-FORMAAT", "waarnemingSoort", "$.items[8]"),
        ("I-TEKENSET", "opmerking", "$.items[9]"),
        ("I-FORMAAT", "beginDatumTijd", "$.items[10]"),
        ("I-FORMAAT", "beginLesuur", "$.items[12]"),
        ("F1", "eindDatumTijd", "$.items[13]"),
    ]
    assert {r.bestand for r in output.rejections} == {"waarnemingen_fouten.json"}
    assert "'Spijbelen' onbekend" in output.rejections[4].reden
    assert "0xE9" in output.rejections[8].reden
    assert sorted(registrations(output)) == ["2001", "2012"]
    stats = output.stats[1]
    assert (stats.bestand, stats.read, stats.accepted, stats.rejected) == (
        "waarnemingen_fouten.json",
        14,
        2,
        12,
    )


def test_bad_absentiemeldingen_each_a_precise_rejection() -> None:
    output = read(FIXTURES / "waarnemingen_fouten.json", FIXTURES / "absentiemeldingen_fouten.json")
    bad = [r for r in output.rejections if r.bestand == "absentiemeldingen_fouten.json"]
    assert [(r.regel, r.veld, r.reden.split(":", 1)[0]) for r in bad] == [
        ("I-FORMAAT", "absentieReden.absentieSoort", "$.items[1]"),
        ("I-FORMAAT", "absentieReden.geoorloofd", "$.items[2]"),
        ("I-VERPLICHT", "absentieReden", "$.items[3]"),
        ("F1", "eindDatumTijd", "$.items[4]"),
    ]
    # the good report still covers the good Afwezig lesson
    assert registrations(output)["2001"].categorie is Categorie.ZIEK
    assert [(s.read, s.accepted, s.rejected) for s in output.stats[1:]] == [(14, 2, 12), (5, 1, 4)]


@pytest.mark.parametrize(
    ("name", "rule", "text"),
    [("geen_json.json", "I-JSON", "geen geldige JSON"), ("verkeerde_vorm.json", "I-VORM", "items")],
)
def test_file_of_the_wrong_shape_is_refused_and_the_others_are_read(
    name: str, rule: str, text: str
) -> None:
    output = read(FIXTURES / name, FIXTURES / "waarnemingen.json")
    assert [(r.regel, r.bestand) for r in output.rejections] == [(rule, name)]
    assert text in output.rejections[0].reden
    assert len(output.registrations) == 48
    assert [(s.bestand, s.read) for s in output.stats[1:]] == [(name, 0), ("waarnemingen.json", 48)]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"items": {"id": 1}}, "lijst 'items'"),
        ({"data": []}, "lijst 'items'"),
        ({"items": [{"id": 1, "leerling": {}}]}, "geen waarnemingen"),
    ],
)
def test_shapes_without_items(tmp_path: Path, body: object, reason: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    output = read(path)
    assert [r.regel for r in output.rejections] == ["I-VORM"]
    assert reason in output.rejections[0].reden


def test_an_empty_file_is_i_leeg_and_the_others_are_read(tmp_path: Path) -> None:
    empty = tmp_path / "absentiemeldingen.json"
    empty.write_bytes(b"")
    output = read(empty, FIXTURES / "waarnemingen.json")
    assert [(r.regel, r.bestand, r.regelnummer) for r in output.rejections] == [
        ("I-LEEG", "absentiemeldingen.json", None)
    ]
    assert len(output.registrations) == 48
    assert [(s.bestand, s.read) for s in output.stats[1:]] == [
        ("absentiemeldingen.json", 0), ("waarnemingen.json", 48)
    ]  # fmt: skip


def test_reports_follow_their_pupil_and_give_their_reason_to_the_export(tmp_path: Path) -> None:
    """An absentiemelding has no registration of its own: of a pupil not in the student export
    it is a row of a rejected pupil; the reason of a covering report travels along by bron_id."""
    lessons = [waarneming(1, t("09-09", "08:30"), t("09-09", "09:20"))]
    reports = [
        melding(7, t("09-09", "08:00"), t("09-09", "17:00"), afkorting="Z"),
        melding(8, t("09-09", "08:00"), t("09-09", "17:00"), pupil=999999),
    ]
    export = assemble(read(write(tmp_path, "w.json", lessons), write(tmp_path, "a.json", reports)))
    assert [(r.regel, r.bestand, r.leerlingnummer) for r in export.rejections] == [
        ("I-LEERLING", "a.json", "999999")
    ]
    stats = {
        s.bestand: (s.read, s.accepted, s.rejected, s.of_rejected_pupils) for s in export.stats
    }
    assert stats["a.json"] == (2, 1, 0, 1)
    assert export.texts is not None
    assert export.texts.rows() == [(0, "somtoday:waarneming:1", "Z", "z")]


def test_empty_items_and_bom_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "waarnemingen.json"
    path.write_bytes(b'\xef\xbb\xbf{"items": []}')
    output = read(path)
    assert output.rejections == [] and output.registrations == []
    assert output.stats[1].read == 0


def test_more_field_checks(tmp_path: Path) -> None:
    good = waarneming(1, t("09-09", "08:30"), t("09-09", "09:20"))
    nul = {**good, "id": 2, "waarnemingSoort": "Afwezig\x00"}
    long = waarneming(3, t("09-09", "08:00"), t("09-09", "21:00"))
    no_id = {k: v for k, v in good.items() if k != "id"}
    bool_pupil = {**good, "id": 5, "leerling": {"leerlingnummer": True}}
    lesuren = {**good, "id": 6, "beginLesuur": 3, "eindLesuur": 2}
    lowercase = {**good, "id": 7, "waarnemingSoort": "afwezig"}
    path = write(tmp_path, "w.json", [good, nul, long, no_id, bool_pupil, lesuren, lowercase])
    output = read(path)
    assert [(r.regel, r.veld) for r in output.rejections] == [
        ("I-TEKEN", "waarnemingSoort"),
        ("F1", "eindDatumTijd"),
        ("I-VERPLICHT", "id"),
        ("I-FORMAAT", "leerling.leerlingnummer"),
        ("I-FORMAAT", "eindLesuur"),
    ]
    assert sorted(registrations(output)) == ["1", "7"]


def test_bad_byte_in_a_key_names_no_undecodable_field(tmp_path: Path) -> None:
    good = json.dumps(waarneming(1, t("09-09", "08:30"), t("09-09", "09:20")))
    bad = good.replace('"id": 1', '"id": 2, "opm\\u00e9rking": 1').encode()
    path = tmp_path / "w.json"
    path.write_bytes(
        b'{"items": [' + good.encode() + b", " + bad.replace(b"\\u00e9", b"\xe9") + b"]}"
    )
    output = read(path)
    assert [(r.regel, r.veld) for r in output.rejections] == [("I-TEKENSET", "(naam)")]
    assert output.rejections[0].reden.encode("utf-8")
    assert sorted(registrations(output)) == ["1"]


def test_non_json_constants_refuse_the_file(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text('{"items": [{"id": 1, "beginLesuur": NaN}]}', encoding="utf-8")
    output = read(path)
    assert [(r.regel, r.bestand) for r in output.rejections] == [("I-JSON", "w.json")]
    assert "NaN" in output.rejections[0].reden


# -- (4) privacy ---------------------------------------------------------------------------------


def test_no_rejection_or_warning_text_contains_a_bsn(tmp_path: Path) -> None:
    students = tmp_path / "leerlingen.csv"
    students.write_text(
        "leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie\n"
        "231045;111222333;;2010-03-15;N\n231047;111222334;;2010-03-15;N\n",
        encoding="utf-8",
    )
    bsn_everywhere = [
        waarneming(1, "111222333", t("09-09", "09:20")),
        waarneming(2, t("09-09", "08:30"), t("09-09", "09:20"), soort="111222333"),
        {**waarneming(3, t("09-09", "08:30"), t("09-09", "09:20")), "beginLesuur": 111222333},
        waarneming(4, t("09-09", "08:30"), t("09-09", "09:20"), pupil=231047),
    ]
    reports = [melding(5, t("09-09", "08:00"), t("09-09", "12:00"), afkorting="111222333")]
    output = SomtodayAdapter().read(
        school(),
        [
            students,
            write(tmp_path, "w.json", bsn_everywhere),
            write(tmp_path, "a.json", reports),
            FIXTURES / "waarnemingen_fouten.json",
        ],
    )
    export = assemble(output)
    assert {r.regel for r in export.rejections} >= {"I-FORMAAT", "V01"}
    texts = [r.reden for r in export.rejections] + [w.reden for w in export.warnings]
    assert texts
    for text in texts:
        assert not any(bsn in text for bsn in (*BSNS, "111222334")), text
