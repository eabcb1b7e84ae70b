"""From registrations to day facts: F1 (minutes, duplicates), F2 (what counts) and F3 (unit).

Registrations travel between the readers and the rule book as a polars DataFrame with the columns
of ``REGISTRATION_SCHEMA`` (times as minutes after midnight, local time). ``day_facts`` reduces
them to one ``DayFact`` per pupil and date that has something the rules look at, so that millions
of lesson rows become a few hundred thousand pupil-days. The schooldag and obligation parts of F2
are applied by ``PupilTimeline``, which knows the calendar and the birth date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from typing import NamedTuple

import polars as pl

from gateway.model import Categorie, DayFact, Eenheid, Registration, Status

STATUS = pl.Enum([status.value for status in Status])
GEOORLOOFD = pl.Enum(["", "J", "N"])  # "" = not yet known
CATEGORIE = pl.Enum(["", *(categorie.value for categorie in Categorie)])
REGISTRATION_SCHEMA: dict[str, pl.DataType] = {
    "leerlingnummer": pl.Categorical(),  # compact: millions of rows, thousands of pupils
    "datum": pl.Date(),
    "begin": pl.Int16(),  # minutes after midnight
    "eind": pl.Int16(),
    "status": STATUS,
    "geoorloofd": GEOORLOOFD,
    "categorie": CATEGORIE,
    "lesuur": pl.Int8(),  # 1-12 or null
    "volgorde": pl.Int64(),  # input position; frames are kept in this order (F1: later wins)
}
MAX_MINUTES = 720  # F1
LESUUR_MINUTES = 60  # F3


@dataclass(frozen=True, slots=True)
class DayFacts:
    """Day facts per leerlingnummer (dates ascending) and the rows ignored after the peildatum."""

    per_pupil: dict[str, list[DayFact]]
    after_peildatum: int


def minutes_problem(begin: int, end: int) -> str | None:
    """F1: a registration lasts 1 to 720 minutes (``eindtijd - begintijd``)."""
    minutes = end - begin
    if minutes < 1:
        return "eindtijd ligt niet na de begintijd (F1)"
    if minutes > MAX_MINUTES:
        return f"registratie duurt {minutes} minuten, meer dan {MAX_MINUTES} (F1)"
    return None


def registration_frame(registrations: Iterable[Registration]) -> pl.DataFrame:
    """The frame of already-typed registrations (API payloads, tests), in the given order.

    The caller has applied F1 (``minutes_problem``) to each registration.
    """
    rows = [
        (
            reg.leerlingnummer,
            reg.datum,
            reg.begintijd.hour * 60 + reg.begintijd.minute,
            reg.eindtijd.hour * 60 + reg.eindtijd.minute,
            reg.status.value,
            "" if reg.geoorloofd is None else ("J" if reg.geoorloofd else "N"),
            "" if reg.categorie is None else reg.categorie.value,
            reg.lesuur,
            index,
        )
        for index, reg in enumerate(registrations)
    ]
    return pl.DataFrame(rows, schema=REGISTRATION_SCHEMA, orient="row")


def last_date(frame: pl.DataFrame) -> dt.date | None:
    """The default peildatum: the last date in the registrations (DOMAIN.md 4.3)."""
    value = frame.get_column("datum").max()
    return value if isinstance(value, dt.date) else None


_LESSON_BITS = pl.Series([(1 << n) if n else 0 for n in range(13)], dtype=pl.Int32)


def _lesson_bit(lesuur: pl.Expr) -> pl.Expr:
    """Bit ``n`` for lesson number ``n`` (0 when unknown), so lessons aggregate with bitwise or.

    Looked up by position in the 13 values (lesson numbers are 1-12), cheaper than a mapping.
    """
    return pl.lit(_LESSON_BITS).gather(lesuur.fill_null(0).cast(pl.Int32))


def _registration_key() -> pl.Expr:
    """(pupil, date, begin, end) packed into one unsigned 64-bit number, ordered like the tuple.

    Pupil: the categorical's code (24 bits); date: days after 1 Jan 1970 plus 65,536 (17 bits,
    1790-2149); begin and end: minutes (11 bits each).
    """
    pupil = pl.col("leerlingnummer").to_physical().cast(pl.UInt64)
    day = (pl.col("datum").cast(pl.Int32) + 65_536).cast(pl.UInt64)
    begin = pl.col("begin").cast(pl.UInt64)
    end = pl.col("eind").cast(pl.UInt64)
    return ((pupil * 2**17 + day) * 2**11 + begin) * 2**11 + end


def _without_duplicates(frame: pl.DataFrame) -> pl.DataFrame:
    """F1: identical registrations (same pupil, date, begin and end) count once; the later row
    (in input order) wins.

    Exports usually list each pupil's registrations together and in time order; when every
    pupil's rows form one stretch in which (date, begin, end) strictly increases, no two rows are
    identical, which one cheap pass shows. (This does not depend on the order of the
    categorical's codes, which blocks read side by side assign in no fixed order.) Otherwise the
    last row of each key is kept.
    """
    if frame.height == 0 or not isinstance(frame.schema["leerlingnummer"], pl.Categorical):
        return frame.unique(subset=["leerlingnummer", "datum", "begin", "eind"], keep="last",
                            maintain_order=True)  # fmt: skip
    pupil = pl.col("leerlingnummer").to_physical()
    same_pupil = (pupil == pupil.shift()).fill_null(False)
    moment = (pl.col("datum").cast(pl.Int64) * 2**11 + pl.col("begin")) * 2**11 + pl.col("eind")
    in_order = frame.select(
        ((~same_pupil).sum() == pupil.n_unique())  # one stretch per pupil
        & ~(same_pupil & (moment.diff() <= 0)).any()
    ).item()
    if in_order:
        return frame
    return frame.filter(_registration_key().is_last_distinct())


class RegistrationTerms(NamedTuple):
    """The per-registration expressions of F2 and F3, shared by ``day_facts`` and
    ``classify_registrations`` so that an explanation can never count differently."""

    minutes: pl.Expr  # F1: eindtijd - begintijd
    weight: pl.Expr  # F3: unit-minutes
    counted: pl.Expr  # F2 (without the schooldag and obligation tests)
    luxe: pl.Expr  # R-LUXE
    late: pl.Expr  # R-SIGNAAL
    present: pl.Expr  # F6: AANWEZIG or TE_LAAT


def registration_terms(eenheid: Eenheid) -> RegistrationTerms:
    """F2/F3 as polars expressions over the columns of ``REGISTRATION_SCHEMA``."""
    minutes = (pl.col("eind") - pl.col("begin")).cast(pl.Int32)
    weight = (
        pl.max_horizontal(minutes, pl.lit(LESUUR_MINUTES, pl.Int32))
        if eenheid is Eenheid.LESUREN
        else minutes
    )
    absent = pl.col("status").is_in([Status.AFWEZIG.value, Status.VERWIJDERD.value]) & (
        pl.col("geoorloofd") != "J"
    )
    luxe = absent & (pl.col("categorie") == "LUXE")
    counted = absent & (pl.col("categorie") != "LUXE")
    late = (pl.col("status") == Status.TE_LAAT.value) & (pl.col("geoorloofd") != "J")
    present = pl.col("status").is_in([Status.AANWEZIG.value, Status.TE_LAAT.value])
    return RegistrationTerms(minutes, weight, counted, luxe, late, present)


def classify_registrations(frame: pl.DataFrame, eenheid: Eenheid) -> pl.DataFrame:
    """Every registration of ``frame`` with what F1-F3 make of it, for explanations (not used by
    the pre-check itself): the input columns plus ``minuten``, ``gewicht`` (unit-minutes, F3),
    ``telt`` (F2 apart from the schooldag and obligation tests), ``luxe``, ``te_laat``,
    ``aanwezig`` and ``dubbel`` (F1: an identical later row replaced this one), in input order.
    """
    terms = registration_terms(eenheid)
    kept = _without_duplicates(frame).get_column("volgorde")
    return frame.sort("volgorde").with_columns(
        minuten=terms.minutes,
        gewicht=terms.weight,
        telt=terms.counted,
        luxe=terms.luxe,
        te_laat=terms.late,
        aanwezig=terms.present,
        dubbel=~pl.col("volgorde").is_in(kept.implode()),
    )


def day_facts(frame: pl.DataFrame, eenheid: Eenheid, peildatum: dt.date) -> DayFacts:
    """Reduce registrations to day facts up to the peildatum.

    F1: identical registrations (same pupil, date, begin and end) count once, the later row wins.
    F2: absent (AFWEZIG or VERWIJDERD) and not excused (geoorloofd N or empty) counts, unless the
    categorie is LUXE (then R-LUXE reports it); TE_LAAT never counts but feeds R-SIGNAAL when not
    excused. F3: in lesuren a lesson of at most 60 minutes weighs 60, a longer one its minutes; in
    klokuren every registration weighs its minutes. Only pupil-days with counted absence, luxe
    absence or late arrivals are returned.
    """
    after = frame.filter(pl.col("datum") > peildatum).height
    minutes, weight, counted, luxe, late, present = registration_terms(eenheid)
    bit = _lesson_bit(pl.col("lesuur"))
    zero = pl.lit(0, pl.Int32)
    # (pupil, date) packed into one number, like ``_registration_key``: one integer key to group
    # on, and sorting on it puts each pupil's days together in date order
    pupil_day = pl.col("leerlingnummer").to_physical().cast(pl.UInt64) * 2**17 + (
        pl.col("datum").cast(pl.Int32) + 65_536
    ).cast(pl.UInt64)
    grouped = (
        _without_duplicates(frame.filter(pl.col("datum") <= peildatum))
        .lazy()
        .select(
            pupil_day.alias("pupil_day"),
            "leerlingnummer",
            "datum",
            absent_units=pl.when(counted).then(weight).otherwise(zero),
            absent_minutes=pl.when(counted).then(minutes).otherwise(zero),
            unknown=(counted & (pl.col("geoorloofd") == "")).cast(pl.Int32),
            luxe_units=pl.when(luxe).then(weight).otherwise(zero),
            late=late.cast(pl.Int32),
            present=present,
            lesson_mask=pl.when(counted).then(bit).otherwise(zero),
            luxe_lesson_mask=pl.when(luxe).then(bit).otherwise(zero),
        )
        .filter(
            (pl.col("absent_units") > 0)
            | (pl.col("luxe_units") > 0)
            | (pl.col("late") > 0)
            | pl.col("present")
        )
        .group_by("pupil_day")
        .agg(
            pl.col("leerlingnummer", "datum").first(),
            pl.col("absent_units", "absent_minutes", "unknown", "luxe_units", "late").sum(),
            pl.col("present").max(),
            pl.col("lesson_mask", "luxe_lesson_mask").bitwise_or(),
        )
        .filter((pl.col("absent_units") > 0) | (pl.col("luxe_units") > 0) | (pl.col("late") > 0))
        .sort("pupil_day")
        .collect()
    )
    # DayFacts straight from the columns (``tuple.__new__`` is what ``DayFact._make`` calls), then
    # each pupil's stretch of them
    columns = [grouped.get_column(name).to_list() for name in DayFact._fields]
    facts = list(map(tuple.__new__, repeat(DayFact), zip(*columns, strict=True)))
    per_pupil: dict[str, list[DayFact]] = {}
    start = 0
    for pupil, count in grouped.group_by("leerlingnummer", maintain_order=True).len().iter_rows():
        per_pupil[pupil] = facts[start : start + count]
        start += count
    return DayFacts(per_pupil=per_pupil, after_peildatum=after)
