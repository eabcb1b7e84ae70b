"""``lesregistraties.csv``: lesson registrations into the registration frame of the rule book.

The file streams in blocks (``adapters.blocks``); each block is checked with vectorised polars
expressions in two passes. The fast pass takes the values as they are; the rows it refuses get a
second, lenient pass (surrounding spaces dropped, status and J/N upper-cased), and only the rows
that still fail become rejections, each with its first failing field and rule. So the common case
costs one pass and a sloppy export still loses nothing it does not have to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from adapters.blocks import Block, file_blocks, split_block
from adapters.progress import advance
from adapters.rows import MAX_KEY, first_error, parse_header, shown, strict_date, time_minutes
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
         "eindtijd", "status", "redencode", "geoorloofd", "categorie")  # fmt: skip
_CATEGORIES = ["", *(categorie.value for categorie in Categorie)]
_STATUSES = [status.value for status in Status]
FILE_STRIDE = 10**12  # keeps input order across several registration files (F1: later wins)
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
    """Read one ``lesregistraties.csv``; raise InputError only for an empty file or bad header.

    ``not_after`` (today, given by the caller: the readers read no clock) refuses registrations
    dated later with I-TOEKOMST: a mistyped year must not move the default peildatum.
    """
    source = path.name
    encoding, blocks = file_blocks(path)
    names: tuple[str, ...] | None = None
    frames: list[pl.DataFrame] = []
    identities: list[pl.DataFrame] = []
    unknown: list[pl.DataFrame] = []
    rejections: list[Rejection] = []
    read = 0
    total = path.stat().st_size
    done = 0
    for block in blocks:
        done += len(block.data) + 1
        advance(source, min(done, total), total)
        if names is None:
            names, block = _header(block, encoding, source)
        split = split_block(block, names, encoding, _USED)
        read += split.read
        rejections.extend(Rejection(p.rule, p.reason, source, p.number) for p in split.problems)
        missing = [pl.lit("").alias(name) for name in _USED if name not in names]
        named = split.fields.with_columns(missing) if missing else split.fields
        good, refused = _check(named, school, not_after)
        rejections.extend(_rejections(refused, school, source, not_after))
        frames.append(good.select(_typed(school, file_index)))
        identities.append(_identities(good, file_index))
        unknown.append(_unknown_codes(good, school))
    if names is None:
        raise InputError(f"{source}: bestand is leeg, verwacht een kopregel (I-KOP)")
    return RegistrationFile(
        encoding=encoding,
        frame=pl.concat(frames) if frames else pl.DataFrame(schema=REGISTRATION_SCHEMA),
        identities=pl.concat(identities) if identities else pl.DataFrame(schema=IDENTITY_SCHEMA),
        unknown_codes=pl.concat(unknown) if unknown else _EMPTY_CODES,
        rejections=sorted(rejections, key=lambda r: r.regelnummer or 0),
        read=read,
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
    frame: pl.DataFrame, school: SchoolConfig, not_after: dt.date | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split rows into accepted (with parsed columns) and refused, in two passes."""
    parsed = frame.with_columns(_parsed()).with_columns(ok=_valid(school, not_after))
    if parsed.get_column("ok").all():
        return parsed, parsed.clear()
    good = parsed.filter(pl.col("ok"))
    refused = parsed.filter(~pl.col("ok"))
    lenient = (
        refused.with_columns(*(_lenient(name) for name in _USED))
        .with_columns(_parsed())
        .with_columns(ok=_valid(school, not_after))
    )
    return (
        pl.concat([good, lenient.filter(pl.col("ok"))]).sort("regelnummer"),
        lenient.filter(~pl.col("ok")),
    )


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


def _valid(school: SchoolConfig, not_after: dt.date | None = None) -> pl.Expr:
    minutes = pl.col("_eind") - pl.col("_begin")
    return (
        (pl.col("leerlingnummer") != "")
        & (pl.col("leerlingnummer").str.len_chars() <= MAX_KEY)
        & ((pl.col("brin") == "") | (pl.col("brin") == school.brin))
        & pl.col("_datum").is_not_null()
        & minutes.is_between(1, MAX_MINUTES)  # null when a time is malformed
        & pl.col("status").is_in(_STATUSES)
        & pl.col("geoorloofd").is_in(["", "J", "N"])
        & ((pl.col("lesuur") == "") | pl.col("_lesuur").is_between(1, 12))
        & pl.col("categorie").is_in(_CATEGORIES)
        & (pl.lit(True) if not_after is None else pl.col("_datum") <= not_after)
    ).fill_null(False)


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


def _typed(school: SchoolConfig, file_index: int) -> list[pl.Expr]:
    """Accepted rows in the shape of ``REGISTRATION_SCHEMA``; categorie via ``[redencodes]``."""
    mapping = {code: categorie.value for code, categorie in school.redencodes}
    return [
        pl.col("leerlingnummer").cast(pl.Categorical()),
        pl.col("_datum").alias("datum"),
        pl.col("_begin").cast(pl.Int16).alias("begin"),
        pl.col("_eind").cast(pl.Int16).alias("eind"),
        pl.col("status").cast(STATUS),
        pl.col("geoorloofd").cast(GEOORLOOFD),
        pl.when(pl.col("categorie") != "")
        .then(pl.col("categorie"))
        .otherwise(
            pl.col("redencode").replace_strict(mapping, default="", return_dtype=pl.String())
        )
        .cast(CATEGORIE)
        .alias("categorie"),
        pl.col("_lesuur").cast(pl.Int8).alias("lesuur"),
        (pl.col("regelnummer") + file_index * FILE_STRIDE).alias("volgorde"),
    ]


def _identities(good: pl.DataFrame, file_index: int) -> pl.DataFrame:
    """Per pupil: the first non-empty BSN and onderwijsnummer, the first line and the row count."""
    return good.group_by("leerlingnummer").agg(
        bestand=pl.lit(file_index, pl.Int32),
        bsn=pl.col("bsn").filter(pl.col("bsn") != "").first(),
        onderwijsnummer=pl.col("onderwijsnummer").filter(pl.col("onderwijsnummer") != "").first(),
        regelnummer=pl.col("regelnummer").min(),
        rijen=pl.len().cast(pl.Int64),
    )


_EMPTY_CODES = pl.DataFrame(
    schema={"code": pl.String(), "regelnummer": pl.Int64(), "rijen": pl.UInt32()}
)


def _unknown_codes(good: pl.DataFrame, school: SchoolConfig) -> pl.DataFrame:
    """Reason codes missing from ``[redencodes]``: first line and count (W-REDENCODE)."""
    known = [code for code, _ in school.redencodes]
    return (
        good.select(pl.col("redencode").alias("code"), "regelnummer")
        .filter((pl.col("code") != "") & ~pl.col("code").is_in(known))
        .group_by("code")
        .agg(regelnummer=pl.col("regelnummer").min(), rijen=pl.len())
    )
