"""Writing a ``CanonicalExport`` as the canonical files (``verzuim import --out DIR``).

``leerlingen.csv`` and ``lesregistraties.csv`` in the canonical shape (with the optional
``categorie`` column, so the school's reason-code mapping is applied once), and
``afwijzingen.csv`` with every rejected row and its reason. ``bron_id``, ``redencode`` and
``reden`` come from the export's ``texts`` (what the adapter read; empty where there is none), so
an import read back gives the same pre-check: the same ``bron_id`` imported twice still counts
once, and an unknown reason code still warns ``W-REDENCODE``. BSN and onderwijsnummer go to
``leerlingen.csv`` only. Text cells that a spreadsheet would
read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) are written with a leading
apostrophe, so an export containing ``=cmd|...`` stays inert when a school opens the file.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl

from adapters.canonical import CanonicalExport
from adapters.rows import mask_digits
from gateway.model import Rejection

STUDENT_HEADER = ("leerlingnummer", "bsn", "onderwijsnummer", "geboortedatum", "startkwalificatie")
REGISTRATION_HEADER = (
    "brin", "vestiging", "leerlingnummer", "bsn", "onderwijsnummer", "datum", "lesuur",
    "begintijd", "eindtijd", "status", "redencode", "reden", "geoorloofd", "bron_id", "categorie",
)  # fmt: skip
REJECTION_HEADER = ("regel", "bestand", "regelnummer", "veld", "leerlingnummer", "reden")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def inert(value: str) -> str:
    """A cell value a spreadsheet shows as text, never evaluates."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def text_cell(value: str) -> str:
    """A free-text cell: control characters (a line break in a reason text) as spaces, so each
    registration stays one line for the canonical reader, and inert."""
    return inert(_CONTROL.sub(" ", value))


def reason_cell(value: str) -> str:
    """The SIS's reason text as a cell (``text_cell``), with every run of nine digits masked:
    a note like "moeder belde, bsn ..." must not put a BSN into the registrations file, whose
    identity columns stay empty (identity lives in ``leerlingen.csv`` only). The rule book never
    reads this text; names in it cannot be recognised and are carried as the SIS wrote them."""
    return text_cell(mask_digits(value))


def write_canonical(export: CanonicalExport, brin: str, vestiging: str, out_dir: Path) -> None:
    """Write the three canonical files into ``out_dir`` (created when missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "leerlingen.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(STUDENT_HEADER)
        for pupil in sorted(export.students):
            student = export.students[pupil]
            writer.writerow((inert(pupil), student.bsn, student.onderwijsnummer,
                             student.geboortedatum.isoformat(),
                             "J" if student.startkwalificatie else "N"))  # fmt: skip
    registrations = export.registrations.sort("volgorde")
    if export.texts is not None:
        registrations = registrations.join(export.texts, on="volgorde", how="left")
    else:
        registrations = registrations.with_columns(
            pl.lit(None, pl.String()).alias(name) for name in ("bron_id", "redencode", "reden")
        )
    frame = registrations.select(
        pl.lit(brin).alias("brin"),
        pl.lit(vestiging).alias("vestiging"),
        pl.col("leerlingnummer").cast(pl.String),
        pl.col("datum").dt.strftime("%Y-%m-%d"),
        pl.col("lesuur").cast(pl.String).fill_null(""),
        clock_text("begin"),
        clock_text("eind"),
        pl.col("status").cast(pl.String),
        pl.col("geoorloofd").cast(pl.String),
        pl.col("categorie").cast(pl.String),
        *(pl.col(name).fill_null("") for name in ("bron_id", "redencode", "reden")),
    )
    with (out_dir / "lesregistraties.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(REGISTRATION_HEADER)
        for (b, v, pupil, day, lesuur, begin, end, status, allowed, categorie, bron, code,
             reden) in frame.iter_rows():  # fmt: skip
            writer.writerow((b, v, inert(pupil), "", "", day, lesuur, begin, end, status,
                             text_cell(code), reason_cell(reden), allowed, text_cell(bron),
                             categorie))  # fmt: skip
    write_rejections(export.rejections, out_dir / "afwijzingen.csv")


def write_rejections(rejections: list[Rejection], path: Path) -> None:
    """``afwijzingen.csv``: every rejected row with its rule, place and reason."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(REJECTION_HEADER)
        for item in rejections:
            writer.writerow((item.regel, inert(item.bestand or ""), item.regelnummer or "",
                             item.veld or "", inert(item.leerlingnummer or ""),
                             inert(item.reden)))  # fmt: skip


def clock_text(column: str) -> pl.Expr:
    """Minutes after midnight in ``column`` as ``HH:MM`` (the canonical time format)."""
    minutes = pl.col(column).cast(pl.Int32)
    return pl.format(
        "{}:{}",
        (minutes // 60).cast(pl.String).str.zfill(2),
        (minutes % 60).cast(pl.String).str.zfill(2),
    ).alias(column)
