"""Writing the DUO request documents of a pre-check to files (``verzuim precheck --xml DIR``).

The message layer builds and validates each document (pure); this module only chooses the
document id, the file name and writes. Document ids are derived from the natural key (school,
pupil, code, begindatum), so running the pre-check again gives the same ids: the idempotency key
of a melding does not change between runs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from pathlib import Path

from gateway.errors import ConfigError
from gateway.messages.build import build_melden
from gateway.messages.content import MeldingInhoud
from gateway.model import Melding, PrecheckResult, SchoolConfig, Student
from gateway.xml import to_bytes

DOCUMENT_NAMESPACE = uuid.UUID("5f0e7a52-3c1e-4d0e-9a57-6a1f4d0c2b11")


def document_id(school: SchoolConfig, melding: Melding, operation: str = "melden") -> uuid.UUID:
    """A stable IdentificatiecodeBedrijfsdocument for a melding's natural key (DESIGN.md 4)."""
    key = "|".join(
        (school.brin, school.vestiging, melding.leerlingnummer, melding.code.value,
         melding.begindatum.isoformat(), operation)
    )  # fmt: skip
    return uuid.uuid5(DOCUMENT_NAMESPACE, key)


def file_name(melding: Melding) -> str:
    """``{leerlingnummer}-{code}-{begindatum}.xml``; unique per natural key."""
    return f"{melding.leerlingnummer}-{melding.code.value}-{melding.begindatum.isoformat()}.xml"


def default_inhoud(school: SchoolConfig) -> MeldingInhoud:
    """The texts of proposed meldingen: the school's ``[teksten]`` (V04, V05)."""
    if school.teksten is None:
        raise ConfigError(
            "voor XML-documenten zijn standaardteksten nodig: voeg aan het schoolbestand een tabel "
            "[teksten] toe met vermoedelijke_reden en ondernomen_acties"
        )
    return MeldingInhoud(
        vermoedelijke_reden=school.teksten.vermoedelijke_reden,
        ondernomen_acties=school.teksten.ondernomen_acties,
        toelichting=school.teksten.toelichting,
    )


def write_melding_documents(
    result: PrecheckResult,
    students: Mapping[str, Student],
    school: SchoolConfig,
    out_dir: Path,
    now: dt.datetime,
) -> list[Path]:
    """Build, validate and write one ``MeldenRelatiefVerzuim`` per proposed melding."""
    inhoud = default_inhoud(school)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for melding in result.meldingen:
        element = build_melden(
            melding,
            students[melding.leerlingnummer],
            school,
            inhoud,
            document_id=document_id(school, melding),
            now=now,
        )
        target = out_dir / file_name(melding)
        target.write_bytes(to_bytes(element, pretty=True))
        written.append(target)
    return written
