"""The school configuration file (DOMAIN.md 4.1), read with ``tomllib`` and checked up front.

Every problem is collected and reported at once, naming the file and the key, so that a school
administrator can fix the file in one go. The melder's name and e-mail address are checked here
(V07) and the BRIN's form (V13), because every melding the school sends inherits them.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError
from gateway.model import (
    DEFAULT_LESSONS,
    Categorie,
    DateRange,
    Lesrooster,
    LessonSlot,
    Melder,
    SchoolConfig,
    Sector,
    Teksten,
)
from gateway.numbers import is_brin, is_vestiging

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SCHOOL_KEYS = {
    "brin",
    "vestiging",
    "naam",
    "sector",
    "mbo_telt_lesuren",
    "melden_18plus",
    "te_laat_signaal",
    "hele_dag_minuten",
}
_MELDER_KEYS = {"naam", "functie", "email", "telefoon"}
_TOP_KEYS = {"school", "melder", "redencodes", "vakanties", "teksten", "lesrooster"}
_TEKSTEN_KEYS = {"vermoedelijke_reden", "ondernomen_acties", "toelichting"}
WEEKDAGEN = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag")
_LESROOSTER_KEYS = {"standaard", *WEEKDAGEN}
_LES_KEYS = {"lesuur", "van", "tot"}
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def load_school(path: Path) -> SchoolConfig:
    """Read and check a school TOML file; raise ConfigError listing every problem found."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: schoolbestand niet gevonden") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: schoolbestand niet leesbaar: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: geen geldige TOML: {exc}") from None
    return parse_school(raw, source=str(path))


def parse_school(raw: Mapping[str, Any], source: str = "school.toml") -> SchoolConfig:
    """Check an already parsed school configuration; raise ConfigError listing every problem."""
    problems: list[str] = []
    _unknown_keys(raw, _TOP_KEYS, "", problems)
    school = _table(raw, "school", problems)
    melder_raw = _table(raw, "melder", problems)
    _unknown_keys(school, _SCHOOL_KEYS, "school.", problems)
    _unknown_keys(melder_raw, _MELDER_KEYS, "melder.", problems)

    brin = str(school.get("brin", "")).strip()
    if not is_brin(brin):
        problems.append(
            "school.brin: verwacht 2 cijfers + 2 hoofdletters/cijfers, bijv. 99XX (V13)"
        )
    vestiging = str(school.get("vestiging", "00")).strip()
    if not is_vestiging(vestiging):
        problems.append("school.vestiging: verwacht 2 cijfers, bijv. 00 (V13)")
    naam = str(school.get("naam", "")).strip()
    if not naam:
        problems.append("school.naam: ontbreekt")
    sector = _sector(school.get("sector"), problems)
    mbo_telt_lesuren = _bool(school, "mbo_telt_lesuren", False, "school.", problems)
    melden_18plus = _bool(school, "melden_18plus", True, "school.", problems)
    te_laat_signaal = _int(school, "te_laat_signaal", 0, 0, 1000, problems)
    hele_dag_minuten: int | None = None
    if "hele_dag_minuten" in school:
        hele_dag_minuten = _int(school, "hele_dag_minuten", 0, 1, 720, problems)

    melder = _melder(melder_raw, problems)
    redencodes = _redencodes(raw.get("redencodes", {}), problems)
    vakanties = _vakanties(raw.get("vakanties", []), problems)
    teksten = _teksten(raw.get("teksten"), problems)
    lesrooster = _lesrooster(raw.get("lesrooster"), problems)

    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    assert sector is not None
    return SchoolConfig(
        brin=brin,
        vestiging=vestiging,
        naam=naam,
        sector=sector,
        melder=melder,
        mbo_telt_lesuren=mbo_telt_lesuren,
        melden_18plus=melden_18plus,
        te_laat_signaal=te_laat_signaal,
        hele_dag_minuten=hele_dag_minuten,
        redencodes=redencodes,
        vakanties=vakanties,
        teksten=teksten,
        lesrooster=lesrooster,
    )


def _table(raw: Mapping[str, Any], key: str, problems: list[str]) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        problems.append(f"[{key}]: tabel ontbreekt")
        return {}
    return value


def _unknown_keys(
    table: Mapping[str, Any], known: set[str], prefix: str, problems: list[str]
) -> None:
    for key in sorted(set(table) - known):
        problems.append(
            f"{prefix}{key}: onbekende sleutel (toegestaan: {', '.join(sorted(known))})"
        )


def _sector(value: Any, problems: list[str]) -> Sector | None:
    try:
        return Sector(str(value).lower())
    except ValueError:
        problems.append("school.sector: verwacht een van po, so, vo, vso, mbo")
        return None


def _bool(
    table: Mapping[str, Any], key: str, default: bool, prefix: str, problems: list[str]
) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        problems.append(f"{prefix}{key}: verwacht true of false")
        return default
    return value


def _int(
    table: Mapping[str, Any], key: str, default: int, low: int, high: int, problems: list[str]
) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"school.{key}: verwacht een geheel getal van {low} tot en met {high}")
        return default
    return value


def _melder(raw: Mapping[str, Any], problems: list[str]) -> Melder:
    """V07: the melder's name and a valid e-mail address are required; lengths of DOMAIN.md 3.3."""
    naam = str(raw.get("naam", "")).strip()
    email = str(raw.get("email", "")).strip()
    functie = str(raw.get("functie", "")).strip()
    telefoon = str(raw.get("telefoon", "")).strip()
    if not naam or len(naam) > 100:
        problems.append("melder.naam: verplicht, hoogstens 100 tekens (V07)")
    if not _EMAIL.fullmatch(email) or len(email) > 100:
        problems.append(
            "melder.email: verplicht, een geldig e-mailadres van hoogstens 100 tekens (V07)"
        )
    if len(functie) > 60:
        problems.append("melder.functie: hoogstens 60 tekens")
    if telefoon and not re.fullmatch(r"\+?[0-9 \-]{6,20}", telefoon):
        problems.append("melder.telefoon: alleen cijfers, spaties, - en een voorloop-+")
    return Melder(naam=naam, email=email, functie=functie, telefoon=telefoon)


def _redencodes(raw: Any, problems: list[str]) -> tuple[tuple[str, Categorie], ...]:
    if not isinstance(raw, Mapping):
        problems.append("[redencodes]: verwacht een tabel code = categorie")
        return ()
    mapped: list[tuple[str, Categorie]] = []
    allowed = ", ".join(c.value for c in Categorie)
    for code, value in raw.items():
        try:
            mapped.append((str(code), Categorie(str(value).upper())))
        except ValueError:
            problems.append(f"redencodes.{code}: onbekende categorie, kies uit {allowed}")
    return tuple(sorted(mapped))


def _vakanties(raw: Any, problems: list[str]) -> tuple[DateRange, ...]:
    if not isinstance(raw, list):
        problems.append("[[vakanties]]: verwacht een lijst van tabellen met van en tot")
        return ()
    ranges: list[DateRange] = []
    for index, item in enumerate(raw, start=1):
        where = f"vakanties[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: verwacht een tabel met naam, van en tot")
            continue
        van = _date(item.get("van"))
        tot = _date(item.get("tot"))
        if van is None or tot is None:
            problems.append(f"{where}: van en tot zijn verplicht, als datum JJJJ-MM-DD")
            continue
        if tot < van:
            problems.append(f"{where}: tot ({tot}) ligt voor van ({van})")
            continue
        ranges.append(DateRange(van=van, tot=tot, naam=str(item.get("naam", ""))))
    return tuple(sorted(ranges, key=lambda r: (r.van, r.tot)))


def _date(value: Any) -> dt.date | None:
    """A TOML date or a ``JJJJ-MM-DD`` string; a date-time, ``20241019`` or a week date is not."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _teksten(raw: Any, problems: list[str]) -> Teksten | None:
    """``[teksten]``: default texts for proposed meldingen, checked like V04-V06."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(
            "[teksten]: verwacht een tabel met vermoedelijke_reden en ondernomen_acties"
        )
        return None
    _unknown_keys(raw, _TEKSTEN_KEYS, "teksten.", problems)
    reden = str(raw.get("vermoedelijke_reden", "")).strip()
    acties = str(raw.get("ondernomen_acties", "")).strip()
    toelichting = str(raw.get("toelichting", "")).strip()
    if not reden or len(reden) > 200:
        problems.append("teksten.vermoedelijke_reden: verplicht, hoogstens 200 tekens (V05)")
    if not acties or len(acties) > 3000:
        problems.append("teksten.ondernomen_acties: verplicht, hoogstens 3000 tekens (V04)")
    if len(toelichting) > 3000:
        problems.append("teksten.toelichting: hoogstens 3000 tekens (V06)")
    return Teksten(reden, acties, toelichting)


def _lesrooster(raw: Any, problems: list[str]) -> Lesrooster:
    """``[lesrooster]``: the lesson slots of the school day (DOMAIN.md 5), optional.

    ``standaard`` is the day of every weekday without a key of its own (default:
    ``DEFAULT_LESSONS``); ``maandag`` .. ``vrijdag`` override it, ``[]`` meaning no lessons.
    """
    if raw is None:
        return Lesrooster()
    if not isinstance(raw, Mapping):
        problems.append(
            "[lesrooster]: verwacht een tabel met standaard en/of maandag .. vrijdag, "
            'elk een lijst van {lesuur = 1, van = "08:30", tot = "09:20"}'
        )
        return Lesrooster()
    _unknown_keys(raw, _LESROOSTER_KEYS, "lesrooster.", problems)
    standaard = DEFAULT_LESSONS
    if "standaard" in raw:
        standaard = _lesdag(raw["standaard"], "lesrooster.standaard", problems)
        if raw["standaard"] == []:
            problems.append("lesrooster.standaard: verwacht minstens een lesuur")
    dagen = tuple(
        _lesdag(raw[dag], f"lesrooster.{dag}", problems) if dag in raw else standaard
        for dag in WEEKDAGEN
    )
    return Lesrooster(dagen)


def _lesdag(raw: Any, where: str, problems: list[str]) -> tuple[LessonSlot, ...]:
    """One day of the timetable: lessons 1-12, each once, ascending, ``van`` before ``tot``, in
    time order without overlap (a break between lessons is fine)."""
    if not isinstance(raw, list):
        problems.append(f'{where}: verwacht een lijst van {{lesuur = 1, van = "08:30", tot = ...}}')
        return ()
    slots: list[LessonSlot] = []
    for index, item in enumerate(raw, start=1):
        at = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{at}: verwacht een tabel met lesuur, van en tot")
            continue
        _unknown_keys(item, _LES_KEYS, f"{at}.", problems)
        lesuur = item.get("lesuur")
        if isinstance(lesuur, bool) or not isinstance(lesuur, int) or not 1 <= lesuur <= 12:
            problems.append(f"{at}.lesuur: verwacht een geheel getal van 1 tot en met 12")
            lesuur = None
        van = _clock(item.get("van"), f"{at}.van", problems)
        tot = _clock(item.get("tot"), f"{at}.tot", problems)
        if van is not None and tot is not None and tot <= van:
            problems.append(f"{at}.tot: {tot:%H:%M} ligt niet na van ({van:%H:%M})")
            continue
        if lesuur is None or van is None or tot is None:
            continue
        if slots and lesuur in (slot[0] for slot in slots):
            problems.append(f"{at}.lesuur: lesuur {lesuur} komt al eerder voor op deze dag")
            continue
        if slots and lesuur < slots[-1][0]:
            problems.append(
                f"{at}.lesuur: lesuur {lesuur} staat na lesuur {slots[-1][0]} "
                "(lesuren in oplopende volgorde)"
            )
            continue
        if slots and van < slots[-1][2]:
            problems.append(
                f"{at}.van: {van:%H:%M} ligt voor het einde van lesuur {slots[-1][0]} "
                f"({slots[-1][2]:%H:%M}), lesuren mogen niet overlappen"
            )
            continue
        slots.append((lesuur, van, tot))
    return tuple(slots)


def _clock(value: Any, where: str, problems: list[str]) -> dt.time | None:
    """A time of day as ``"UU:MM"`` (or a TOML local time of whole minutes)."""
    if isinstance(value, dt.time) and value.tzinfo is None:
        if value.second == 0 and value.microsecond == 0:
            return value
    elif isinstance(value, str) and (match := _CLOCK.fullmatch(value.strip())):
        return dt.time(int(match.group(1)), int(match.group(2)))
    problems.append(f'{where}: verwacht een tijd "UU:MM", bijv. "08:30"')
    return None
