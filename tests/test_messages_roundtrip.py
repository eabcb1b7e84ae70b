"""Round trips (issue 3): for generated meldingen, changes, withdrawals, requests for changes and
answers, build -> validate -> serialise -> safe parse -> typed result gives the same values;
texts with XML metacharacters, quotes, non-ASCII and emoji survive; control characters are
refused with the element path (DOMAIN.md 3.3, V06)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import MessageError
from gateway.messages import (
    Adres,
    Contactpersoon,
    Fout,
    Intrekking,
    Leerling,
    Leerweg,
    MeldingInhoud,
    MeldingMutatie,
    Onderwijsdeelname,
    RedenAfsluiting,
    RedenIntrekking,
    SoortOnderwijs,
    Verzuimgeval,
    build_aanvraag,
    build_bevestiging,
    build_foutmelding,
    build_intrekking,
    build_levering_meldingen,
    build_levering_nummer,
    build_melden,
    build_mutatie,
    read_answer,
    read_request,
)
from gateway.model import (
    DuoStatus,
    Eenheid,
    Melder,
    Melding,
    SchoolConfig,
    Sector,
    Soort,
    VerzuimDag,
    WireCode,
)
from gateway.xml import to_bytes

SOORT = {
    WireCode.V3: Soort.ZESTIEN_UUR,
    WireCode.V4: Soort.ZESTIEN_UUR,
    WireCode.LRV: Soort.LRV,
    WireCode.RMC: Soort.RMC,
    WireCode.L: Soort.LUXE,
    WireCode.O: Soort.OVERIG,
}
XML_BLANK = " \t\n\r"
TRICKY = st.sampled_from(
    ["<", ">", "&", '"', "'", "]]>", "&amp;", "Ö", "ß", "ĳ", "😀", "👩‍🏫", "€"]
)


def _text(max_size: int, *, multiline: bool) -> st.SearchStrategy[str]:
    """Any XML-safe text without control characters (except tab/LF/CR in free text), not blank."""
    plain = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff")
    alphabet = st.one_of(plain, st.sampled_from("\t\n\r")) if multiline else plain
    pieces = st.lists(st.one_of(st.text(alphabet, max_size=8), TRICKY), min_size=1)
    return (
        pieces.map("".join)
        .map(lambda text: text[:max_size])
        .filter(lambda text: any(char not in XML_BLANK for char in text))
    )


def _nine_digits(prefix: str, remainder: int) -> st.SearchStrategy[str]:
    """Numbers whose weighted sum (9..2, minus the last digit) leaves ``remainder`` mod 11."""

    def complete(body: str) -> str | None:
        total = sum(
            int(digit) * weight for digit, weight in zip(body, range(9, 1, -1), strict=True)
        )
        last = (total - remainder) % 11
        return body + str(last) if last < 10 else None

    digits = st.text("0123456789", min_size=8 - len(prefix), max_size=8 - len(prefix))
    return digits.map(lambda rest: complete(prefix + rest)).filter(
        lambda number: number is not None and number != "000000000"
    )  # type: ignore[return-value]


BSN = _nine_digits("", 0).filter(lambda number: not number.startswith("00"))
ONDERWIJSNUMMER = _nine_digits("10", 5)
LEERLING = st.one_of(
    BSN.map(lambda number: Leerling(bsn=number)),
    ONDERWIJSNUMMER.map(lambda number: Leerling(onderwijsnummer=number)),
)
DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
MOMENTS = st.datetimes(
    min_value=dt.datetime(2000, 1, 2), max_value=dt.datetime(2099, 12, 30), timezones=st.timezones()
)
UREN = st.integers(min_value=0, max_value=9_999_999).map(lambda hundredths: hundredths / 100)
EMAIL = st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,20}\.[a-z]{2,6}", fullmatch=True)
PHONE = st.from_regex(r"\+?[0-9][0-9 \-]{4,17}[0-9]", fullmatch=True)
NUMMER = st.from_regex(r"[0-9A-Z]{1,20}", fullmatch=True)


@st.composite
def dagen(draw: st.DrawFn) -> tuple[VerzuimDag, ...]:
    dates = draw(st.lists(DATES, max_size=12, unique=True))
    days = []
    for datum in dates:
        hele_dag = draw(st.booleans())
        lessons = () if hele_dag else tuple(draw(st.sets(st.integers(1, 12), max_size=12)))
        days.append(VerzuimDag(datum=datum, hele_dag=hele_dag, lesuren=lessons, uren=draw(UREN)))
    return tuple(days)


@st.composite
def meldingen(draw: st.DrawFn) -> Melding:
    code = draw(st.sampled_from(list(WireCode)))
    begindatum = draw(DATES)
    needs_end = code in (WireCode.V3, WireCode.V4)
    einddatum = draw(DATES) if needs_end else draw(st.none() | DATES)
    return Melding(
        leerlingnummer=draw(st.text(max_size=10)),
        soort=SOORT[code],
        code=code,
        begindatum=begindatum,
        einddatum=einddatum,
        eenheid=draw(st.sampled_from(list(Eenheid))),
        uren=draw(st.none() | UREN),
        uiterste_meldingsdatum=None,
        regels=("R-TEST",),
        herhaal=draw(st.booleans()),
        dagen=draw(dagen()),
    )


def _line(max_size: int) -> st.SearchStrategy[str]:
    return _text(max_size, multiline=False)


def _optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.just("") | strategy


MELDERS = st.builds(
    Melder,
    naam=_line(100),
    email=EMAIL,
    functie=_optional(_line(60)),
    telefoon=_optional(PHONE),
)
CONTACTS = st.builds(
    Contactpersoon,
    naam=_line(100),
    functie=_optional(_line(60)),
    telefoon=_optional(PHONE),
    email=_optional(EMAIL),
)
ADRESSEN = st.builds(
    Adres,
    straatnaam=_line(60),
    huisnummer=st.integers(1, 99999),
    postcode=st.from_regex(r"[1-9][0-9]{3}[A-Z]{2}", fullmatch=True),
    woonplaats=_line(60),
    toevoeging=_optional(st.from_regex(r"[0-9A-Za-z]{1,6}", fullmatch=True)),
)
DEELNAMES = st.builds(
    Onderwijsdeelname,
    soort_onderwijs=st.sampled_from(list(SoortOnderwijs)),
    leerjaar=st.none() | st.integers(1, 8),
    niveau=st.none() | st.integers(1, 4),
    leerweg=st.none() | st.sampled_from(list(Leerweg)),
    opleiding=_optional(_line(40)),
)


@st.composite
def inhouden(draw: st.DrawFn) -> MeldingInhoud:
    actie_gewenst = draw(st.booleans())
    return MeldingInhoud(
        vermoedelijke_reden=draw(_text(200, multiline=True)),
        ondernomen_acties=draw(_text(3000, multiline=True)),
        actie_gewenst=actie_gewenst,
        toelichting_actie_gewenst=draw(
            _optional(_text(3000, multiline=True)) if actie_gewenst else _text(3000, multiline=True)
        ),
        toelichting=draw(_optional(_text(3000, multiline=True))),
        melder=draw(st.none() | MELDERS),
        extra_contactpersoon=draw(st.none() | CONTACTS),
        telefoon_ouder_leerling=draw(_optional(PHONE)),
        afwijkend_adres=draw(st.none() | ADRESSEN),
        aanduiding_locatie=draw(_optional(_line(35))),
        onderwijsdeelname=draw(st.none() | DEELNAMES),
    )


SCHOOLS = st.builds(
    SchoolConfig,
    brin=st.from_regex(r"[0-9]{2}[A-Z0-9]{2}", fullmatch=True),
    vestiging=st.sampled_from(["", "00", "01", "17"]),
    naam=st.just("School"),
    sector=st.sampled_from(list(Sector)),
    melder=MELDERS,
)


@settings(max_examples=150, deadline=None)
@given(meldingen(), LEERLING, SCHOOLS, inhouden(), st.uuids(), MOMENTS)
def test_melding_round_trip(
    melding: Melding,
    leerling: Leerling,
    school: SchoolConfig,
    inhoud: MeldingInhoud,
    document_id: uuid.UUID,
    now: dt.datetime,
) -> None:
    element = build_melden(melding, leerling, school, inhoud, document_id=document_id, now=now)
    back = read_request(to_bytes(element))
    expected_inhoud = dataclasses.replace(inhoud, melder=inhoud.melder or school.melder)
    assert back.kop.document_id == str(document_id)
    assert back.kop.verzender == school.brin
    assert back.kop.ontvanger == "DUO"
    assert back.kop.datumtijd == now.astimezone(dt.UTC)  # the same instant, in UTC
    assert back.kop.datumtijd.utcoffset() == dt.timedelta(0)
    assert (back.brin, back.vestiging) == (school.brin, school.vestiging)
    assert back.leerling == leerling
    assert back.code is melding.code
    assert back.herhaal == melding.herhaal
    assert (back.begindatum, back.einddatum) == (melding.begindatum, melding.einddatum)
    assert back.eenheid is melding.eenheid
    assert back.uren == melding.uren
    assert back.dagen == melding.dagen
    assert back.inhoud == expected_inhoud


@settings(max_examples=60, deadline=None)
@given(
    st.builds(
        MeldingMutatie,
        nummer=NUMMER,
        einddatum=st.none() | DATES,
        vermoedelijke_reden=_optional(_text(200, multiline=True)),
        ondernomen_acties=_optional(_text(3000, multiline=True)),
        toelichting=_optional(_text(3000, multiline=True)),
    ).filter(
        lambda m: bool(m.einddatum or m.vermoedelijke_reden or m.ondernomen_acties or m.toelichting)
    ),
    SCHOOLS,
    st.uuids(),
    MOMENTS,
)
def test_mutatie_round_trip(
    mutatie: MeldingMutatie, school: SchoolConfig, document_id: uuid.UUID, now: dt.datetime
) -> None:
    element = build_mutatie(mutatie, school, document_id=document_id, now=now)
    back = read_request(to_bytes(element))
    assert back.wijziging == mutatie
    assert back.kop.datumtijd == now.astimezone(dt.UTC)


@settings(max_examples=40, deadline=None)
@given(
    st.builds(
        Intrekking,
        nummer=NUMMER,
        reden=st.sampled_from(list(RedenIntrekking)),
        toelichting=_optional(_text(200, multiline=True)),
    ),
    SCHOOLS,
    st.uuids(),
    MOMENTS,
    MOMENTS,
)
def test_intrekking_and_aanvraag_round_trip(
    intrekking: Intrekking,
    school: SchoolConfig,
    document_id: uuid.UUID,
    now: dt.datetime,
    selectiemoment: dt.datetime,
) -> None:
    back = read_request(
        to_bytes(build_intrekking(intrekking, school, document_id=document_id, now=now))
    )
    assert back.wijziging == intrekking
    aanvraag = read_request(
        to_bytes(build_aanvraag(school, selectiemoment, document_id=document_id, now=now))
    )
    assert aanvraag.selectiemoment == selectiemoment.astimezone(dt.UTC)


@st.composite
def gevallen(draw: st.DrawFn) -> Verzuimgeval:
    status = draw(st.sampled_from(list(DuoStatus)))
    return Verzuimgeval(
        nummer=draw(NUMMER),
        leerling=draw(LEERLING),
        code=draw(st.sampled_from(list(WireCode))),
        begindatum=draw(DATES),
        einddatum=draw(st.none() | DATES),
        status=status,
        reden_afsluiting=draw(st.sampled_from(list(RedenAfsluiting)))
        if status is DuoStatus.AFGESLOTEN
        else None,
        reden_intrekking=draw(st.sampled_from(list(RedenIntrekking)))
        if status is DuoStatus.INGETROKKEN
        else None,
        laatste_wijziging=draw(MOMENTS),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(gevallen(), max_size=6),
    st.lists(
        st.builds(
            Fout,
            code=st.from_regex(r"[0-9A-Za-z_\-.]{1,20}", fullmatch=True),
            omschrijving=_text(3000, multiline=True),
            element=_optional(_text(200, multiline=True)),
        ),
        min_size=1,
        max_size=4,
    ),
    st.uuids(),
    st.uuids(),
    MOMENTS,
    NUMMER,
    st.booleans(),
)
def test_answers_round_trip(
    items: list[Verzuimgeval],
    fouten: list[Fout],
    verzoek: uuid.UUID,
    document_id: uuid.UUID,
    now: dt.datetime,
    nummer: str,
    vervolg: bool,
) -> None:
    common = {"receiver": "99XX", "document_id": document_id, "now": now}
    dc0018 = read_answer(
        to_bytes(build_levering_nummer(verzoek_id=verzoek, nummer=nummer, **common))
    )
    assert (dc0018.verzoek_id, dc0018.nummer) == (str(verzoek), nummer)  # type: ignore[union-attr]
    dc0001 = read_answer(
        to_bytes(
            build_bevestiging(
                verzoek_id=verzoek, nummer=nummer, status=DuoStatus.INGETROKKEN, **common
            )
        )
    )
    assert dc0001.status is DuoStatus.INGETROKKEN  # type: ignore[union-attr]
    dc0002 = read_answer(to_bytes(build_foutmelding(fouten=fouten, verzoek_id=verzoek, **common)))
    assert dc0002.fouten == tuple(fouten)  # type: ignore[union-attr]
    dc0011 = read_answer(
        to_bytes(
            build_levering_meldingen(
                verzoek_id=verzoek,
                gevallen=items,
                volgend_selectiemoment=now,
                vervolg=vervolg,
                **common,
            )
        )
    )
    expected = tuple(
        dataclasses.replace(item, laatste_wijziging=item.laatste_wijziging.astimezone(dt.UTC))
        for item in items
    )
    assert dc0011.gevallen == expected  # type: ignore[union-attr]
    assert dc0011.volgend_selectiemoment == now.astimezone(dt.UTC)  # type: ignore[union-attr]
    assert dc0011.vervolg == vervolg  # type: ignore[union-attr]
    assert dc0011.kop.verzender == "DUO"


CONTROL_LINE = st.sampled_from([chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]])
CONTROL_BLOCK = CONTROL_LINE.filter(lambda char: char not in "\t\n\r")
TEXT_FIELDS = [
    ("vermoedelijke_reden", "VermoedelijkeReden", True),
    ("ondernomen_acties", "OndernomenActies", True),
    ("toelichting", "Toelichting", True),
    ("toelichting_actie_gewenst", "ToelichtingActieGewenst", True),
    ("aanduiding_locatie", "Onderwijsinstelling", False),
    ("telefoon_ouder_leerling", "TelefoonnummerOuderLeerling", False),
]


@settings(max_examples=120, deadline=None)
@given(
    meldingen(),
    inhouden(),
    st.sampled_from(TEXT_FIELDS),
    st.data(),
)
def test_control_characters_are_refused_with_the_path(
    melding: Melding, inhoud: MeldingInhoud, field: tuple[str, str, bool], data: st.DataObject
) -> None:
    name, element, multiline = field
    control = data.draw(CONTROL_BLOCK if multiline else CONTROL_LINE)
    text = data.draw(_line(30))
    position = data.draw(st.integers(0, len(text)))
    poisoned = dataclasses.replace(inhoud, **{name: text[:position] + control + text[position:]})
    school = SchoolConfig("99XX", "00", "School", Sector.VO, Melder("M", "m@school.example"))
    try:
        build_melden(
            melding,
            Leerling(bsn="111222333"),
            school,
            poisoned,
            document_id=uuid.UUID(int=1),
            now=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        )
    except MessageError as exc:
        assert "V06" in str(exc)
        assert element in exc.issues[0].path
        assert f"U+{ord(control):04X}" in exc.issues[0].message
    else:
        raise AssertionError("a control character was accepted")


@given(st.sampled_from(["naam", "functie"]), CONTROL_LINE)
def test_control_characters_in_melder_are_refused(field: str, control: str) -> None:
    melder = dataclasses.replace(Melder("M. de Vries", "m@school.example", "Mentor"))
    melder = dataclasses.replace(melder, **{field: f"a{control}b"})
    school = SchoolConfig("99XX", "00", "School", Sector.VO, melder)
    melding = Melding(
        "1", Soort.LRV, WireCode.LRV, dt.date(2024, 9, 2), None, Eenheid.KLOKUREN, None, None, ()
    )
    inhoud = MeldingInhoud("Onbekend", "Gebeld")
    try:
        build_melden(
            melding,
            Leerling(bsn="111222333"),
            school,
            inhoud,
            document_id=uuid.UUID(int=1),
            now=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        )
    except MessageError as exc:
        assert exc.issues[0].path.endswith(f"/Melder/{field.capitalize()}")
    else:
        raise AssertionError("a control character was accepted")
