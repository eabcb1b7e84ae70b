"""The melding JSON of ``verzuim build`` (format documented in ``xsd/examples/README.md``).

One JSON object: the fields of one ``meldingen`` item of ``verzuim precheck --format json`` (the
fields of ``gateway.model.Melding``), the pupil's ``bsn`` or ``onderwijsnummer``, and the texts
and contacts of DOMAIN.md 3.3. A change (``mutatie``) or withdrawal (``intrekken``) also names
DUO's melding number (``nummer``). Every problem is collected and reported at once as an
``InputError`` naming the key; the value of an identity field is never repeated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from gateway.errors import InputError
from gateway.messages.content import (
    Adres,
    Contactpersoon,
    Intrekking,
    Leerling,
    Leerweg,
    MeldingInhoud,
    MeldingMutatie,
    Onderwijsdeelname,
    RedenIntrekking,
    SoortOnderwijs,
)
from gateway.model import Eenheid, Melder, Melding, Soort, VerzuimDag, WireCode

MELDING_KEYS = frozenset(
    {
        "leerlingnummer",
        "soort",
        "code",
        "begindatum",
        "einddatum",
        "eenheid",
        "uren",
        "uiterste_meldingsdatum",
        "regels",
        "herhaal",
        "dagen",
    }
)
CONTENT_KEYS = frozenset(
    {
        "bsn",
        "onderwijsnummer",
        "vermoedelijke_reden",
        "ondernomen_acties",
        "actie_gewenst",
        "toelichting_actie_gewenst",
        "toelichting",
        "melder",
        "extra_contactpersoon",
        "telefoon_ouder_leerling",
        "afwijkend_adres",
        "aanduiding_locatie",
        "onderwijsdeelname",
    }
)
CHANGE_KEYS = frozenset({"nummer", "reden_intrekking", "toelichting_intrekking"})
ALL_KEYS = MELDING_KEYS | CONTENT_KEYS | CHANGE_KEYS
_E = TypeVar("_E", bound=StrEnum)
_DAY_KEYS = frozenset({"datum", "hele_dag", "lesuren", "uren"})
_MELDER_KEYS = frozenset({"naam", "email", "functie", "telefoon"})
_CONTACT_KEYS = frozenset({"naam", "functie", "telefoon", "email"})
_ADRES_KEYS = frozenset({"straatnaam", "huisnummer", "toevoeging", "postcode", "woonplaats"})
_DEELNAME_KEYS = frozenset({"soort_onderwijs", "leerjaar", "niveau", "leerweg", "opleiding"})


class _Reader:
    """Reads typed values from a JSON object and collects every problem by key."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def fail(self) -> None:
        if self.problems:
            raise InputError(f"{self.source}: " + "; ".join(self.problems))

    def keys(self, data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
        for key in sorted(set(data) - allowed):
            self.problems.append(f"{where}{key}: onbekende sleutel")

    def text(
        self, data: Mapping[str, Any], key: str, where: str = "", *, required: bool = False
    ) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.problems.append(f"{where}{key}: verplicht")
            return ""
        if not isinstance(value, str):
            self.problems.append(f"{where}{key}: verwacht tekst")
            return ""
        return value

    def date(
        self, data: Mapping[str, Any], key: str, where: str = "", *, required: bool = False
    ) -> dt.date | None:
        value = self.text(data, key, where, required=required)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.problems.append(f"{where}{key}: verwacht een datum JJJJ-MM-DD")
            return None

    def flag(self, data: Mapping[str, Any], key: str, default: bool, where: str = "") -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problems.append(f"{where}{key}: verwacht true of false")
            return default
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str = "") -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.append(f"{where}{key}: verwacht een getal")
            return None
        return float(value)

    def integer(self, data: Mapping[str, Any], key: str, where: str = "") -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.append(f"{where}{key}: verwacht een geheel getal")
            return None
        return value

    def table(
        self, data: Mapping[str, Any], key: str, allowed: frozenset[str]
    ) -> Mapping[str, Any] | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.problems.append(f"{key}: verwacht een object")
            return None
        self.keys(value, allowed, f"{key}.")
        return value


def melding_from_json(
    data: Mapping[str, Any], source: str = "melding.json"
) -> tuple[Melding, Leerling, MeldingInhoud]:
    """The melding, the pupil's identity and the content for ``MeldenRelatiefVerzuim``."""
    reader = _Reader(source)
    reader.keys(data, ALL_KEYS, "")
    melding = _melding(reader, data)
    leerling = Leerling(
        bsn=reader.text(data, "bsn"), onderwijsnummer=reader.text(data, "onderwijsnummer")
    )
    if not leerling.bsn and not leerling.onderwijsnummer:
        reader.problems.append("bsn / onderwijsnummer: een van beide is verplicht (V01)")
    inhoud = _inhoud(reader, data)
    reader.fail()
    assert melding is not None
    return melding, leerling, inhoud


def mutatie_from_json(data: Mapping[str, Any], source: str = "melding.json") -> MeldingMutatie:
    """The change for ``MutatieMeldingRelatiefVerzuim``: ``nummer`` plus whichever of
    ``einddatum``, ``vermoedelijke_reden``, ``ondernomen_acties``, ``toelichting`` is given."""
    reader = _Reader(source)
    reader.keys(data, ALL_KEYS, "")
    mutatie = MeldingMutatie(
        nummer=reader.text(data, "nummer", required=True),
        einddatum=reader.date(data, "einddatum"),
        vermoedelijke_reden=reader.text(data, "vermoedelijke_reden"),
        ondernomen_acties=reader.text(data, "ondernomen_acties"),
        toelichting=reader.text(data, "toelichting"),
    )
    reader.fail()
    return mutatie


def intrekking_from_json(data: Mapping[str, Any], source: str = "melding.json") -> Intrekking:
    """The withdrawal: ``nummer``, ``reden_intrekking`` (a code of ``RedenIntrekking``) and an
    optional ``toelichting_intrekking`` (V12)."""
    reader = _Reader(source)
    reader.keys(data, ALL_KEYS, "")
    nummer = reader.text(data, "nummer", required=True)
    code = reader.text(data, "reden_intrekking", required=True)
    reden: RedenIntrekking | None = None
    if code:
        try:
            reden = RedenIntrekking(code)
        except ValueError:
            allowed = ", ".join(item.value for item in RedenIntrekking)
            reader.problems.append(f"reden_intrekking: kies uit {allowed} (V12)")
    toelichting = reader.text(data, "toelichting_intrekking")
    reader.fail()
    assert reden is not None
    return Intrekking(nummer=nummer, reden=reden, toelichting=toelichting)


def _melding(reader: _Reader, data: Mapping[str, Any]) -> Melding | None:
    soort = _enum(reader, Soort, reader.text(data, "soort", required=True), "soort")
    code = _enum(reader, WireCode, reader.text(data, "code", required=True), "code")
    eenheid = _enum(reader, Eenheid, reader.text(data, "eenheid", required=True), "eenheid")
    begindatum = reader.date(data, "begindatum", required=True)
    regels = data.get("regels", [])
    if not isinstance(regels, list) or not all(isinstance(item, str) for item in regels):
        reader.problems.append("regels: verwacht een lijst van teksten")
        regels = []
    herhaal = reader.flag(data, "herhaal", False)
    dagen = _dagen(reader, data.get("dagen", []))
    if soort is None or code is None or eenheid is None or begindatum is None:
        return None
    return Melding(
        leerlingnummer=reader.text(data, "leerlingnummer"),
        soort=soort,
        code=code,
        begindatum=begindatum,
        einddatum=reader.date(data, "einddatum"),
        eenheid=eenheid,
        uren=reader.number(data, "uren"),
        uiterste_meldingsdatum=reader.date(data, "uiterste_meldingsdatum"),
        regels=tuple(regels),
        herhaal=herhaal,
        dagen=dagen,
    )


def _dagen(reader: _Reader, raw: Any) -> tuple[VerzuimDag, ...]:
    if not isinstance(raw, list):
        reader.problems.append("dagen: verwacht een lijst")
        return ()
    days: list[VerzuimDag] = []
    for index, item in enumerate(raw, start=1):
        where = f"dagen[{index}]."
        if not isinstance(item, Mapping):
            reader.problems.append(f"dagen[{index}]: verwacht een object")
            continue
        reader.keys(item, _DAY_KEYS, where)
        datum = reader.date(item, "datum", where, required=True)
        lesuren = item.get("lesuren", [])
        if not isinstance(lesuren, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in lesuren
        ):
            reader.problems.append(f"{where}lesuren: verwacht een lijst van lesuurnummers")
            lesuren = []
        uren = reader.number(item, "uren", where)
        if uren is None:
            reader.problems.append(f"{where}uren: verplicht")
        hele_dag = reader.flag(item, "hele_dag", False, where)
        if datum is not None and uren is not None:
            days.append(
                VerzuimDag(datum=datum, hele_dag=hele_dag, lesuren=tuple(lesuren), uren=uren)
            )
    return tuple(days)


def _inhoud(reader: _Reader, data: Mapping[str, Any]) -> MeldingInhoud:
    melder = reader.table(data, "melder", _MELDER_KEYS)
    contact = reader.table(data, "extra_contactpersoon", _CONTACT_KEYS)
    adres = reader.table(data, "afwijkend_adres", _ADRES_KEYS)
    deelname = reader.table(data, "onderwijsdeelname", _DEELNAME_KEYS)
    return MeldingInhoud(
        vermoedelijke_reden=reader.text(data, "vermoedelijke_reden", required=True),
        ondernomen_acties=reader.text(data, "ondernomen_acties", required=True),
        actie_gewenst=reader.flag(data, "actie_gewenst", True),
        toelichting_actie_gewenst=reader.text(data, "toelichting_actie_gewenst"),
        toelichting=reader.text(data, "toelichting"),
        melder=None
        if melder is None
        else Melder(
            naam=reader.text(melder, "naam", "melder.", required=True),
            email=reader.text(melder, "email", "melder.", required=True),
            functie=reader.text(melder, "functie", "melder."),
            telefoon=reader.text(melder, "telefoon", "melder."),
        ),
        extra_contactpersoon=None
        if contact is None
        else Contactpersoon(
            naam=reader.text(contact, "naam", "extra_contactpersoon.", required=True),
            functie=reader.text(contact, "functie", "extra_contactpersoon."),
            telefoon=reader.text(contact, "telefoon", "extra_contactpersoon."),
            email=reader.text(contact, "email", "extra_contactpersoon."),
        ),
        telefoon_ouder_leerling=reader.text(data, "telefoon_ouder_leerling"),
        afwijkend_adres=None if adres is None else _adres(reader, adres),
        aanduiding_locatie=reader.text(data, "aanduiding_locatie"),
        onderwijsdeelname=None if deelname is None else _deelname(reader, deelname),
    )


def _adres(reader: _Reader, raw: Mapping[str, Any]) -> Adres:
    where = "afwijkend_adres."
    huisnummer = reader.integer(raw, "huisnummer", where)
    if huisnummer is None:
        reader.problems.append(f"{where}huisnummer: verplicht")
    return Adres(
        straatnaam=reader.text(raw, "straatnaam", where, required=True),
        huisnummer=huisnummer or 0,
        postcode=reader.text(raw, "postcode", where, required=True),
        woonplaats=reader.text(raw, "woonplaats", where, required=True),
        toevoeging=reader.text(raw, "toevoeging", where),
    )


def _deelname(reader: _Reader, raw: Mapping[str, Any]) -> Onderwijsdeelname:
    where = "onderwijsdeelname."
    soort = _enum(
        reader,
        SoortOnderwijs,
        reader.text(raw, "soort_onderwijs", where, required=True),
        f"{where}soort_onderwijs",
    )
    leerweg_code = reader.text(raw, "leerweg", where)
    leerweg = _enum(reader, Leerweg, leerweg_code, f"{where}leerweg") if leerweg_code else None
    return Onderwijsdeelname(
        soort_onderwijs=soort or SoortOnderwijs.VO,
        leerjaar=reader.integer(raw, "leerjaar", where),
        niveau=reader.integer(raw, "niveau", where),
        leerweg=leerweg,
        opleiding=reader.text(raw, "opleiding", where),
    )


def _enum(reader: _Reader, kind: type[_E], value: str, key: str) -> _E | None:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        reader.problems.append(f"{key}: kies uit {', '.join(item.value for item in kind)}")
        return None
