"""The builders (gateway/messages/build.py): canonical model -> validated lxml element, with the
header from arguments, metacharacters escaped by lxml, and the rules the schema cannot state
(V01, V02, V11) refused with the element path and never with the pupil's number."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from lxml import etree

from gateway.errors import MessageError
from gateway.messages import (
    Intrekking,
    Leerling,
    MeldingInhoud,
    MeldingMutatie,
    RedenIntrekking,
    build_intrekking,
    build_melden,
    build_mutatie,
    read_request,
    xsd_dir,
)
from gateway.messages.commands import Operation, build_document
from gateway.messages.namespaces import NS_VERZUIM, q
from gateway.model import (
    Eenheid,
    Melder,
    Melding,
    SchoolConfig,
    Sector,
    Soort,
    Student,
    VerzuimDag,
    Wijziging,
    WireCode,
)
from gateway.xml import canonical, to_bytes

EXAMPLES = xsd_dir() / "examples"
SCHOOL = SchoolConfig(
    brin="99XX",
    vestiging="01",
    naam="Voorbeeldcollege",
    sector=Sector.VO,
    melder=Melder(
        naam="M. de Vries",
        email="verzuim@voorbeeldcollege.example",
        functie="Verzuimcoördinator",
        telefoon="030-1234567",
    ),
)
NOW = dt.datetime(2024, 9, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
ID = uuid.UUID("3f0c9a52-6d1e-4b8e-9a51-0c2d7e4f1a01")
BSN = "111222333"
STUDENT = Student(leerlingnummer="1", geboortedatum=dt.date(2010, 1, 1), bsn=BSN)
MELDING = Melding(
    leerlingnummer="1",
    soort=Soort.ZESTIEN_UUR,
    code=WireCode.V3,
    begindatum=dt.date(2024, 9, 2),
    einddatum=dt.date(2024, 9, 4),
    eenheid=Eenheid.LESUREN,
    uren=18.0,
    uiterste_meldingsdatum=dt.date(2024, 9, 11),
    regels=("R-16U",),
    dagen=(VerzuimDag(dt.date(2024, 9, 2), True, (), 6.0),),
)
INHOUD = MeldingInhoud(vermoedelijke_reden="Ziek gemeld", ondernomen_acties="Ouders gebeld")


def _build(**changes: object) -> etree._Element:
    arguments: dict[str, object] = {
        "melding": MELDING,
        "student": STUDENT,
        "school": SCHOOL,
        "inhoud": INHOUD,
        "document_id": ID,
        "now": NOW,
    }
    arguments.update(changes)
    return build_melden(**arguments)  # type: ignore[arg-type]


def _strip_blank(element: etree._Element) -> etree._Element:
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)
    return etree.fromstring(etree.tostring(element), parser)


def test_build_from_the_example_json_equals_the_example_document() -> None:
    """C14N comparison: the shipped example is exactly what `verzuim build` makes."""
    data = json.loads((EXAMPLES / "melding.json").read_text(encoding="utf-8"))
    built = build_document(
        SCHOOL,
        data,
        Operation.MELDEN,
        document_id="3f0c9a52-6d1e-4b8e-9a51-0c2d7e4f1a01",
        now=dt.datetime(2024, 9, 5, 7, 30, tzinfo=dt.UTC),
    )
    example = etree.parse(str(EXAMPLES / "MeldenRelatiefVerzuim.xml")).getroot()
    assert canonical(built) == canonical(_strip_blank(example))
    changed = build_document(
        SCHOOL,
        {**data, "toelichting": "anders"},
        Operation.MELDEN,
        document_id="3f0c9a52-6d1e-4b8e-9a51-0c2d7e4f1a01",
        now=dt.datetime(2024, 9, 5, 7, 30, tzinfo=dt.UTC),
    )
    assert canonical(changed) != canonical(_strip_blank(example))


def test_header_comes_from_the_arguments() -> None:
    root = _build(sender="00000007123456789000", receiver="DUO")
    assert root.findtext(q("IdentificatiecodeBedrijfsdocument")) == str(ID)
    assert root.findtext(q("VerzendendeInstantie")) == "00000007123456789000"
    assert root.findtext(q("DatumTijdBedrijfsdocument")) == "2024-09-05T07:30:00Z"
    assert _build().findtext(q("VerzendendeInstantie")) == "99XX"


def test_metacharacters_are_escaped_by_lxml() -> None:
    reden = '<b>ziek</b> & "zo" ]]> \'n 😀'
    root = _build(inhoud=MeldingInhoud(vermoedelijke_reden=reden, ondernomen_acties="a & b"))
    data = to_bytes(root)
    assert b"&lt;b&gt;ziek&lt;/b&gt; &amp;" in data
    assert b"<b>" not in data
    assert read_request(data).inhoud.vermoedelijke_reden == reden  # type: ignore[union-attr]


def test_naive_now_is_refused() -> None:
    with pytest.raises(MessageError, match="tijdzone"):
        _build(now=dt.datetime(2024, 9, 5, 9, 30))


def test_pupil_without_valid_number_is_refused_without_the_number() -> None:
    bad = Student(leerlingnummer="1", geboortedatum=dt.date(2010, 1, 1), bsn="123456789")
    with pytest.raises(MessageError, match="V01") as caught:
        _build(student=bad)
    assert "123456789" not in str(caught.value)
    assert caught.value.issues[0].path == "/MeldenRelatiefVerzuim/Leerling"


def test_onderwijsnummer_is_used_without_bsn() -> None:
    root = _build(student=Leerling(onderwijsnummer="101234503"))
    leerling = root.find(q("Leerling"))
    assert leerling is not None
    assert [etree.QName(child).localname for child in leerling] == ["Onderwijsnummer"]


def test_schema_errors_carry_the_path_but_not_the_identity_value() -> None:
    """A BSN-like value that fails the schema (here in the BRIN-bearing sender) is not quoted."""
    with pytest.raises(MessageError) as caught:
        _build(sender=BSN + "1")
    assert caught.value.issues[0].path == "/MeldenRelatiefVerzuim/VerzendendeInstantie"
    assert BSN not in str(caught.value)


def test_zestien_uur_without_einddatum_is_refused() -> None:
    open_melding = Melding(**{**_fields(MELDING), "einddatum": None})
    with pytest.raises(MessageError, match="V02"):
        _build(melding=open_melding)
    lrv = Melding(
        **{**_fields(MELDING), "einddatum": None, "code": WireCode.LRV, "soort": Soort.LRV}
    )
    assert _build(melding=lrv).find(q("Einddatum")) is None


def test_actie_gewenst_nee_needs_an_explanation() -> None:
    with pytest.raises(MessageError, match="V11"):
        _build(inhoud=MeldingInhoud("Ziek", "Gebeld", actie_gewenst=False))
    explained = MeldingInhoud(
        "Ziek", "Gebeld", actie_gewenst=False, toelichting_actie_gewenst="Zorg"
    )
    assert _build(inhoud=explained).findtext(q("ActieGewenst")) == "N"


def test_too_long_text_is_refused_with_its_path() -> None:
    with pytest.raises(MessageError) as caught:
        _build(inhoud=MeldingInhoud("x" * 201, "Gebeld"))
    assert caught.value.issues[0].path == "/MeldenRelatiefVerzuim/VermoedelijkeReden"
    assert "200" in caught.value.issues[0].message


def test_whole_day_carries_no_lesson_numbers() -> None:
    day = VerzuimDag(dt.date(2024, 9, 2), True, (1, 2), 6.0)
    root = _build(melding=Melding(**{**_fields(MELDING), "dagen": (day,)}))
    assert root.find(f".//{q('Lesuur')}") is None
    assert root.findtext(f".//{q('HeleDag')}") == "J"


def test_lesson_days_keep_the_hours_last() -> None:
    day = VerzuimDag(dt.date(2024, 9, 3), False, (2, 5), 2.0)
    root = _build(melding=Melding(**{**_fields(MELDING), "dagen": (day,)}))
    dag = root.find(f".//{q('Verzuimdag')}")
    assert dag is not None
    assert [etree.QName(child).localname for child in dag] == [
        "Datum",
        "Lesuur",
        "Lesuur",
        "AantalUren",
    ]


def test_documents_do_not_share_elements() -> None:
    """The template is copied, never handed out: two builds are independent trees."""
    one, two = _build(), _build(inhoud=MeldingInhoud("Anders", "Gebeld"))
    assert one.findtext(q("VermoedelijkeReden")) == "Ziek gemeld"
    assert two.findtext(q("VermoedelijkeReden")) == "Anders"
    assert len(one.nsmap) == 1 and one.nsmap["vz"] == NS_VERZUIM


def test_mutatie_from_r_einde() -> None:
    wijziging = Wijziging(
        "1", WireCode.LRV, dt.date(2024, 9, 2), dt.date(2024, 10, 11), ("R-EINDE",), "77"
    )
    root = build_mutatie(MeldingMutatie.from_wijziging(wijziging), SCHOOL, document_id=ID, now=NOW)
    assert root.findtext(q("NummerMeldingRelatiefVerzuim")) == "77"
    assert root.findtext(f"{q('Wijziging')}/{q('Einddatum')}") == "2024-10-11"


def test_empty_mutatie_is_refused() -> None:
    with pytest.raises(MessageError, match="mutatie zonder wijziging"):
        build_mutatie(MeldingMutatie(nummer="77"), SCHOOL, document_id=ID, now=NOW)


def test_intrekking_sends_status_i_and_the_reason() -> None:
    root = build_intrekking(
        Intrekking("77", RedenIntrekking.DUBBEL), SCHOOL, document_id=ID, now=NOW
    )
    assert root.findtext(f"{q('Intrekking')}/{q('StatusMelding')}") == "I"
    assert root.findtext(f"{q('Intrekking')}/{q('RedenIntrekking')}") == "DUBBEL"


def _fields(melding: Melding) -> dict[str, object]:
    return {name: getattr(melding, name) for name in Melding.__slots__}  # type: ignore[attr-defined]


def test_long_specification_beyond_the_prebuilt_days() -> None:
    """More days than the templates hold (31) are appended; order and content are kept."""
    start = dt.date(2024, 9, 2)
    days = tuple(
        VerzuimDag(
            start + dt.timedelta(days=n), n % 3 == 0, () if n % 3 == 0 else (1, n % 12 + 1), 2.5
        )
        for n in range(40)
    )
    lrv = Melding(**{**_fields(MELDING), "code": WireCode.LRV, "soort": Soort.LRV, "dagen": days})
    back = read_request(to_bytes(_build(melding=lrv)))
    assert back.dagen == days  # type: ignore[union-attr]


@pytest.mark.parametrize("field", ["brin", "vestiging"])
def test_control_character_in_school_values_is_a_message_error(field: str) -> None:
    school = SchoolConfig(**{**_school_fields(), field: "99\x01X"})  # type: ignore[arg-type]
    with pytest.raises(MessageError, match="V06"):
        _build(school=school)
    with pytest.raises(MessageError, match="V06"):
        build_mutatie(MeldingMutatie("77", toelichting="x"), school, document_id=ID, now=NOW)


def test_control_character_in_sender_or_number_is_a_message_error() -> None:
    with pytest.raises(MessageError, match="V06"):
        _build(sender="99X\x00")
    with pytest.raises(MessageError, match="V06"):
        build_intrekking(
            Intrekking("7\x1b7", RedenIntrekking.DUBBEL), SCHOOL, document_id=ID, now=NOW
        )


def _school_fields() -> dict[str, object]:
    return {name: getattr(SCHOOL, name) for name in SchoolConfig.__slots__}  # type: ignore[attr-defined]
