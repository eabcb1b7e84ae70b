"""``lesregistraties.csv``: lesson registrations into the registration frame of the rule book.

The file streams in blocks (``adapters.blocks``); each block is checked with vectorised polars
expressions in two passes. The fast pass takes the values as they are; the rows it refuses get a
second, lenient pass (surrounding spaces dropped, status and J/N upper-cased), and only the rows
that still fail become rejections, each with its first failing field and rule. So the common case
costs one pass and a sloppy export still loses nothing it does not have to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import polars as pl

from adapters.blocks import Block, file_blocks, map_in_order, split_block
from adapters.progress import advance
from adapters.rows import (
    MAX_KEY,
    empty_file,
    first_error,
    parse_header,
    shown,
    strict_date,
    time_minutes,
)
from gateway.errors import InputError
from gateway.model import Categorie, Rejection, SchoolConfig, Status
from gateway.rules.dayfacts import CATEGORIE, GEOORLOOFD, MAX_MINUTES, REGISTRATION_SCHEMA, STATUS

REGISTRATION_COLUMNS = (
    "brin", "vestiging", "leerlingnummer", "bsn", "onderwijsnummer", "datum", "lesuur",
    "begintijd", "eindtijd", "status", "redencode", "reden", "geoorloofd", "bron_id",
)  # fmt: skip
OPTIONAL_COLUMNS = ("categorie",)  # written by `verzuim import`: the categorie already mapped
REQUIRED_REGISTRATION_COLUMNS = ("leerlingnummer", "datum", "begintijd", "eindtijd", "status")
_USED = ("leerlingnummer", "brin", "bsn", "onderwijsnummer", "datum", "lesuur", "begintijd",
         "eindtijd", "status", "redencode", "geoorloofd", "categorie", "bron_id")  # fmt: skip
_CATEGORIES = ["", *(categorie.value for categorie in Categorie)]
_STATUSES = [status.value for status in Status]
FILE_STRIDE = 10**12  # keeps input order across several registration files (F1: later wins)
# a 64-bit hash of a non-empty bron_id (null without one), for "the same bron_id imported twice
# counts once" across files (``adapters.canonical.read_export`` drops the column after using it)
BRON_KEY = "_bron"
FRAME_SCHEMA: dict[str, pl.DataType] = {**REGISTRATION_SCHEMA, BRON_KEY: pl.UInt64()}
IDENTITY_SCHEMA: dict[str, pl.DataType] = {
    "leerlingnummer": pl.String(),
    "bestand": pl.Int32(),
    "bsn": pl.String(),
    "onderwijsnummer": pl.String(),
    "regelnummer": pl.Int64(),
    "rijen": pl.Int64(),
}


@dataclass(slots=True)
class RegistrationFile:
    """What one registrations file gave: typed rows, identities per pupil, unknown reason codes,
    rejections, and the count of non-blank lines read."""

    encoding: str
    frame: pl.DataFrame
    identities: pl.DataFrame
    unknown_codes: pl.DataFrame
    rejections: list[Rejection]
    read: int


def read_registration_file(
    path: Path, school: SchoolConfig, file_index: int = 0, not_after: dt.date | None = None
) -> RegistrationFile:
    """Read one ``lesregistraties.csv``; raise InputError only for a bad header (I-KOP). An empty
    or header-only file is an I-LEEG rejection without a line (issue 5: the batch goes on).

    ``not_after`` (today, given by the caller: the readers read no clock) refuses registrations
    dated later with I-TOEKOMST: a mistyped year must not move the default peildatum. The frame
    has ``FRAME_SCHEMA``: the registrations plus ``BRON_KEY``.

    The blocks are checked side by side on the cores (``map_in_order``); the results are joined
    in file order, so the output is that of checking them one after the other.
    """
    source = path.name
    encoding, blocks = file_blocks(path)
    first = next(blocks, None)
    if first is None:
        return RegistrationFile(
            encoding, pl.DataFrame(schema=FRAME_SCHEMA), pl.DataFrame(schema=IDENTITY_SCHEMA),
            pl.DataFrame(schema={"code": pl.String(), "regelnummer": pl.Int64(),
                                 "rijen": pl.UInt32()}),
            [empty_file(source, "bestand is leeg")], 0,
        )  # fmt: skip
    header_bytes = len(first.data)
    names, first = _header(first, encoding, source)
    header_bytes -= len(first.data)  # the header line and its line end, for the progress
    total = path.stat().st_size

    def in_order() -> Iterator[Block]:
        done = header_bytes
        for block in chain([first], blocks):
            done += len(block.data) + 1
            advance(source, min(done, total), total)
            yield block

    def check(block: Block) -> _BlockRead:
        return _read_block(block, names, encoding, school, file_index, not_after, source)

    parts = list(map_in_order(check, in_order()))
    read = sum(part.read for part in parts)
    return RegistrationFile(
        encoding=encoding,
        frame=pl.concat([part.frame for part in parts]),
        identities=pl.concat([part.identities for part in parts]),
        unknown_codes=pl.concat([part.unknown_codes for part in parts]),
        rejections=sorted(
            (rejection for part in parts for rejection in part.rejections),
            key=lambda r: r.regelnummer or 0,
        )
        or ([] if read else [empty_file(source, "bestand bevat alleen een kopregel")]),
        read=read,
    )


@dataclass(slots=True)
class _BlockRead:
    frame: pl.DataFrame
    identities: pl.DataFrame
    unknown_codes: pl.DataFrame
    rejections: list[Rejection]
    read: int


def _read_block(
    block: Block,
    names: tuple[str, ...],
    encoding: str,
    school: SchoolConfig,
    file_index: int,
    not_after: dt.date | None,
    source: str,
) -> _BlockRead:
    """Split and check one block: its typed rows, identities, unknown codes and rejections."""
    split = split_block(block, names, encoding, _USED)
    rejections = [Rejection(p.rule, p.reason, source, p.number) for p in split.problems]
    # a missing column reads as empty; ``categorie`` is left out then, so ``_typed`` maps every
    # row's redencode without first testing an empty categorie
    missing = [pl.lit("").alias(name) for name in _USED if name not in (*names, *OPTIONAL_COLUMNS)]
    named = split.fields.with_columns(missing) if missing else split.fields
    good, refused = _check(named, school, file_index, not_after)
    rejections.extend(_rejections(refused, school, source, not_after))
    return _BlockRead(
        frame=good.select(
            *REGISTRATION_SCHEMA,
            pl.when(pl.col("bron_id") != "").then(pl.col("bron_id").hash()).alias(BRON_KEY),
        ),
        identities=_identities(good, file_index),
        unknown_codes=_unknown_codes(good, school),
        rejections=rejections,
        read=split.read,
    )


def _header(block: Block, encoding: str, source: str) -> tuple[tuple[str, ...], Block]:
    cut = block.data.find(b"\n")
    raw = block.data if cut < 0 else block.data[:cut]
    try:
        line = raw.decode(encoding)
    except UnicodeDecodeError:
        raise InputError(f"{source}, regel 1: kopregel is niet leesbaar (I-KOP)") from None
    header = parse_header(
        line, REQUIRED_REGISTRATION_COLUMNS, (*REGISTRATION_COLUMNS, *OPTIONAL_COLUMNS), source
    )
    rest = b"" if cut < 0 else block.data[cut + 1 :]
    return header.names, Block(block.first_line + 1, rest, max(block.lines - 1, 0))


def _check(
    frame: pl.DataFrame, school: SchoolConfig, file_index: int, not_after: dt.date | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split rows into accepted (typed, see ``_typed``) and refused (the text, with the parsed
    columns of ``_parsed`` for ``_rejections``), in two passes."""
    typed = _typed(frame, school, file_index, not_after)
    ok = typed.get_column("ok")
    if ok.all():
        return typed, frame.clear()
    refused = frame.filter(~ok)
    if "categorie" not in refused.columns:
        refused = refused.with_columns(categorie=pl.lit(""))
    lenient = refused.with_columns(*(_lenient(name) for name in _USED))
    second = _typed(lenient, school, file_index, not_after)
    rescued = second.get_column("ok")
    good = typed.filter(ok)
    if rescued.any():
        good = pl.concat([good, second.filter(rescued)]).sort("volgorde")
    return good, lenient.filter(~rescued).with_columns(_parsed())


def _lenient(name: str) -> pl.Expr:
    value = pl.col(name).str.strip_chars()
    if name in ("status", "geoorloofd"):
        value = value.str.to_uppercase()
    return value.alias(name)


def _parsed() -> list[pl.Expr]:
    return [
        strict_date(pl.col("datum")).alias("_datum"),
        time_minutes(pl.col("begintijd")).alias("_begin"),
        time_minutes(pl.col("eindtijd")).alias("_eind"),
        pl.col("lesuur").cast(pl.Int32, strict=False).alias("_lesuur"),
    ]


def _rejections(
    refused: pl.DataFrame, school: SchoolConfig, source: str, not_after: dt.date | None = None
) -> list[Rejection]:
    """The first failing field of each refused row, with its rule and a readable reason."""
    if refused.height == 0:
        return []
    minutes = pl.col("_eind") - pl.col("_begin")
    col = pl.col
    checks: list[tuple[pl.Expr, str, str, pl.Expr | str]] = [
        (col("leerlingnummer") == "", "I-VERPLICHT", "leerlingnummer", "leerlingnummer ontbreekt"),
        (col("leerlingnummer").str.len_chars() > MAX_KEY, "I-FORMAAT", "leerlingnummer",
         f"leerlingnummer is langer dan {MAX_KEY} tekens"),
        ((col("brin") != "") & (col("brin") != school.brin), "V13", "brin",
         pl.concat_str(pl.lit("BRIN "), shown(col("brin"), 6),
                       pl.lit(f" hoort niet bij deze school ({school.brin})"))),
        (col("_datum").is_null(), "I-FORMAAT", "datum",
         pl.concat_str(shown(col("datum")), pl.lit(" is geen datum JJJJ-MM-DD"))),
        (pl.lit(not_after is not None) & (col("_datum") > (not_after or dt.date.max)),
         "I-TOEKOMST", "datum",
         pl.concat_str(shown(col("datum")), pl.lit(f" ligt na vandaag ({not_after})"))),
        (col("_begin").is_null(), "I-FORMAAT", "begintijd",
         pl.concat_str(shown(col("begintijd")), pl.lit(" is geen tijd UU:MM"))),
        (col("_eind").is_null(), "I-FORMAAT", "eindtijd",
         pl.concat_str(shown(col("eindtijd")), pl.lit(" is geen tijd UU:MM"))),
        (minutes < 1, "F1", "eindtijd", "eindtijd ligt niet na de begintijd (F1)"),
        (minutes > MAX_MINUTES, "F1", "eindtijd",
         pl.format(f"registratie duurt {{}} minuten, meer dan {MAX_MINUTES} (F1)", minutes)),
        (~col("status").is_in(_STATUSES), "I-FORMAAT", "status",
         pl.concat_str(shown(col("status"), 20),
                       pl.lit(f" is geen status ({', '.join(_STATUSES)})"))),
        (~col("geoorloofd").is_in(["", "J", "N"]), "I-FORMAAT", "geoorloofd",
         pl.concat_str(shown(col("geoorloofd"), 10), pl.lit(" is niet J, N of leeg"))),
        ((col("lesuur") != "") & ~col("_lesuur").is_between(1, 12).fill_null(False),
         "I-FORMAAT", "lesuur",
         pl.concat_str(shown(col("lesuur"), 10), pl.lit(" is geen lesuur 1-12"))),
        (~col("categorie").is_in(_CATEGORIES), "I-FORMAAT", "categorie",
         pl.concat_str(shown(col("categorie"), 12), pl.lit(" is geen categorie"))),
    ]  # fmt: skip
    guarded = [(condition.fill_null(False), *rest) for condition, *rest in checks]
    described = refused.with_columns(first_error(guarded))  # type: ignore[arg-type]
    return [
        Rejection(rule, reason, source, line, field or None, pupil or None)
        for rule, reason, line, field, pupil in described.select(
            "fout_regel", "fout_reden", "regelnummer", "fout_veld", "leerlingnummer"
        ).iter_rows()
    ]


# for identities, W-REDENCODE and BRON_KEY
_PASSED = ("regelnummer", "bsn", "onderwijsnummer", "redencode", "bron_id")


def _typed(
    frame: pl.DataFrame, school: SchoolConfig, file_index: int, not_after: dt.date | None
) -> pl.DataFrame:
    """Every row in the shape of ``REGISTRATION_SCHEMA`` (categorie via ``[redencodes]``; a value
    that does not parse is null), the text columns of ``_PASSED``, and ``ok``: the row passes every
    check that ``_rejections`` describes (a status, J/N or categorie outside its enum is a null).
    """
    col = pl.col
    # [redencodes] as an enum of the codes (an unknown code is null) and the categorie by index
    codes = pl.Enum([code for code, _ in school.redencodes])
    categories = pl.Series([categorie.value for _, categorie in school.redencodes], dtype=CATEGORIE)
    mapped = pl.lit(categories).gather(col("redencode").cast(codes, strict=False).to_physical())
    categorie = mapped.fill_null("")
    if "categorie" in frame.columns:  # the column written by `verzuim import`, when not empty
        given = col("categorie").cast(CATEGORIE, strict=False)
        categorie = pl.when(col("categorie") != "").then(given).otherwise(categorie)
    lesuur = col("lesuur").cast(pl.Int32, strict=False)
    typed = frame.select(
        col("leerlingnummer").cast(pl.Categorical()),
        strict_date(col("datum")).alias("datum"),
        time_minutes(col("begintijd")).cast(pl.Int16).alias("begin"),
        time_minutes(col("eindtijd")).cast(pl.Int16).alias("eind"),
        col("status").cast(STATUS, strict=False),
        col("geoorloofd").cast(GEOORLOOFD, strict=False),
        categorie.alias("categorie"),
        lesuur.cast(pl.Int8, strict=False).alias("lesuur"),
        (col("regelnummer") + file_index * FILE_STRIDE).alias("volgorde"),
        *_PASSED,
        ok=(col("leerlingnummer") != "")
        & (col("leerlingnummer").str.len_chars() <= MAX_KEY)
        & ((col("brin") == "") | (col("brin") == school.brin))
        & ((col("lesuur") == "") | lesuur.is_between(1, 12)),
    )
    minutes = col("eind") - col("begin")  # null when a time is malformed
    return typed.with_columns(
        ok=(
            col("ok")
            & col("datum").is_not_null()
            & minutes.is_between(1, MAX_MINUTES)
            & col("status").is_not_null()
            & col("geoorloofd").is_not_null()
            & col("categorie").is_not_null()
            & (pl.lit(True) if not_after is None else col("datum") <= not_after)
        ).fill_null(False)
    )


def _identities(good: pl.DataFrame, file_index: int) -> pl.DataFrame:
    """Per pupil: the first non-empty BSN and onderwijsnummer, the first line and the row count."""
    return (
        good.group_by("leerlingnummer")
        .agg(
            bestand=pl.lit(file_index, pl.Int32),
            bsn=pl.col("bsn").filter(pl.col("bsn") != "").first(),
            onderwijsnummer=pl.col("onderwijsnummer")
            .filter(pl.col("onderwijsnummer") != "")
            .first(),
            regelnummer=pl.col("regelnummer").min(),
            rijen=pl.len().cast(pl.Int64),
        )
        .with_columns(pl.col("leerlingnummer").cast(pl.String))
    )


def _unknown_codes(good: pl.DataFrame, school: SchoolConfig) -> pl.DataFrame:
    """Reason codes missing from ``[redencodes]``: first line and count (W-REDENCODE). A row
    whose ``categorie`` column (written by ``verzuim import``) gave its categorie is not one: it
    is counted with that categorie."""
    known = [code for code, _ in school.redencodes]
    return (
        good.select(pl.col("redencode").alias("code"), "regelnummer", "categorie")
        .filter(
            (pl.col("code") != "")
            & ~pl.col("code").is_in(known)
            & (pl.col("categorie").cast(pl.String) == "")
        )
        .select("code", "regelnummer")
        .group_by("code")
        .agg(regelnummer=pl.col("regelnummer").min(), rijen=pl.len())
    )
