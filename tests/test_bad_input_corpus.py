"""The consolidated bad-input corpus (issue 5): one table, every adapter, one bad thing per case.

Each case is a small realistic export (written into ``tmp_path``) with some good rows and exactly
one bad thing. It goes through ``adapters.registry.load_export`` (the path of ``verzuim import``
and ``verzuim precheck``), and the test asserts:

- the precise rejection: rule id, file name, line (CSV) or JSON path (JSON), field and pupil; or
  that there is none, when the bad thing is one the readers accept (CRLF, BOM, a quoted ``;``, a
  formula in a free-text field, a date far in the future);
- the warnings by rule id (``W-REDENCODE``, ``W-TEKENSET``), the row being kept;
- that the good rows are still accepted (per file, and in the registration frame);
- for every file: read = accepted + rejected + of_rejected_pupils;
- that no rejection or warning text contains one of the BSNs or onderwijsnummers used.

Decisions the corpus pins down (current behaviour, named):

- *Future dates*: the CLI, the sync and the API pass today as ``not_after`` (the readers read no
  clock), and a registration dated later is refused with I-TOEKOMST, counted as *rejected*, in
  every format: a mistyped year must not move the default peildatum. The future-date cases pass
  ``not_after`` exactly so (``Case.not_after``, today).
- *Duplicates*: the same ``bron_id`` of the same pupil imported twice counts once, the later row
  winning (as F1 lets the later identical row win), and never silently: the earlier row stays
  accepted, is counted as ``duplicates`` and is named by warning W-DUBBEL with the row that
  replaced it (Magister ``Id``, Somtoday ``id``, Eduarte's natural key, canonical ``bron_id``).
  Identical canonical rows without a ``bron_id`` are both kept and counted once by the rule book
  (F1); ``leerlingen.csv`` and Magister's student export keep the first pupil row (I-DUBBEL);
  dagverzuim refuses an overlapping second row (I-DUBBEL).
- *Ignored rows*: Magister's Verantwoordingtype 7/8 are read and accepted, counted as
  ``ignored`` and give no registration.
- *Empty files* (0 bytes) are refused as I-LEEG in every format and the other files are read
  (exit 0); header-only files of the formats with a header give I-LEEG too. A header without a
  required column still refuses the whole file (InputError, I-KOP: exit 2, not in this table).

The dagverzuim cases count the AANWEZIG half the adapter adds to a day with one dagdeel (F6) in
``rows``: ``DAG_2`` is a morning, so it comes with an afternoon at school.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from builders import school

from adapters.canonical import CanonicalExport
from adapters.export import write_canonical
from adapters.registry import load_export
from gateway.model import Sector
from gateway.rules.dayfacts import last_date

BSN_A = "111222333"  # pupil 231045
BSN_B = "123456782"  # pupil 231046
ONDERWIJSNUMMER = "100000004"
BAD_BSN = "123456789"  # nine digits, fails the elfproef
BAD_ONDERWIJSNUMMER = "100000005"
SECRETS = (BSN_A, BSN_B, ONDERWIJSNUMMER, BAD_BSN, BAD_ONDERWIJSNUMMER)
FORMULA = "=cmd|' /C calc'!A0"
LONG = "x" * 10_000
NUL = "\x00"

Content = str | bytes
Check = Callable[[CanonicalExport, Path], None]
# per file: accepted, rejected, of_rejected_pupils[, duplicates, ignored] (the last two default 0)
Counts = dict[str, tuple[int, ...]]


# -- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One corpus row: the files of one export and what reading them must give.

    ``files`` are written in order and passed to ``load_export`` in order (for ``canonical`` the
    file named ``leerlingen.csv`` goes as ``students``). ``rule`` is the one rejection expected
    (None: no rejection at all), located by ``bestand``, ``line`` (CSV) or ``pad`` (JSON path at
    the start of the reason), ``veld`` and ``pupil``. ``counts`` gives per file (accepted,
    rejected, of_rejected_pupils); ``rows`` the registrations in the export.
    """

    name: str
    adapter: str
    files: tuple[tuple[str, Content], ...]
    rule: str | None
    bestand: str | None = None
    line: int | None = None
    pad: str = ""
    veld: str | None = None
    pupil: str | None = None
    reason: str = ""
    counts: Counts = field(default_factory=dict)
    rows: int | None = None
    warnings: tuple[str, ...] = ()
    check: Check | None = None
    not_after: dt.date | None = None


# -- canonical: leerlingen.csv + lesregistraties.csv --------------------------------------------

STUDENTS = (
    "leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie\n"
    f"231045;{BSN_A};;2010-03-15;N\n"
    f"231046;{BSN_B};;2010-06-01;N\n"
)
REG_HEADER = (
    "brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;lesuur;begintijd;eindtijd;status;"
    "redencode;reden;geoorloofd;bron_id\n"
)
LES = "lesregistraties.csv"
LL = "leerlingen.csv"


def reg(
    pupil: str = "231045",
    datum: str = "2024-09-02",
    lesuur: str = "1",
    begin: str = "08:30",
    eind: str = "09:20",
    status: str = "AFWEZIG",
    code: str = "",
    reden: str = "",
    geoorloofd: str = "N",
    brin: str = "99XX",
    bsn: str = "",
    bron: str = "",
) -> str:
    return (
        f"{brin};00;{pupil};{bsn};;{datum};{lesuur};{begin};{eind};{status};{code};{reden};"
        f"{geoorloofd};{bron}\n"
    )


GOOD_1 = reg()
GOOD_2 = reg(pupil="231046", lesuur="2", begin="09:20", eind="10:10")


def canonical(
    bad: str | bytes, *, before: str = GOOD_1, after: str = GOOD_2, students: str = STUDENTS
) -> tuple[tuple[str, Content], ...]:
    """Header, a good row, the bad line (line 3), a good row (line 4)."""
    if isinstance(bad, bytes):
        body: Content = (REG_HEADER + before).encode() + bad + after.encode()
    else:
        body = REG_HEADER + before + bad + after
    return ((LES, body), (LL, students))


def c_counts(accepted: int = 2, rejected: int = 1, lost: int = 0) -> Counts:
    return {LL: (2, 0, 0), LES: (accepted, rejected, lost)}


# -- Magister: envelope JSON + optional stamnr CSV ----------------------------------------------


def item(ident: int, hour: int = 6, kind: object = 1, **extra: object) -> dict[str, object]:
    """A Magister absentie of 50 minutes on 2024-09-02 starting at ``hour``:30 UTC."""
    value: dict[str, object] = {
        "Id": ident,
        "Start": f"2024-09-02T{hour:02d}:30:00.0000000Z",
        "Eind": f"2024-09-02T{hour + 1:02d}:20:00.0000000Z",
        "Lesuur": hour - 5,
        "Geoorloofd": False,
        "Afgehandeld": True,
        "Verantwoordingtype": kind,
        "Code": "",
        "Omschrijving": "Spijbelen",
    }
    value.update(extra)
    return value


def envelope(items: list[dict[str, object]], **identity: object) -> dict[str, object]:
    value: dict[str, object] = {
        "stamnr": "231045",
        "bsn": BSN_A,
        "onderwijsnummer": "",
        "geboortedatum": "2010-03-15",
        "brin": "99XX",
    }
    value.update(identity)
    value["absenties"] = {"Items": items, "TotalCount": len(items)}
    return value


def magister_json(*envelopes: dict[str, object]) -> str:
    data: object = envelopes[0] if len(envelopes) == 1 else list(envelopes)
    return json.dumps(data, indent=1, ensure_ascii=False)


MAG = "leerling_231045.json"
MAG_OK = ("leerling_231046.json", magister_json(envelope([item(2001)], stamnr="231046", bsn=BSN_B)))
MAG_STUDENTS = (
    "stamnr;bsn;onderwijsnummer;geboortedatum;startkwalificatie\n"
    "231045;;;2010-03-15;N\n"
    f"231046;{BSN_B};;2010-06-01;N\n"
)

# -- Somtoday: waarnemingen JSON + canonical leerlingen.csv -------------------------------------


def waarneming(ident: int, hour: int = 8, soort: object = "Afwezig", **extra: object) -> object:
    value: dict[str, object] = {
        "id": ident,
        "leerling": {"id": 9000000 + ident, "leerlingnummer": 231045},
        "beginDatumTijd": f"2024-09-02T{hour:02d}:30:00.000+02:00",
        "eindDatumTijd": f"2024-09-02T{hour + 1:02d}:20:00.000+02:00",
        "beginLesuur": hour - 7,
        "eindLesuur": hour - 7,
        "waarnemingSoort": soort,
    }
    value.update(extra)
    return value


def somtoday(*items: object, raw: Content | None = None) -> tuple[tuple[str, Content], ...]:
    body = raw if raw is not None else json.dumps({"items": list(items)}, indent=1)
    return (("waarnemingen.json", body), (LL, STUDENTS))


SOM = "waarnemingen.json"

# -- Eduarte: headerless waarnemingen (10 fields) / absentiemeldingen (9) -----------------------


def obs(
    pupil: str = "231045",
    datum: str = "20240902",
    begin: str = "08:30",
    eind: str = "09:20",
    lesuur: str = "1",
    vak: str = "Nederlands",
    soort: str = "Afwezig",
    afgehandeld: str = "N",
) -> str:
    return f"{pupil};{datum};{begin};{eind};{lesuur};{vak};JDV;ICT1A;{soort};{afgehandeld}\n"


EDU_1 = obs()
EDU_2 = obs(begin="09:20", eind="10:10", lesuur="2")
EDU_3 = obs(pupil="231046", begin="10:30", eind="11:20", lesuur="3")
WAA = "waarnemingen.csv"
ABS = "absentiemeldingen.csv"


def eduarte(
    *extra: tuple[str, Content], body: Content | None = None
) -> tuple[tuple[str, Content], ...]:
    return ((WAA, body if body is not None else EDU_1 + EDU_2 + EDU_3), *extra, (LL, STUDENTS))


def e_body(bad: str) -> str:
    return EDU_1 + bad + EDU_2 + EDU_3


def e_counts(accepted: int = 3, rejected: int = 1) -> Counts:
    return {LL: (2, 0, 0), WAA: (accepted, rejected, 0)}


# -- dagverzuim: day grain with header ----------------------------------------------------------

DAG_HEADER = (
    "brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;dagdeel;uren;redencode;reden;"
    "geoorloofd;opmerking;groep\n"
)
DAG = "dagverzuim.csv"
PO_STUDENTS = (
    "leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie\n"
    "231045;;;2016-03-15;N\n"
    "231046;;;2016-06-01;N\n"
)


def dag(
    pupil: str = "231045",
    datum: str = "2024-09-02",
    dagdeel: str = "D",
    uren: str = "6",
    opmerking: str = "",
    brin: str = "99XX",
    bsn: str = BSN_A,
    onderwijsnummer: str = "",
    code: str = "",
) -> str:
    return (
        f"{brin};00;{pupil};{bsn};{onderwijsnummer};{datum};{dagdeel};{uren};{code};;N;"
        f"{opmerking};groep 3\n"
    )


DAG_1 = dag()
DAG_2 = dag(pupil="231046", bsn="", onderwijsnummer=ONDERWIJSNUMMER, dagdeel="O", uren="3,5")


def dagverzuim(bad: Content, *, header: str = DAG_HEADER) -> tuple[tuple[str, Content], ...]:
    if isinstance(bad, bytes):
        body: Content = (header + DAG_1).encode() + bad + DAG_2.encode()
    else:
        body = header + DAG_1 + bad + DAG_2
    return ((DAG, body), (LL, PO_STUDENTS))


def d_counts(accepted: int = 2, rejected: int = 1) -> Counts:
    return {LL: (2, 0, 0), DAG: (accepted, rejected, 0)}


# -- extra checks -------------------------------------------------------------------------------


def formula_inert_in_afwijzingen(export: CanonicalExport, out: Path) -> None:
    """``write_canonical`` writes the formula with a leading apostrophe in afwijzingen.csv: no
    cell of any output file starts like a live formula."""
    write_canonical(export, "99XX", "00", out)
    text = (out / "afwijzingen.csv").read_text(encoding="utf-8")
    assert "'=cmd|" in text
    for name in ("afwijzingen.csv", "leerlingen.csv", "lesregistraties.csv"):
        for line in (out / name).read_text(encoding="utf-8").splitlines():
            for cell in line.split(";"):
                assert not cell.startswith(("=", "+", "-", "@")), (name, cell)


def formula_quoted_in_reason(export: CanonicalExport, out: Path) -> None:
    """The refused key is only shown quoted inside the reason: no cell starts with ``=``."""
    assert any("'=cmd|" in rejection.reden for rejection in export.rejections)
    formula_inert_in_afwijzingen(export, out)


def code_warned_at(bestand: str, line: int | None, pad: str = "") -> Check:
    """W-REDENCODE names the file, the first line or JSON path and the field; the row is kept
    without categorie."""

    def check(export: CanonicalExport, out: Path) -> None:
        (warning,) = export.warnings
        assert (warning.bestand, warning.regelnummer) == (bestand, line), warning
        assert warning.veld in ("redencode", "Code"), warning
        assert warning.reden.startswith(pad), warning
        assert set(export.registrations.get_column("categorie").cast(str)) == {""}

    return check


TODAY = dt.date.today()  # what the CLI passes as not_after
FUTURE = "2099-09-02"


def future_date_refused(export: CanonicalExport, out: Path) -> None:
    """Refused with the date and today in the reason; the default peildatum (the last date in
    the data) stays where the real data ends."""
    assert "2099-09-02" in export.rejections[0].reden
    assert str(TODAY) in export.rejections[0].reden
    assert last_date(export.registrations) == dt.date(2024, 9, 2)


def duplicate_named(later: str, line: int | None = None) -> Check:
    """W-DUBBEL names the row counted once (file, ``line`` or JSON path, pupil, field) and
    ``later``, the row that replaced it."""

    def check(export: CanonicalExport, out: Path) -> None:
        (warning,) = export.warnings
        assert (warning.regel, warning.veld, warning.leerlingnummer) == (
            "W-DUBBEL", "bron_id", "231045"
        ), warning  # fmt: skip
        assert f"({later})" in warning.reden, warning
        assert warning.regelnummer == line, warning

    return check


def duplicates_kept(export: CanonicalExport, out: Path) -> None:
    """Both copies are in the frame; the rule book counts them once (F1, the later wins)."""
    frame = export.registrations.filter(export.registrations.get_column("begin") == 8 * 60 + 30)
    assert frame.height == 2


def long_reden_not_kept(export: CanonicalExport, out: Path) -> None:
    write_canonical(export, "99XX", "00", out)
    assert LONG not in (out / "lesregistraties.csv").read_text(encoding="utf-8")


# -- the cases ----------------------------------------------------------------------------------

CASES = [
    # canonical lesregistraties.csv
    Case("canon-wrong-field-count", "canonical", canonical("99XX;00;231045;2024-09-02\n"),
         "I-VELDEN", LES, 3, reason="verwacht 14 velden, gevonden 4", counts=c_counts(), rows=2),
    Case("canon-bad-date", "canonical", canonical(reg(datum="02-09-2024")),
         "I-FORMAAT", LES, 3, veld="datum", pupil="231045", counts=c_counts(), rows=2),
    Case("canon-impossible-date", "canonical", canonical(reg(datum="2024-02-30")),
         "I-FORMAAT", LES, 3, veld="datum", pupil="231045", reason="'2024-02-30'",
         counts=c_counts(), rows=2),
    Case("canon-bad-time", "canonical", canonical(reg(begin="8.30")),
         "I-FORMAAT", LES, 3, veld="begintijd", pupil="231045", counts=c_counts(), rows=2),
    Case("canon-end-before-begin", "canonical", canonical(reg(begin="10:10", eind="09:20")),
         "F1", LES, 3, veld="eindtijd", pupil="231045", counts=c_counts(), rows=2),
    Case("canon-over-12-hours", "canonical", canonical(reg(begin="07:00", eind="19:30")),
         "F1", LES, 3, veld="eindtijd", pupil="231045", reason="750 minuten",
         counts=c_counts(), rows=2),
    Case("canon-unknown-status", "canonical", canonical(reg(status="ZIEK")),
         "I-FORMAAT", LES, 3, veld="status", pupil="231045", counts=c_counts(), rows=2),
    Case("canon-unknown-reason-code", "canonical", canonical(reg(code="XYZ", lesuur="3",
         begin="10:30", eind="11:20")), None, counts=c_counts(3, 0), rows=3,
         warnings=("W-REDENCODE",), check=code_warned_at(LES, 3)),
    Case("canon-invalid-bsn", "canonical",
         canonical(reg(pupil="231047"), students=STUDENTS + "231047;123456789;;2010-01-01;N\n"),
         "V01", LL, 4, veld="bsn", pupil="231047",
         counts={LL: (3, 0, 0), LES: (2, 0, 1)}, rows=2),
    Case("canon-invalid-onderwijsnummer", "canonical",
         canonical(reg(pupil="231047"),
                   students=STUDENTS + f"231047;;{BAD_ONDERWIJSNUMMER};2010-01-01;N\n"),
         "V01", LL, 4, veld="bsn", pupil="231047", reason="onderwijsnummer is ongeldig",
         counts={LL: (3, 0, 0), LES: (2, 0, 1)}, rows=2),
    Case("canon-missing-identity", "canonical",
         canonical(reg(pupil="231047"), students=STUDENTS + "231047;;;2010-01-01;N\n"),
         "V01", LES, 3, veld="bsn", pupil="231047", reason="geen BSN en geen onderwijsnummer",
         counts={LL: (3, 0, 0), LES: (2, 0, 1)}, rows=2),
    Case("canon-pupil-not-in-students", "canonical", canonical(reg(pupil="231099")),
         "I-LEERLING", LES, 3, veld="leerlingnummer", pupil="231099",
         counts=c_counts(2, 0, 1), rows=2),
    Case("canon-future-date", "canonical", canonical(reg(datum=FUTURE)),
         "I-TOEKOMST", LES, 3, veld="datum", pupil="231045", counts=c_counts(), rows=2,
         check=future_date_refused, not_after=TODAY),
    Case("canon-duplicate-row", "canonical", canonical(GOOD_1), None, counts=c_counts(3, 0),
         rows=3, check=duplicates_kept),
    Case("canon-duplicate-bron-id", "canonical",
         canonical(reg(lesuur="3", begin="10:30", eind="11:20", bron="PS77"),
                   before=reg(bron="PS77")),
         None, counts={LL: (2, 0, 0), LES: (3, 0, 0, 1, 0)}, rows=2, warnings=("W-DUBBEL",),
         check=duplicate_named(f"{LES} regel 3", 2)),
    Case("canon-students-duplicate", "canonical",
         canonical(reg(lesuur="3", begin="10:30", eind="11:20"),
                   students=STUDENTS + "231045;;;2011-01-01;N\n"),
         "I-DUBBEL", LL, 4, veld="leerlingnummer", pupil="231045",
         counts={LL: (2, 1, 0), LES: (3, 0, 0)}, rows=3),
    Case("canon-mixed-encoding-line", "canonical",
         canonical(reg(reden="Caf\xe9").encode("cp1252"), before=reg(reden="ziekte é"),
                   after=reg(pupil="231046", reden="naïef")),
         "I-TEKENSET", LES, 3, reason="byte 0xe9", counts=c_counts(), rows=2),
    Case("canon-windows-1252-file", "canonical",
         ((LES, (REG_HEADER + GOOD_1 + reg(pupil="231046", reden="één café")).encode("cp1252")),
          (LL, STUDENTS)), None, counts=c_counts(2, 0), rows=2, warnings=("W-TEKENSET",)),
    Case("canon-truncated-last-line", "canonical",
         ((LES, REG_HEADER + GOOD_1 + GOOD_2 + "99XX;00;231045;;;2024-09-02;3;10:"),
          (LL, STUDENTS)), "I-VELDEN", LES, 4, counts=c_counts(), rows=2),
    Case("canon-nul-byte", "canonical", canonical(reg(reden=f"ziek{NUL}")),
         "I-TEKEN", LES, 3, counts=c_counts(), rows=2),
    Case("canon-quoted-separator", "canonical", canonical(reg(reden='"ziek; koorts"',
         lesuur="3", begin="10:30", eind="11:20")), None, counts=c_counts(3, 0), rows=3),
    Case("canon-unbalanced-quote", "canonical", canonical(reg(reden='"ziek; koorts')),
         "I-VELDEN", LES, 3, reason="aanhalingsteken", counts=c_counts(), rows=2),
    Case("canon-other-brin", "canonical", canonical(reg(brin="11AA")),
         "V13", LES, 3, veld="brin", pupil="231045", counts=c_counts(), rows=2),
    Case("canon-formula-pupil-key", "canonical", canonical(reg(pupil=FORMULA)),
         "I-LEERLING", LES, 3, veld="leerlingnummer", pupil=FORMULA,
         counts=c_counts(2, 0, 1), rows=2, check=formula_inert_in_afwijzingen),
    Case("canon-formula-in-reden", "canonical", canonical(reg(reden=FORMULA, lesuur="3",
         begin="10:30", eind="11:20")), None, counts=c_counts(3, 0), rows=3),
    Case("canon-long-field", "canonical", canonical(reg(reden=LONG, lesuur="3", begin="10:30",
         eind="11:20")), None, counts=c_counts(3, 0), rows=3, check=long_reden_not_kept),
    Case("canon-crlf", "canonical",
         ((LES, (REG_HEADER + GOOD_1 + GOOD_2).replace("\n", "\r\n")),
          (LL, STUDENTS.replace("\n", "\r\n"))), None, counts=c_counts(2, 0), rows=2),
    Case("canon-bom", "canonical",
         ((LES, b"\xef\xbb\xbf" + (REG_HEADER + GOOD_1 + GOOD_2).encode()),
          (LL, b"\xef\xbb\xbf" + STUDENTS.encode())), None, counts=c_counts(2, 0), rows=2),
    # Magister
    Case("magister-not-json", "magister", ((MAG, "Items: [1, 2,\n"), MAG_OK),
         "I-JSON", MAG, 1, counts={MAG: (0, 0, 0), MAG_OK[0]: (1, 0, 0)}, rows=1),
    Case("magister-wrong-shape", "magister", ((MAG, '"absenties"\n'), MAG_OK),
         "I-JSON", MAG, pad="$:", counts={MAG: (0, 0, 0), MAG_OK[0]: (1, 0, 0)}, rows=1),
    Case("magister-items-not-a-list", "magister",
         ((MAG, json.dumps({"stamnr": "231045", "absenties": {"Items": {"Id": 1}}})), MAG_OK),
         "I-JSON", MAG, pad="$:", veld="Items", counts={MAG: (0, 0, 0), MAG_OK[0]: (1, 0, 0)},
         rows=1),
    Case("magister-unknown-verantwoordingtype", "magister",
         ((MAG, magister_json(envelope([item(1001), item(1002, 7, kind=5), item(1003, 8)]))),),
         "I-FORMAAT", MAG, pad="$.absenties.Items[1]:", veld="Verantwoordingtype",
         pupil="231045", counts={MAG: (2, 1, 0)}, rows=2),
    Case("magister-impossible-date", "magister",
         ((MAG, magister_json(envelope([item(1001), item(1002, Start="2024-02-30T06:30:00Z"),
                                        item(1003, 8)]))),),
         "I-FORMAAT", MAG, pad="$.absenties.Items[1]:", veld="Start", pupil="231045",
         reason="geen bestaand tijdstip", counts={MAG: (2, 1, 0)}, rows=2),
    Case("magister-over-12-hours", "magister",
         ((MAG, magister_json(envelope([item(1001), item(1002, Eind="2024-09-02T19:30:00Z"),
                                        item(1003, 8)]))),),
         "F1", MAG, pad="$.absenties.Items[1]:", veld="Eind", pupil="231045",
         counts={MAG: (2, 1, 0)}, rows=2),
    Case("magister-non-utf8-bytes", "magister",
         ((MAG, magister_json(envelope([item(1001), item(1002, Omschrijving="@@BAD@@"),
                                        item(1003, 8, Omschrijving="één")]))
           .encode().replace(b"@@BAD@@", b"Caf\xe9")),),
         "I-TEKENSET", MAG, pad="$.absenties.Items[1]:", veld="Omschrijving", pupil="231045",
         counts={MAG: (2, 1, 0)}, rows=2),
    Case("magister-nul-in-text", "magister",
         ((MAG, magister_json(envelope([item(1001), item(1002, Omschrijving=f"a{NUL}b"),
                                        item(1003, 8)]))),),
         "I-TEKEN", MAG, pad="$.absenties.Items[1]:", veld="Omschrijving", pupil="231045",
         counts={MAG: (2, 1, 0)}, rows=2),
    Case("magister-unknown-code", "magister",
         ((MAG, magister_json(envelope([item(1001), item(1002, 7, Code="QQ")]))),),
         None, counts={MAG: (2, 0, 0)}, rows=2, warnings=("W-REDENCODE",),
         check=code_warned_at(MAG, None, "$.absenties.Items[1]")),
    Case("magister-invalid-onderwijsnummer", "magister",
         ((MAG, magister_json(envelope([item(1001), item(1002, 7)], bsn="",
                                       onderwijsnummer=BAD_ONDERWIJSNUMMER))), MAG_OK),
         "V01", MAG, pad="$:", veld="bsn", pupil="231045",
         counts={MAG: (0, 0, 2), MAG_OK[0]: (1, 0, 0)}, rows=1),
    Case("magister-missing-identity", "magister",
         ((MAG, magister_json(envelope([item(1001), item(1002, 7)], bsn=""))), MAG_OK),
         "V01", MAG, pad="$:", veld="bsn", pupil="231045", reason="geen BSN",
         counts={MAG: (0, 0, 2), MAG_OK[0]: (1, 0, 0)}, rows=1),
    Case("magister-other-brin", "magister",
         ((MAG, magister_json(envelope([item(1001)]), envelope([item(1101), item(1102, 7)],
                                                               stamnr="231046", bsn=BSN_B,
                                                               brin="11AA"))),),
         "V13", MAG, pad="$[1]:", veld="brin", counts={MAG: (1, 2, 0)}, rows=1),
    Case("magister-duplicate-id", "magister",
         ((MAG, magister_json(envelope([item(1001), item(1002, 7), item(1002, 7)]))),),
         None, counts={MAG: (3, 0, 0, 1, 0)}, rows=2, warnings=("W-DUBBEL",),
         check=duplicate_named(f"{MAG} $.absenties.Items[2]")),
    Case("magister-future-date", "magister",
         ((MAG, magister_json(envelope([item(1001), item(1002, Start=f"{FUTURE}T06:30:00Z",
                                                      Eind=f"{FUTURE}T07:20:00Z"),
                                        item(1003, 8)]))),),
         "I-TOEKOMST", MAG, pad="$.absenties.Items[1]:", veld="datum", pupil="231045",
         counts={MAG: (2, 1, 0)}, rows=2, check=future_date_refused, not_after=TODAY),
    Case("magister-homework-ignored", "magister",
         ((MAG, magister_json(envelope([item(1001), item(1002, 7, kind=8)]))),),
         None, counts={MAG: (2, 0, 0, 0, 1)}, rows=1),
    Case("magister-empty-file", "magister", ((MAG, b""), MAG_OK),
         "I-LEEG", MAG, counts={MAG: (0, 0, 0), MAG_OK[0]: (1, 0, 0)}, rows=1),
    Case("magister-students-duplicate", "magister",
         ((MAG, magister_json(envelope([item(1001)]))),
          ("leerlingen.csv", MAG_STUDENTS + f"231045;{BSN_A};;2010-03-15;N\n")),
         "I-DUBBEL", "leerlingen.csv", 4, veld="stamnr", pupil="231045",
         counts={MAG: (1, 0, 0), "leerlingen.csv": (2, 1, 0)}, rows=1),
    # Somtoday
    Case("somtoday-not-json", "somtoday", somtoday(raw="<html>502 Bad Gateway</html>"),
         "I-JSON", SOM, 1, pad="$:", counts={SOM: (0, 0, 0), LL: (2, 0, 0)}, rows=0),
    Case("somtoday-wrong-shape", "somtoday", somtoday(raw='[{"id": 1}]'),
         "I-VORM", SOM, veld="items", pad="$:", counts={SOM: (0, 0, 0)}, rows=0),
    Case("somtoday-unknown-soort", "somtoday",
         somtoday(waarneming(1001), waarneming(1002, 9, soort="Ziek"), waarneming(1003, 10)),
         "I-FORMAAT", SOM, pad="$.items[1]:", veld="waarnemingSoort", pupil="231045",
         counts={SOM: (2, 1, 0)}, rows=2),
    Case("somtoday-bad-time", "somtoday",
         somtoday(waarneming(1001), waarneming(1002, 9, beginDatumTijd="2024-09-02 09:30"),
                  waarneming(1003, 10)),
         "I-FORMAAT", SOM, pad="$.items[1]:", veld="beginDatumTijd", pupil="231045",
         counts={SOM: (2, 1, 0)}, rows=2),
    Case("somtoday-end-before-begin", "somtoday",
         somtoday(waarneming(1001), waarneming(1002, 9, eindDatumTijd="2024-09-02T09:00:00+02:00"),
                  waarneming(1003, 10)),
         "F1", SOM, pad="$.items[1]:", veld="eindDatumTijd", pupil="231045",
         counts={SOM: (2, 1, 0)}, rows=2),
    Case("somtoday-item-not-object", "somtoday",
         somtoday(waarneming(1001), "Afwezig", waarneming(1003, 10)),
         "I-VORM", SOM, pad="$.items[1]:", counts={SOM: (2, 1, 0)}, rows=2),
    Case("somtoday-nul-in-text", "somtoday",
         somtoday(waarneming(1001), waarneming(1002, 9, opmerking=f"a{NUL}b"),
                  waarneming(1003, 10)),
         "I-TEKEN", SOM, pad="$.items[1]:", veld="opmerking", pupil="231045",
         counts={SOM: (2, 1, 0)}, rows=2),
    Case("somtoday-non-utf8-bytes", "somtoday",
         somtoday(raw=json.dumps({"items": [waarneming(1001), waarneming(1002, 9, vak="@@"),
                                            waarneming(1003, 10)]}).encode()
                  .replace(b"@@", b"Fran\xe7ais")),
         "I-TEKENSET", SOM, pad="$.items[1]:", veld="vak", pupil="231045",
         counts={SOM: (2, 1, 0)}, rows=2),
    Case("somtoday-pupil-not-in-students", "somtoday",
         somtoday(waarneming(1001), waarneming(1002, 9, leerling={"leerlingnummer": 231099}),
                  waarneming(1003, 10)),
         "I-LEERLING", SOM, pad="$.items[1]:", veld="leerlingnummer", pupil="231099",
         counts={SOM: (2, 0, 1)}, rows=2),
    Case("somtoday-duplicate-id", "somtoday",
         somtoday(waarneming(1001), waarneming(1002, 9), waarneming(1002, 9)),
         None, counts={SOM: (3, 0, 0, 1, 0)}, rows=2, warnings=("W-DUBBEL",),
         check=duplicate_named(f"{SOM} $.items[2]")),
    Case("somtoday-future-date", "somtoday",
         somtoday(waarneming(1001),
                  waarneming(1002, 9, beginDatumTijd=f"{FUTURE}T09:30:00.000+02:00",
                             eindDatumTijd=f"{FUTURE}T10:20:00.000+02:00"),
                  waarneming(1003, 10)),
         "I-TOEKOMST", SOM, pad="$.items[1]:", veld="datum", pupil="231045",
         counts={SOM: (2, 1, 0)}, rows=2, check=future_date_refused, not_after=TODAY),
    Case("somtoday-empty-file", "somtoday", somtoday(raw=b""),
         "I-LEEG", SOM, counts={SOM: (0, 0, 0), LL: (2, 0, 0)}, rows=0),
    Case("somtoday-long-field", "somtoday",
         somtoday(waarneming(1001), waarneming(1002, 9, opmerking=LONG)),
         None, counts={SOM: (2, 0, 0)}, rows=2),
    # Eduarte
    Case("eduarte-wrong-field-count", "eduarte", eduarte(body=e_body("231045;20240902;08:30\n")),
         "I-VELDEN", WAA, 2, reason="verwacht 10 (waarneming) velden, gevonden 3",
         counts=e_counts(), rows=3),
    Case("eduarte-bad-date", "eduarte", eduarte(body=e_body(obs(datum="2024-09-02"))),
         "I-FORMAAT", WAA, 2, veld="datum", pupil="231045", counts=e_counts(), rows=3),
    Case("eduarte-impossible-date", "eduarte", eduarte(body=e_body(obs(datum="20240230"))),
         "I-FORMAAT", WAA, 2, veld="datum", pupil="231045", counts=e_counts(), rows=3),
    Case("eduarte-bad-time", "eduarte", eduarte(body=e_body(obs(begin="25:00"))),
         "I-FORMAAT", WAA, 2, veld="begintijd", pupil="231045", counts=e_counts(), rows=3),
    Case("eduarte-end-before-begin", "eduarte",
         eduarte(body=e_body(obs(begin="10:10", eind="09:20"))),
         "F1", WAA, 2, veld="eindtijd", pupil="231045", counts=e_counts(), rows=3),
    Case("eduarte-unknown-presence", "eduarte", eduarte(body=e_body(obs(soort="Ziek"))),
         "I-FORMAAT", WAA, 2, veld="waarneming", pupil="231045", counts=e_counts(), rows=3),
    Case("eduarte-unknown-reason-code", "eduarte",
         eduarte((ABS, "231046;20240903;;;;1;2;QQ;onbekend\n")), None,
         counts={**e_counts(3, 0), ABS: (1, 0, 0)}, rows=5, warnings=("W-REDENCODE",),
         check=code_warned_at(ABS, 1)),
    Case("eduarte-truncated-last-line", "eduarte",
         eduarte(body=EDU_1 + EDU_2 + EDU_3 + "231045;20240902;12:40;13:30;5;Neder"),
         "I-VELDEN", WAA, 4, reason="laatste regel is afgebroken", counts=e_counts(), rows=3),
    Case("eduarte-empty-file", "eduarte", eduarte((ABS, b"")),
         "I-LEEG", ABS, counts={**e_counts(3, 0), ABS: (0, 0, 0)}, rows=3),
    Case("eduarte-windows-1252", "eduarte",
         eduarte(body=(EDU_1 + EDU_2 + obs(pupil="231046", vak="Français")).encode("cp1252")),
         None, counts=e_counts(3, 0), rows=3, warnings=("W-TEKENSET",)),
    Case("eduarte-mixed-encoding-line", "eduarte",
         eduarte(body=(obs(vak="Français") + obs(vak="Caf@").replace("@", "\udce9")
                       + obs(vak="één", begin="09:20", eind="10:10", lesuur="2") + EDU_3)
                 .encode("utf-8", "surrogateescape")),
         "I-TEKENSET", WAA, 2, reason="byte 0xe9", counts=e_counts(), rows=3),
    Case("eduarte-long-field", "eduarte", eduarte(body=e_body(obs(vak=LONG))),
         "I-FORMAAT", WAA, 2, veld="vak", pupil="231045", counts=e_counts(), rows=3),
    Case("eduarte-unbalanced-quote", "eduarte", eduarte(body=e_body(obs(vak='"Nederlands'))),
         "I-VELDEN", WAA, 2, reason="aanhalingsteken niet goed afgesloten",
         counts=e_counts(), rows=3),
    Case("eduarte-duplicate-line", "eduarte", eduarte(body=EDU_1 + EDU_1 + EDU_2 + EDU_3),
         None, counts={LL: (2, 0, 0), WAA: (4, 0, 0, 1, 0)}, rows=3, warnings=("W-DUBBEL",),
         check=duplicate_named(f"{WAA} regel 2", 1)),
    Case("eduarte-future-date", "eduarte", eduarte(body=e_body(obs(datum="20990902"))),
         "I-TOEKOMST", WAA, 2, veld="datum", pupil="231045", counts=e_counts(), rows=3,
         check=future_date_refused, not_after=TODAY),
    Case("eduarte-formula-key", "eduarte", eduarte(body=e_body(obs(pupil=FORMULA))),
         "I-FORMAAT", WAA, 2, veld="deelnemernummer", counts=e_counts(), rows=3,
         check=formula_quoted_in_reason),
    # dagverzuim
    Case("dagverzuim-header-only", "dagverzuim",
         ((DAG, DAG_HEADER), ("dagverzuim-2.csv", DAG_HEADER + DAG_1 + DAG_2), (LL, PO_STUDENTS)),
         "I-LEEG", DAG, reason="alleen een kopregel",
         counts={DAG: (0, 0, 0), "dagverzuim-2.csv": (2, 0, 0)}, rows=3),
    Case("dagverzuim-wrong-field-count", "dagverzuim", dagverzuim("99XX;00;231045;2024-09-03\n"),
         "I-VELDEN", DAG, 3, reason="verwacht 13 velden, gevonden 4", counts=d_counts(), rows=3),
    Case("dagverzuim-impossible-date", "dagverzuim", dagverzuim(dag(datum="2024-02-30")),
         "I-FORMAAT", DAG, 3, veld="datum", pupil="231045", counts=d_counts(), rows=3),
    Case("dagverzuim-unknown-dagdeel", "dagverzuim", dagverzuim(dag(datum="2024-09-03",
         dagdeel="X")), "I-FORMAAT", DAG, 3, veld="dagdeel", pupil="231045",
         counts=d_counts(), rows=3),
    Case("dagverzuim-over-12-hours", "dagverzuim", dagverzuim(dag(datum="2024-09-03",
         uren="12,5")), "F1", DAG, 3, veld="uren", pupil="231045", counts=d_counts(), rows=3),
    Case("dagverzuim-invalid-bsn", "dagverzuim",
         dagverzuim(dag(pupil="231046", bsn=BAD_BSN, datum="2024-09-03")),
         "V01", DAG, 3, veld="bsn", pupil="231046", reason="elfproef",
         counts={LL: (2, 0, 0), DAG: (1, 0, 2)}, rows=1),
    Case("dagverzuim-future-date", "dagverzuim", dagverzuim(dag(datum=FUTURE)),
         "I-TOEKOMST", DAG, 3, veld="datum", pupil="231045", counts=d_counts(), rows=3,
         check=future_date_refused, not_after=TODAY),
    Case("dagverzuim-empty-file", "dagverzuim",
         ((DAG, b""), ("dagverzuim-2.csv", DAG_HEADER + DAG_1 + DAG_2), (LL, PO_STUDENTS)),
         "I-LEEG", DAG, reason="bestand is leeg",
         counts={DAG: (0, 0, 0), "dagverzuim-2.csv": (2, 0, 0)}, rows=3),
    Case("dagverzuim-duplicate", "dagverzuim", dagverzuim(dag(dagdeel="O", uren="3")),
         "I-DUBBEL", DAG, 3, veld="dagdeel", pupil="231045", reason="regel 2",
         counts=d_counts(), rows=3),
    Case("dagverzuim-other-brin", "dagverzuim", dagverzuim(dag(brin="11AA", datum="2024-09-03")),
         "V13", DAG, 3, veld="brin", pupil="231045", counts=d_counts(), rows=3),
    Case("dagverzuim-nul-byte", "dagverzuim", dagverzuim(dag(datum="2024-09-03",
         opmerking=f"a{NUL}b")), "I-TEKEN", DAG, 3, counts=d_counts(), rows=3),
    Case("dagverzuim-formula-key", "dagverzuim", dagverzuim(dag(pupil=FORMULA)),
         "I-FORMAAT", DAG, 3, veld="leerlingnummer", counts=d_counts(), rows=3,
         check=formula_quoted_in_reason),
    Case("dagverzuim-formula-in-opmerking", "dagverzuim",
         dagverzuim(dag(datum="2024-09-03", opmerking=FORMULA)), None,
         counts=d_counts(3, 0), rows=4),
    Case("dagverzuim-quoted-separator", "dagverzuim",
         dagverzuim(dag(datum="2024-09-03", opmerking='"belde; later terug"')), None,
         counts=d_counts(3, 0), rows=4),
    Case("dagverzuim-long-field", "dagverzuim", dagverzuim(dag(datum="2024-09-03",
         opmerking=LONG)), "I-FORMAAT", DAG, 3, veld="opmerking", pupil="231045",
         counts=d_counts(), rows=3),
    Case("dagverzuim-crlf-bom", "dagverzuim",
         ((DAG, b"\xef\xbb\xbf" + (DAG_HEADER + DAG_1 + DAG_2).replace("\n", "\r\n").encode()),
          (LL, PO_STUDENTS.replace("\n", "\r\n"))), None, counts=d_counts(2, 0), rows=3),
]  # fmt: skip


# -- the test -----------------------------------------------------------------------------------


def _load(case: Case, tmp_path: Path) -> CanonicalExport:
    folder = tmp_path / "in"
    folder.mkdir()
    paths: list[Path] = []
    for name, content in case.files:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        paths.append(path)
    config = school(Sector.PO, hele_dag_minuten=300) if case.adapter == "dagverzuim" else school()
    if case.adapter == "canonical":
        students = next(path for path in paths if path.name == LL)
        chosen, export = load_export(
            "canonical", config, [p for p in paths if p != students], students, case.not_after
        )
    else:
        chosen, export = load_export(case.adapter, config, paths, None, case.not_after)
    assert chosen == case.adapter
    return export


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    export = _load(case, tmp_path)

    # the one rejection, precisely located (or none)
    if case.rule is None:
        assert export.rejections == []
    else:
        assert len(export.rejections) == 1, export.rejections
        rejection = export.rejections[0]
        assert (rejection.regel, rejection.bestand, rejection.regelnummer) == (
            case.rule,
            case.bestand,
            case.line,
        ), rejection
        assert rejection.veld == case.veld, rejection
        if case.pupil is not None:
            assert rejection.leerlingnummer == case.pupil, rejection
        assert rejection.reden.startswith(case.pad), rejection
        assert case.reason in rejection.reden, rejection

    # warnings by rule id: the row is kept
    assert sorted(w.regel for w in export.warnings) == sorted(case.warnings), export.warnings

    # row accounting per file, and the good rows still accepted
    for stats in export.stats:
        assert stats.read == stats.accepted + stats.rejected + stats.of_rejected_pupils, stats
        assert 0 <= stats.duplicates + stats.ignored <= stats.accepted, stats
    by_file = {stats.bestand: stats for stats in export.stats}
    for name, counts in case.counts.items():
        stats = by_file[name]
        got = (stats.accepted, stats.rejected, stats.of_rejected_pupils, stats.duplicates,
               stats.ignored)  # fmt: skip
        assert got == (*counts, 0, 0)[:5], stats
    if case.rows is not None:
        assert export.registrations.height == case.rows

    # no BSN or onderwijsnummer in any text
    texts = [r.reden for r in export.rejections] + [w.reden for w in export.warnings]
    for text in texts:
        assert not any(secret in text for secret in SECRETS), text

    if case.check is not None:
        case.check(export, tmp_path / "out")


def test_corpus_is_large_enough() -> None:
    """Issue 5 asks for at least 25 kinds of bad input."""
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)
    assert {case.adapter for case in CASES} == {
        "canonical",
        "magister",
        "somtoday",
        "eduarte",
        "dagverzuim",
    }
