"""The canonical readers (DOMAIN.md 5): ``leerlingen.csv`` and ``lesregistraties.csv``.

Every test writes real files into ``tmp_path`` and reads them with ``read_export``. The helper
``read`` also checks two things that must hold for every input: the row accounting of each file
(read = accepted + rejected + of rejected pupils) and that no rejection or warning repeats a BSN or
onderwijsnummer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from builders import school
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import onderwijsnummer as stdnum_onderwijsnummer

from adapters import textio
from adapters.canonical import CanonicalExport, read_export
from adapters.textio import read_chunks
from gateway.errors import InputError
from gateway.model import Categorie, Rejection, SchoolConfig, Warning

BSN = "111222333"
BSN_2 = "123456782"
BAD_BSN = "123456789"  # fails the 11-check
ONDERWIJSNUMMER = "100000004"
BAD_ONDERWIJSNUMMER = "100000005"
IDENTITY_VALUES = (BSN, BSN_2, BAD_BSN, ONDERWIJSNUMMER, BAD_ONDERWIJSNUMMER)

STUDENT_HEADER = "leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie"
REG_HEADER = (
    "brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;lesuur;begintijd;eindtijd;"
    "status;redencode;reden;geoorloofd;bron_id"
)
REG_COLUMNS = tuple(REG_HEADER.split(";"))
REG_DEFAULTS = {
    "brin": "99XX",
    "vestiging": "00",
    "leerlingnummer": "1001",
    "bsn": "",
    "onderwijsnummer": "",
    "datum": "2024-09-02",
    "lesuur": "1",
    "begintijd": "08:30",
    "eindtijd": "09:20",
    "status": "AFWEZIG",
    "redencode": "",
    "reden": "",
    "geoorloofd": "N",
    "bron_id": "",  # rows with the same bron_id count once (issue 5): tests that want one say so
}
STUDENTS = f"{STUDENT_HEADER}\n1001;{BSN};;2010-03-15;N\n1002;{BSN_2};;2011-05-01;N\n"


def test_fixed_identity_values_are_what_the_tests_assume() -> None:
    assert stdnum_bsn.is_valid(BSN) and stdnum_bsn.is_valid(BSN_2)
    assert not stdnum_bsn.is_valid(BAD_BSN)
    assert stdnum_onderwijsnummer.is_valid(ONDERWIJSNUMMER)
    assert not stdnum_onderwijsnummer.is_valid(BAD_ONDERWIJSNUMMER)


def reg(**values: str) -> str:
    """One lesregistraties line in header order; unnamed fields take ``REG_DEFAULTS``."""
    unknown = set(values) - set(REG_COLUMNS)
    assert not unknown, unknown
    return ";".join(values.get(column, REG_DEFAULTS[column]) for column in REG_COLUMNS)


def registrations(*lines: str, header: str = REG_HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def check_invariants(export: CanonicalExport) -> None:
    """Row accounting per file, and no identity number in any rejection or warning."""
    for stats in export.stats:
        assert stats.read == stats.accepted + stats.rejected + stats.of_rejected_pupils, stats
        assert min(stats.read, stats.accepted, stats.rejected, stats.of_rejected_pupils) >= 0
    for item in [*export.rejections, *export.warnings]:
        text = repr(item)
        for value in IDENTITY_VALUES:
            assert value not in text, item


def read(
    tmp_path: Path,
    lesregistraties: str | bytes,
    leerlingen: str | bytes = STUDENTS,
    config: SchoolConfig | None = None,
) -> CanonicalExport:
    students_path = write(tmp_path / "leerlingen.csv", leerlingen)
    registrations_path = write(tmp_path / "lesregistraties.csv", lesregistraties)
    export = read_export(config or school(), students_path, [registrations_path])
    check_invariants(export)
    return export


def stats_of(export: CanonicalExport, name: str) -> tuple[int, int, int, int]:
    (stats,) = [s for s in export.stats if s.bestand == name]
    return (stats.read, stats.accepted, stats.rejected, stats.of_rejected_pupils)


def reg_stats(export: CanonicalExport) -> tuple[int, int, int, int]:
    return stats_of(export, "lesregistraties.csv")


def where(
    items: Sequence[Rejection | Warning],
) -> list[tuple[str, str | None, int | None, str | None]]:
    """(rule, file, line, field) of each rejection or warning, in order."""
    return [(item.regel, item.bestand, item.regelnummer, item.veld) for item in items]


def only_rejection(export: CanonicalExport) -> Rejection:
    assert len(export.rejections) == 1, export.rejections
    return export.rejections[0]


def column(export: CanonicalExport, name: str) -> list[Any]:
    return export.registrations.get_column(name).to_list()


# -- encodings and line endings -----------------------------------------------------------------


def test_a_clean_utf8_file_is_read_completely(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(), reg(leerlingnummer="1002", lesuur="2")))

    assert export.rejections == [] and export.warnings == []
    assert reg_stats(export) == (2, 2, 0, 0)
    assert stats_of(export, "leerlingen.csv") == (2, 2, 0, 0)
    assert column(export, "leerlingnummer") == ["1001", "1002"]
    assert column(export, "datum") == [dt.date(2024, 9, 2)] * 2
    assert column(export, "begin") == [8 * 60 + 30] * 2
    assert column(export, "eind") == [9 * 60 + 20] * 2
    assert column(export, "lesuur") == [1, 2]
    assert set(export.students) == {"1001", "1002"}
    assert export.students["1001"].bsn == BSN
    assert export.students["1001"].geboortedatum == dt.date(2010, 3, 15)


def test_utf8_with_bom_reads_the_first_column_name(tmp_path: Path) -> None:
    text = registrations(reg(reden="ziek, gemeld door moeder"))
    export = read(tmp_path, b"\xef\xbb\xbf" + text.encode(), b"\xef\xbb\xbf" + STUDENTS.encode())

    assert export.rejections == [] and export.warnings == []
    assert reg_stats(export) == (1, 1, 0, 0)
    assert [s.encoding for s in export.stats] == ["utf-8", "utf-8"]


def test_crlf_line_endings_leave_no_carriage_return_in_the_last_field(tmp_path: Path) -> None:
    text = registrations(reg(geoorloofd="J"), reg(lesuur="2", geoorloofd="N")).replace("\n", "\r\n")
    export = read(tmp_path, text, STUDENTS.replace("\n", "\r\n"))

    assert export.rejections == []
    assert column(export, "geoorloofd") == ["J", "N"]
    assert reg_stats(export) == (2, 2, 0, 0)


def test_windows_1252_file_is_detected_read_and_warned(tmp_path: Path) -> None:
    text = registrations(reg(reden="ziek, café-bezoek"), reg(lesuur="2", reden="ruzie €"))
    export = read(tmp_path, text.encode("cp1252"))

    assert export.rejections == []
    assert reg_stats(export) == (2, 2, 0, 0)
    assert [s.encoding for s in export.stats if s.bestand == "lesregistraties.csv"] == [
        "windows-1252"
    ]
    assert where(export.warnings) == [("W-TEKENSET", "lesregistraties.csv", None, None)]


def test_utf8_file_is_not_warned_about_its_encoding(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(reden="café")))

    assert [w.regel for w in export.warnings] == []


def test_one_line_with_invalid_utf8_is_rejected_and_the_others_are_kept(tmp_path: Path) -> None:
    good = registrations(reg(reden="café"), reg(lesuur="2"), reg(lesuur="3")).encode()
    lines = good.split(b"\n")
    lines[2] = lines[2].replace(b"AFWEZIG", b"AFW\xffEZIG")  # line 3 of the file
    export = read(tmp_path, b"\n".join(lines))

    rejection = only_rejection(export)
    assert (rejection.regel, rejection.bestand, rejection.regelnummer) == (
        "I-TEKENSET",
        "lesregistraties.csv",
        3,
    )
    assert "0xff" in rejection.reden
    assert column(export, "lesuur") == [1, 3]
    assert reg_stats(export) == (3, 2, 1, 0)
    assert "W-TEKENSET" not in [w.regel for w in export.warnings]


def test_invalid_utf8_in_leerlingen_rejects_that_pupil_only(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n1001;{BSN};;2010-03-15;N\n1002;{BSN_2};;2011-05-01;N\n"
    students += "lln-ë;;;2011-05-01;N\n"  # a UTF-8 character: the file is UTF-8
    data = students.encode().replace(b"2011-05-01;N\nlln", b"2011-05-01;N\xff\nlln")
    export = read(tmp_path, registrations(reg()), data)

    assert where(export.rejections) == [
        ("I-TEKENSET", "leerlingen.csv", 3, None),
        ("V01", "leerlingen.csv", 4, "bsn"),
    ]
    assert stats_of(export, "leerlingen.csv") == (3, 2, 1, 0)
    assert set(export.students) == {"1001"}
    assert [w.regel for w in export.warnings] == []


def test_an_ascii_file_with_one_high_byte_is_read_as_windows_1252(tmp_path: Path) -> None:
    """No UTF-8 character at all: the byte is read as Windows-1252 (here: 'é') and warned."""
    data = registrations(reg(reden="caf\x00"), reg(lesuur="2")).encode().replace(b"\x00", b"\xe9")
    export = read(tmp_path, data)

    assert export.rejections == []
    assert reg_stats(export) == (2, 2, 0, 0)
    assert [w.regel for w in export.warnings] == ["W-TEKENSET"]


def test_a_windows_1252_students_file_is_warned(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n1001;{BSN};;2010-03-15;N\nlln-é;{BSN_2};;2011-05-01;N\n"
    export = read(tmp_path, registrations(reg()), students.encode("cp1252"))

    assert export.rejections == []
    assert set(export.students) == {"1001", "lln-é"}
    assert where(export.warnings) == [("W-TEKENSET", "leerlingen.csv", None, None)]


# -- header -------------------------------------------------------------------------------------


def test_header_columns_may_come_in_any_order_and_optional_ones_may_be_missing(
    tmp_path: Path,
) -> None:
    text = (
        "status;eindtijd;begintijd;datum;leerlingnummer;geoorloofd\n"
        "AFWEZIG;10:10;09:20;2024-09-03;1002;J\n"
        "te_laat;09:20;08:30;2024-09-04;1001;\n"
    )
    export = read(tmp_path, text)

    assert export.rejections == []
    frame = export.registrations.sort("leerlingnummer")
    assert frame.get_column("leerlingnummer").to_list() == ["1001", "1002"]
    assert frame.get_column("datum").to_list() == [dt.date(2024, 9, 4), dt.date(2024, 9, 3)]
    assert frame.get_column("begin").to_list() == [510, 560]
    assert frame.get_column("status").to_list() == ["TE_LAAT", "AFWEZIG"]
    assert frame.get_column("geoorloofd").to_list() == ["", "J"]
    assert frame.get_column("lesuur").to_list() == [None, None]


def test_header_names_are_matched_without_case_or_surrounding_spaces(tmp_path: Path) -> None:
    header = REG_HEADER.upper().replace(";DATUM;", "; Datum ;")
    export = read(tmp_path, registrations(reg(), header=header))

    assert export.rejections == []
    assert reg_stats(export) == (1, 1, 0, 0)


@pytest.mark.parametrize("missing", ["leerlingnummer", "datum", "begintijd", "eindtijd", "status"])
def test_a_missing_required_registration_column_is_an_input_error_naming_it(
    tmp_path: Path, missing: str
) -> None:
    header = ";".join(c for c in REG_COLUMNS if c != missing)
    line = ";".join(REG_DEFAULTS[c] for c in REG_COLUMNS if c != missing)
    with pytest.raises(InputError) as caught:
        read(tmp_path, f"{header}\n{line}\n")

    message = str(caught.value)
    assert "lesregistraties.csv" in message and missing in message and "I-KOP" in message


@pytest.mark.parametrize("missing", ["leerlingnummer", "geboortedatum"])
def test_a_missing_required_student_column_is_an_input_error_naming_it(
    tmp_path: Path, missing: str
) -> None:
    header = ";".join(c for c in STUDENT_HEADER.split(";") if c != missing)
    with pytest.raises(InputError) as caught:
        read(tmp_path, registrations(reg()), f"{header}\n")

    message = str(caught.value)
    assert "leerlingen.csv" in message and missing in message


def test_a_column_named_twice_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="datum"):
        read(tmp_path, registrations(header=REG_HEADER + ";datum"))


@pytest.mark.parametrize("content", ["", b"\xef\xbb\xbf"], ids=["empty", "bom"])
def test_an_empty_registrations_file_is_i_leeg_and_the_read_goes_on(
    tmp_path: Path, content: str | bytes
) -> None:
    """Issue 5: a batch with bad input finishes (exit 0); only a wrong header refuses it."""
    export = read(tmp_path, content)

    assert where(export.rejections) == [("I-LEEG", "lesregistraties.csv", None, None)]
    assert "bestand is leeg" in export.rejections[0].reden
    assert reg_stats(export) == (0, 0, 0, 0)


def test_a_file_with_only_a_blank_line_has_no_header(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"lesregistraties\.csv, regel 1: .*ontbreken.*I-KOP"):
        read(tmp_path, "\n")


def test_an_empty_students_file_is_i_leeg_and_every_pupil_unknown(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg()), "")

    assert where(export.rejections) == [
        ("I-LEEG", "leerlingen.csv", None, None),
        ("I-LEERLING", "lesregistraties.csv", 2, "leerlingnummer"),
    ]
    assert reg_stats(export) == (1, 0, 0, 1)


def test_a_header_only_registrations_file_gives_no_rows_and_i_leeg(tmp_path: Path) -> None:
    export = read(tmp_path, REG_HEADER + "\n")

    assert export.registrations.height == 0
    assert where(export.rejections) == [("I-LEEG", "lesregistraties.csv", None, None)]
    assert "alleen een kopregel" in export.rejections[0].reden
    assert reg_stats(export) == (0, 0, 0, 0)
    assert export.registrations.schema == read(tmp_path, registrations(reg())).registrations.schema


def test_a_header_only_file_without_newline_gives_no_rows(tmp_path: Path) -> None:
    export = read(tmp_path, REG_HEADER)

    assert export.registrations.height == 0
    assert reg_stats(export) == (0, 0, 0, 0)


def test_a_header_only_students_file_makes_every_pupil_unknown(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg()), STUDENT_HEADER + "\n")

    assert where(export.rejections) == [
        ("I-LEEG", "leerlingen.csv", None, None),
        ("I-LEERLING", "lesregistraties.csv", 2, "leerlingnummer"),
    ]
    assert stats_of(export, "leerlingen.csv") == (0, 0, 0, 0)
    assert reg_stats(export) == (1, 0, 0, 1)


# -- row structure ------------------------------------------------------------------------------


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file(tmp_path: Path) -> None:
    text = "\n".join([REG_HEADER, "", reg(), "   ", reg(lesuur="2", datum="2024-02-30"), ""]) + "\n"
    export = read(tmp_path, text)

    assert where(export.rejections) == [("I-FORMAAT", "lesregistraties.csv", 5, "datum")]
    assert reg_stats(export) == (2, 1, 1, 0)


def test_blank_lines_in_leerlingen_are_skipped(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n\n1001;{BSN};;2010-03-15;N\n\n"
    export = read(tmp_path, registrations(reg()), students)

    assert export.rejections == []
    assert stats_of(export, "leerlingen.csv") == (1, 1, 0, 0)


@pytest.mark.parametrize(
    ("line", "found"),
    [
        (reg() + ";extra", 15),
        (reg().rsplit(";", 1)[0], 13),
        ("1001", 1),
    ],
    ids=["too-many", "too-few", "one"],
)
def test_a_wrong_field_count_is_rejected(tmp_path: Path, line: str, found: int) -> None:
    export = read(tmp_path, registrations(reg(), line))

    rejection = only_rejection(export)
    assert (rejection.regel, rejection.regelnummer) == ("I-VELDEN", 3)
    assert f"verwacht 14 velden, gevonden {found}" in rejection.reden
    assert reg_stats(export) == (2, 1, 1, 0)


def test_a_quoted_field_may_hold_the_separator(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(reden='"ziek; koorts"', bron_id='"a;b"')))

    assert export.rejections == []
    assert reg_stats(export) == (1, 1, 0, 0)
    assert column(export, "status") == ["AFWEZIG"]


def test_a_quoted_field_does_not_hide_errors_in_other_fields(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(reden='"ziek; koorts"', status="WEG")))

    assert where(export.rejections) == [("I-FORMAAT", "lesregistraties.csv", 2, "status")]


def test_an_unbalanced_quote_rejects_the_line_only(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(reden='"ziek'), reg(lesuur="2")))

    rejection = only_rejection(export)
    assert (rejection.regel, rejection.regelnummer) == ("I-VELDEN", 2)
    assert column(export, "lesuur") == [2]
    assert reg_stats(export) == (2, 1, 1, 0)


def test_a_nul_byte_rejects_the_line(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(reden="zi\x00ek"), reg(lesuur="2")))

    assert where(export.rejections) == [("I-TEKEN", "lesregistraties.csv", 2, None)]
    assert column(export, "lesuur") == [2]
    assert reg_stats(export) == (2, 1, 1, 0)


def test_a_nul_byte_in_leerlingen_rejects_that_pupil_row(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n1001;{BSN};;2010-03-15;N\n1002;{BSN_2};;2011-05-01;N\x00\n"
    export = read(tmp_path, registrations(reg()), students)

    assert where(export.rejections) == [("I-TEKEN", "leerlingen.csv", 3, None)]
    assert stats_of(export, "leerlingen.csv") == (2, 1, 1, 0)


# -- field checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "rule", "field"),
    [
        ({"datum": "2024-02-30"}, "I-FORMAAT", "datum"),
        ({"datum": "2024-9-1"}, "I-FORMAAT", "datum"),
        ({"datum": "02-09-2024"}, "I-FORMAAT", "datum"),
        ({"datum": ""}, "I-FORMAAT", "datum"),
        ({"begintijd": "25:00"}, "I-FORMAAT", "begintijd"),
        ({"begintijd": "9:5"}, "I-FORMAAT", "begintijd"),
        ({"begintijd": ""}, "I-FORMAAT", "begintijd"),
        ({"eindtijd": "09:60"}, "I-FORMAAT", "eindtijd"),
        ({"eindtijd": ""}, "I-FORMAAT", "eindtijd"),
        ({"begintijd": "09:20", "eindtijd": "08:30"}, "F1", "eindtijd"),
        ({"begintijd": "09:20", "eindtijd": "09:20"}, "F1", "eindtijd"),
        ({"begintijd": "08:00", "eindtijd": "20:01"}, "F1", "eindtijd"),
        ({"status": "WEG"}, "I-FORMAAT", "status"),
        ({"status": ""}, "I-FORMAAT", "status"),
        ({"geoorloofd": "ja"}, "I-FORMAAT", "geoorloofd"),
        ({"geoorloofd": "X"}, "I-FORMAAT", "geoorloofd"),
        ({"lesuur": "0"}, "I-FORMAAT", "lesuur"),
        ({"lesuur": "13"}, "I-FORMAAT", "lesuur"),
        ({"lesuur": "x"}, "I-FORMAAT", "lesuur"),
        ({"lesuur": "1.5"}, "I-FORMAAT", "lesuur"),
        ({"brin": "12AB"}, "V13", "brin"),
        ({"leerlingnummer": ""}, "I-VERPLICHT", "leerlingnummer"),
        ({"leerlingnummer": "x" * 33}, "I-FORMAAT", "leerlingnummer"),
    ],
    ids=lambda value: (
        "-".join(f"{k}={v[:12]}" for k, v in value.items()) if isinstance(value, dict) else None
    ),
)
def test_a_bad_field_rejects_its_row_with_rule_and_field(
    tmp_path: Path, values: dict[str, str], rule: str, field: str
) -> None:
    export = read(tmp_path, registrations(reg(lesuur="2"), reg(**values)))

    rejection = only_rejection(export)
    assert (rejection.regel, rejection.bestand, rejection.regelnummer, rejection.veld) == (
        rule,
        "lesregistraties.csv",
        3,
        field,
    )
    assert rejection.reden
    assert column(export, "lesuur") == [2]
    assert reg_stats(export) == (2, 1, 1, 0)


def test_f1_accepts_one_to_720_minutes(tmp_path: Path) -> None:
    export = read(
        tmp_path,
        registrations(
            reg(begintijd="08:00", eindtijd="08:01"),
            reg(begintijd="08:00", eindtijd="20:00", lesuur=""),
        ),
    )

    assert export.rejections == []
    begins, ends = column(export, "begin"), column(export, "eind")
    assert [end - begin for begin, end in zip(begins, ends, strict=True)] == [1, 720]


def test_f1_reasons_say_what_is_wrong(tmp_path: Path) -> None:
    export = read(
        tmp_path,
        registrations(
            reg(begintijd="09:20", eindtijd="08:30"), reg(begintijd="07:00", eindtijd="19:30")
        ),
    )

    backwards, too_long = export.rejections
    assert "eindtijd ligt niet na de begintijd" in backwards.reden
    assert "750 minuten" in too_long.reden and "720" in too_long.reden


def test_a_reason_quotes_the_bad_value(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(datum="2024-9-1")))

    assert "'2024-9-1'" in only_rejection(export).reden


def test_only_the_first_problem_of_a_row_is_reported(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(datum="2024-02-30", status="WEG", lesuur="13")))

    assert where(export.rejections) == [("I-FORMAAT", "lesregistraties.csv", 2, "datum")]


def test_lowercase_status_and_geoorloofd_are_accepted(tmp_path: Path) -> None:
    export = read(
        tmp_path,
        registrations(
            reg(status="afwezig", geoorloofd="j"),
            reg(lesuur="2", status="Te_Laat", geoorloofd="n"),
            reg(lesuur="3", status=" verwijderd ", geoorloofd=" "),
        ),
    )

    assert export.rejections == []
    assert column(export, "status") == ["AFWEZIG", "TE_LAAT", "VERWIJDERD"]
    assert column(export, "geoorloofd") == ["J", "N", ""]


def test_every_status_is_accepted(tmp_path: Path) -> None:
    statuses = ["AFWEZIG", "TE_LAAT", "VERWIJDERD", "AANWEZIG", "NVT"]
    lines = [reg(status=s, lesuur=str(n)) for n, s in enumerate(statuses, start=1)]
    export = read(tmp_path, registrations(*lines))

    assert export.rejections == []
    assert column(export, "status") == statuses


def test_empty_brin_and_lesuur_are_allowed(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(brin="", lesuur="")))

    assert export.rejections == []
    assert column(export, "lesuur") == [None]


def test_another_schools_brin_is_rejected_without_repeating_other_fields(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(brin="12AB", bsn=BSN)))

    rejection = only_rejection(export)
    assert rejection.regel == "V13"
    assert "12AB" in rejection.reden and "99XX" in rejection.reden
    assert rejection.leerlingnummer == "1001"


# -- reason codes -------------------------------------------------------------------------------


def test_a_reason_code_is_mapped_to_its_categorie(tmp_path: Path) -> None:
    config = school()
    assert config.categorie("VZV") is Categorie.LUXE and config.categorie("Z") is Categorie.ZIEK
    export = read(
        tmp_path,
        registrations(reg(redencode="VZV"), reg(lesuur="2", redencode="Z"), reg(lesuur="3")),
        config=config,
    )

    assert export.warnings == []
    assert column(export, "categorie") == ["LUXE", "ZIEK", ""]


def test_an_unknown_reason_code_is_warned_once_and_its_rows_kept_without_categorie(
    tmp_path: Path,
) -> None:
    export = read(
        tmp_path,
        registrations(
            reg(redencode="Z"),
            reg(lesuur="2", redencode="QQ"),
            reg(lesuur="3", redencode="QQ"),
            reg(lesuur="4", redencode="XY"),
        ),
    )

    assert export.rejections == []
    assert column(export, "categorie") == ["ZIEK", "", "", ""]
    assert where(export.warnings) == [
        ("W-REDENCODE", "lesregistraties.csv", 3, "redencode"),
        ("W-REDENCODE", "lesregistraties.csv", 5, "redencode"),
    ]
    assert "'QQ'" in export.warnings[0].reden and "2 registraties" in export.warnings[0].reden
    assert reg_stats(export) == (4, 4, 0, 0)


# -- identity (V01) and pupils ------------------------------------------------------------------


def test_identity_may_come_from_the_registrations(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n1001;;;2010-03-15;N\n"
    export = read(tmp_path, registrations(reg(bsn=""), reg(lesuur="2", bsn=BSN)), students)

    assert export.rejections == []
    assert export.students["1001"].bsn == BSN
    assert reg_stats(export) == (2, 2, 0, 0)


def test_an_onderwijsnummer_from_the_registrations_identifies_the_pupil(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n1001;;;2010-03-15;N\n"
    export = read(tmp_path, registrations(reg(onderwijsnummer=ONDERWIJSNUMMER)), students)

    assert export.rejections == []
    assert export.students["1001"].onderwijsnummer == ONDERWIJSNUMMER


def test_a_valid_onderwijsnummer_instead_of_a_bsn_is_accepted(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n1001;;{ONDERWIJSNUMMER};2010-03-15;N\n"
    export = read(tmp_path, registrations(reg()), students)

    assert export.rejections == []
    student = export.students["1001"]
    assert (student.bsn, student.onderwijsnummer) == ("", ONDERWIJSNUMMER)
    assert reg_stats(export) == (1, 1, 0, 0)


def test_an_invalid_bsn_with_a_valid_onderwijsnummer_is_accepted(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n1001;{BAD_BSN};{ONDERWIJSNUMMER};2010-03-15;N\n"
    export = read(tmp_path, registrations(reg()), students)

    assert export.rejections == []
    assert set(export.students) == {"1001"}


def test_v01_rejects_the_pupil_and_removes_its_registrations(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n1001;{BSN};;2010-03-15;N\n1002;{BAD_BSN};;2011-05-01;N\n"
    text = registrations(
        reg(),
        reg(leerlingnummer="1002"),
        reg(leerlingnummer="1002", lesuur="2"),
        reg(leerlingnummer="1002", lesuur="3", datum="2024-02-30"),
    )
    export = read(tmp_path, text, students)

    assert where(export.rejections) == [
        ("I-FORMAAT", "lesregistraties.csv", 5, "datum"),
        ("V01", "leerlingen.csv", 3, "bsn"),
    ]
    v01 = export.rejections[1]
    assert v01.leerlingnummer == "1002"
    assert "2 registraties" in v01.reden
    assert set(export.students) == {"1001"}
    assert column(export, "leerlingnummer") == ["1001"]
    assert reg_stats(export) == (4, 1, 1, 2)


def test_v01_for_an_identity_from_the_registrations_points_at_that_file(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n1001;;;2010-03-15;N\n"
    text = registrations(reg(datum="2024-9-1"), reg(bsn=BAD_BSN), reg(lesuur="2"))
    export = read(tmp_path, text, students)

    assert where(export.rejections) == [
        ("I-FORMAAT", "lesregistraties.csv", 2, "datum"),
        ("V01", "lesregistraties.csv", 3, "bsn"),
    ]
    assert reg_stats(export) == (3, 0, 1, 2)


@pytest.mark.parametrize(
    ("bsn", "onderwijsnummer", "text"),
    [(BAD_BSN, "", "elfproef"), ("", BAD_ONDERWIJSNUMMER, "onderwijsnummer is ongeldig"),
     (BAD_BSN, BAD_ONDERWIJSNUMMER, "ook ongeldig"), ("12345678", "", "elfproef"),
     (BSN + "0", "", "elfproef"), (" " + BSN[:8], "", "elfproef")],
    ids=["bad-bsn", "bad-onderwijsnummer", "both-bad", "eight-digits", "ten-digits", "blank"],
)  # fmt: skip
def test_v01_without_a_valid_number(
    tmp_path: Path, bsn: str, onderwijsnummer: str, text: str
) -> None:
    students = f"{STUDENT_HEADER}\n1001;{bsn};{onderwijsnummer};2010-03-15;N\n"
    export = read(tmp_path, registrations(reg(), reg(lesuur="2")), students)

    rejection = only_rejection(export)
    assert (rejection.regel, rejection.bestand, rejection.regelnummer, rejection.veld) == (
        "V01",
        "leerlingen.csv",
        2,
        "bsn",
    )
    assert text in rejection.reden
    assert export.registrations.height == 0
    assert reg_stats(export) == (2, 0, 0, 2)
    for value in (bsn, onderwijsnummer):
        if value:
            assert value not in rejection.reden


def test_v01_without_any_number_points_at_the_first_registration(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n1001;;;2010-03-15;N\n"
    export = read(tmp_path, registrations(reg(), reg(lesuur="2")), students)

    assert where(export.rejections) == [("V01", "lesregistraties.csv", 2, "bsn")]
    assert "geen BSN en geen onderwijsnummer" in export.rejections[0].reden
    assert reg_stats(export) == (2, 0, 0, 2)


def test_a_pupil_without_registrations_and_without_identity_is_still_reported(
    tmp_path: Path,
) -> None:
    students = f"{STUDENT_HEADER}\n1001;{BSN};;2010-03-15;N\n1003;;;2010-01-01;N\n"
    export = read(tmp_path, registrations(reg()), students)

    assert where(export.rejections) == [("V01", "leerlingen.csv", 3, "bsn")]
    assert "0 registraties" in export.rejections[0].reden


def test_a_pupil_missing_from_leerlingen_is_rejected_with_its_registrations(
    tmp_path: Path,
) -> None:
    text = registrations(
        reg(), reg(leerlingnummer="9999", bsn=BSN_2), reg(leerlingnummer="9999", lesuur="2")
    )
    export = read(tmp_path, text)

    rejection = only_rejection(export)
    assert (rejection.regel, rejection.bestand, rejection.regelnummer, rejection.veld) == (
        "I-LEERLING",
        "lesregistraties.csv",
        3,
        "leerlingnummer",
    )
    assert rejection.leerlingnummer == "9999"
    assert "2 registraties" in rejection.reden
    assert column(export, "leerlingnummer") == ["1001"]
    assert reg_stats(export) == (3, 1, 0, 2)


def test_a_conflicting_bsn_in_the_registrations_is_warned_and_leerlingen_wins(
    tmp_path: Path,
) -> None:
    export = read(tmp_path, registrations(reg(bsn=BSN_2)))

    assert export.rejections == []
    assert [w.regel for w in export.warnings] == ["W-IDENTITEIT"]
    assert export.students["1001"].bsn == BSN


def test_a_duplicate_leerlingnummer_keeps_the_first_row(tmp_path: Path) -> None:
    students = (
        f"{STUDENT_HEADER}\n1001;{BSN};;2010-03-15;N\n1002;{BSN_2};;2011-05-01;N\n"
        f"1001;{BSN_2};;2012-01-01;J\n"
    )
    export = read(tmp_path, registrations(reg()), students)

    rejection = only_rejection(export)
    assert (rejection.regel, rejection.bestand, rejection.regelnummer, rejection.veld) == (
        "I-DUBBEL",
        "leerlingen.csv",
        4,
        "leerlingnummer",
    )
    assert "regel 2" in rejection.reden
    assert export.students["1001"].geboortedatum == dt.date(2010, 3, 15)
    assert export.students["1001"].bsn == BSN
    assert stats_of(export, "leerlingen.csv") == (3, 2, 1, 0)


@pytest.mark.parametrize(
    ("line", "rule", "field"),
    [
        ("1003;{bsn};;2010-02-30;N", "I-FORMAAT", "geboortedatum"),
        ("1003;{bsn};;2010-3-5;N", "I-FORMAAT", "geboortedatum"),
        ("1003;{bsn};;;N", "I-FORMAAT", "geboortedatum"),
        ("1003;{bsn};;2010-03-15;ja", "I-FORMAAT", "startkwalificatie"),
        (";{bsn};;2010-03-15;N", "I-VERPLICHT", "leerlingnummer"),
        ("1003;{bsn};;2010-03-15", "I-VELDEN", None),
    ],
)
def test_a_bad_student_row_is_rejected_with_rule_and_field(
    tmp_path: Path, line: str, rule: str, field: str | None
) -> None:
    students = STUDENTS + line.format(bsn=BSN) + "\n"
    export = read(tmp_path, registrations(reg()), students)

    assert where(export.rejections) == [(rule, "leerlingen.csv", 4, field)]
    assert stats_of(export, "leerlingen.csv") == (3, 2, 1, 0)


def test_startkwalificatie_is_read_as_a_boolean(tmp_path: Path) -> None:
    students = f"{STUDENT_HEADER}\n1001;{BSN};;2005-03-15;j\n1002;{BSN_2};;2011-05-01;\n"
    export = read(tmp_path, registrations(reg()), students)

    assert export.students["1001"].startkwalificatie is True
    assert export.students["1002"].startkwalificatie is False


def test_no_rejection_or_warning_contains_an_identity_number(tmp_path: Path) -> None:
    """Every path that names an identity problem, in one file, without the numbers in the text."""
    students = (
        f"{STUDENT_HEADER}\n1001;{BAD_BSN};{BAD_ONDERWIJSNUMMER};2010-03-15;N\n"
        f"1002;{BSN};;2011-05-01;N\n1003;;;2011-05-01;N\n1002;{BSN_2};;2011-05-01;N\n"
        f"1004;{BSN};;2011-5-1;N\n"
    )
    text = registrations(
        reg(bsn=BAD_BSN, onderwijsnummer=BAD_ONDERWIJSNUMMER),
        reg(leerlingnummer="1002", bsn=BSN_2),
        reg(leerlingnummer="1003", bsn=BAD_BSN),
        reg(leerlingnummer="1005", bsn=BSN, onderwijsnummer=ONDERWIJSNUMMER),
        reg(leerlingnummer="1002", bsn=BSN, datum="2024-02-30"),
        reg(leerlingnummer="1002", bsn=BSN, brin="12AB"),
    )
    export = read(tmp_path, text, students)  # read() checks the texts

    rules = sorted(r.regel for r in export.rejections)
    assert rules == ["I-DUBBEL", "I-FORMAAT", "I-FORMAAT", "I-LEERLING", "V01", "V01", "V13"]
    assert [w.regel for w in export.warnings] == ["W-IDENTITEIT"]


# -- several files and chunks -------------------------------------------------------------------


def test_several_registration_files_are_counted_per_file(tmp_path: Path) -> None:
    students_path = write(tmp_path / "leerlingen.csv", STUDENTS)
    first = write(tmp_path / "week1.csv", registrations(reg(), reg(leerlingnummer="9999")))
    second = write(tmp_path / "week2.csv", registrations(reg(datum="2024-09-09"), reg(datum="x")))
    export = read_export(school(), students_path, [first, second])
    check_invariants(export)

    assert stats_of(export, "week1.csv") == (2, 1, 0, 1)
    assert stats_of(export, "week2.csv") == (2, 1, 1, 0)
    assert where(export.rejections) == [
        ("I-FORMAAT", "week2.csv", 3, "datum"),
        ("I-LEERLING", "week1.csv", 3, "leerlingnummer"),
    ]
    volgorde = column(export, "volgorde")
    assert volgorde == sorted(volgorde)  # input order across files (F1: the later row wins)


@pytest.mark.parametrize(
    ("sample", "encoding"),
    [
        (b"ascii;only\n", "utf-8"),
        ("café;één\n".encode(), "utf-8"),
        ("café;één\n".encode("cp1252"), "windows-1252"),
        ("ziek €\n".encode("cp1252"), "windows-1252"),
        ("café\n".encode() + b"zi\xebk\n", "utf-8"),
        ("café\n".encode() + b"zi\xebk\nm\xe9disch\n", "windows-1252"),
        (b"abc;" + "€".encode()[:2], "utf-8"),
        (b"\xef\xbb\xbfcaf\xe9", "utf-8"),
    ],
    ids=["ascii", "utf8", "cp1252", "cp1252-euro", "utf8-one-bad", "mostly-bad", "cut", "bom"],
)
def test_detect_encoding(sample: bytes, encoding: str) -> None:
    assert textio.detect_encoding(sample) == encoding


def test_read_chunks_numbers_lines_across_small_chunks(tmp_path: Path) -> None:
    lines = [f"regel {n};{'x' * (n % 7)}" for n in range(1, 41)]
    path = write(tmp_path / "f.csv", "\r\n".join(lines) + "\r\n")
    encoding, chunks = read_chunks(path, chunk_bytes=64)
    collected = list(chunks)

    assert encoding == "utf-8"
    assert len(collected) > 5
    numbered: dict[int, str] = {}
    for chunk in collected:
        for offset, line in enumerate(chunk.lines):
            numbered[chunk.first_line + offset] = line
    assert [numbered[n] for n in range(1, 41)] == lines


def test_read_chunks_handles_a_line_longer_than_a_chunk(tmp_path: Path) -> None:
    lines = ["kort", "lang" * 50, "na", "lang" * 40 + "é", "eind"]
    path = write(tmp_path / "f.csv", "\n".join(lines))  # no final newline
    _, chunks = read_chunks(path, chunk_bytes=64)
    numbered = {c.first_line + i: line for c in chunks for i, line in enumerate(c.lines)}

    assert [numbered[n] for n in range(1, 6)] == lines


def test_read_chunks_reports_the_right_line_of_a_bad_byte_in_a_later_chunk(tmp_path: Path) -> None:
    lines = [f"regel {n:02d};café" for n in range(1, 31)]
    data = "\n".join(lines).encode() + b"\n"
    data = data.replace(b"regel 23;", b"regel 23\xff;")
    path = write(tmp_path / "f.csv", data)
    encoding, chunks = read_chunks(path, chunk_bytes=64)
    collected = list(chunks)

    assert encoding == "utf-8"
    assert [line.number for c in collected for line in c.undecodable] == [23]
    numbered = {c.first_line + i: line for c in collected for i, line in enumerate(c.lines)}
    assert numbered[22] == lines[21] and numbered[24] == lines[23] and numbered[23] == ""


def test_read_chunks_drops_the_bom_only_at_the_start(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", b"\xef\xbb\xbfa;b\nc;d\n")
    encoding, chunks = read_chunks(path, chunk_bytes=64)

    assert encoding == "utf-8"
    assert [line for c in chunks for line in c.lines] == ["a;b", "c;d"]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Blocks of 64 bytes: every few lines of a test file start a new chunk."""
    monkeypatch.setattr(textio, "CHUNK_BYTES", 64)
    original = textio.read_chunks

    def read_small(path: Path, chunk_bytes: int = 64) -> tuple[str, Iterator[textio.Chunk]]:
        return original(path, min(chunk_bytes, 64))

    import adapters.blocks as blocks
    import adapters.canonical as canonical

    monkeypatch.setattr(canonical, "read_chunks", read_small)
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 64)
    yield


@pytest.mark.usefixtures("small_chunks")
def test_line_numbers_of_rejections_stay_right_across_chunk_boundaries(tmp_path: Path) -> None:
    lines = []
    bad = {7: {"datum": "2024-02-30"}, 15: {"status": "WEG"}, 23: {"lesuur": "13"}, 31: {}}
    for number in range(2, 41):
        values = {"lesuur": str(number % 12 + 1), "bron_id": f"r{number}"}
        values.update(bad.get(number, {}))
        lines.append(reg(**values))
    lines[31 - 2] = reg(bron_id="r31") + ";extra"
    text = registrations(*lines)
    assert len(text.encode()) > 20 * 64
    data = text.encode().replace(b"r19\n", b"r\xff19\n")
    export = read(tmp_path, data)

    found = sorted((r.regelnummer or 0, r.regel, r.veld) for r in export.rejections)
    assert found == [
        (7, "I-FORMAAT", "datum"),
        (15, "I-FORMAAT", "status"),
        (19, "I-TEKENSET", None),
        (23, "I-FORMAAT", "lesuur"),
        (31, "I-VELDEN", None),
    ]
    assert reg_stats(export) == (39, 34, 5, 0)


@pytest.mark.usefixtures("small_chunks")
def test_students_line_numbers_stay_right_across_chunk_boundaries(tmp_path: Path) -> None:
    rows = [f"{1000 + n};{BSN};;2010-03-15;N" for n in range(2, 30)]
    rows[17 - 2] = "1017;;;2010-13-15;N"
    rows[25 - 2] = "1003;;;2010-03-15;N"
    students = "\n".join([STUDENT_HEADER, *rows]) + "\n"
    export = read(tmp_path, registrations(reg(leerlingnummer="1002")), students)

    assert [(r.regel, r.regelnummer, r.veld) for r in export.rejections] == [
        ("I-FORMAAT", 17, "geboortedatum"),
        ("I-DUBBEL", 25, "leerlingnummer"),
    ]
    assert "regel 3" in export.rejections[1].reden


@pytest.mark.usefixtures("small_chunks")
def test_a_header_longer_than_a_chunk_is_read(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(), reg(lesuur="2")))

    assert export.rejections == []
    assert reg_stats(export) == (2, 2, 0, 0)


def test_registration_frame_has_the_rule_book_schema(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg()))

    assert export.registrations.schema["datum"] == pl.Date()
    assert export.registrations.schema["begin"] == pl.Int16()
    assert export.registrations.schema["lesuur"] == pl.Int8()


def test_a_bsn_typed_into_another_column_is_masked_in_the_rejection(tmp_path: Path) -> None:
    export = read(tmp_path, registrations(reg(datum="111222333"), reg(redencode="111222333")))
    texts = [r.reden for r in export.rejections] + [w.reden for w in export.warnings]
    assert any("*********" in text for text in texts)
    assert not any("111222333" in text for text in texts)
