"""DUO's side of the three operations (DOMAIN.md 3.1): registers, changes and lists meldingen in
the simulator's store and answers with the documents of ``gateway.messages.answers``.

A business rejection raises ``RejectedError`` with the errors of the DC0002 (``codes.py``); the SOAP
layer turns it into a Client fault. Nothing here logs or quotes a pupil's identity.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from lxml import etree

from gateway.messages import (
    AanvraagVerzoek,
    Fout,
    Intrekking,
    Leerling,
    MeldenVerzoek,
    MutatieVerzoek,
    RedenAfsluiting,
    RedenIntrekking,
    Request,
    Verzuimgeval,
    build_bevestiging,
    build_levering_meldingen,
    build_levering_nummer,
)
from gateway.messages.namespaces import RECEIVER_DUO
from gateway.model import DuoStatus
from gateway.pki import brin_of_oin
from gateway.simulator import codes, municipality
from gateway.simulator.options import SimulatorOptions
from gateway.simulator.store import (
    NewMelding,
    Schedule,
    SimulatorStore,
    StoredMelding,
    from_micros,
    to_micros,
)

log = logging.getLogger("gateway.simulator")


class RejectedError(Exception):
    """A business rejection: becomes a DC0002 ``Foutmelding`` in a ``soap:Client`` fault."""

    def __init__(self, *fouten: Fout) -> None:
        self.fouten = fouten
        super().__init__("; ".join(f"{fout.code} {fout.omschrijving}" for fout in fouten))


class DuoService:
    """The operations of the machinekoppeling on the simulator's store."""

    def __init__(self, store: SimulatorStore, options: SimulatorOptions) -> None:
        self.store = store
        self.options = options

    def handle(self, request: Request, peer_oin: str | None) -> etree._Element:
        """Process one validated request and return the answer document (DC0018, DC0001 or
        DC0011), or raise ``RejectedError``."""
        self.advance()
        self._check_sender(request, peer_oin)
        if isinstance(request, MeldenVerzoek):
            return self._melden(request)
        if isinstance(request, MutatieVerzoek):
            return self._mutatie(request)
        return self._aanvraag(request)

    def advance(self) -> int:
        """Apply the municipality's steps that are due now; return how many were applied."""
        steps = self.store.due_transitions(self.store.now())
        for nummer, status, reden in steps:
            self.store.change(nummer, soort="STATUS", status=status, reden_afsluiting=reden)
            log.info("gemeente: melding %s naar status %s", nummer, status.value)
        return len(steps)

    def set_status(self, nummer: str, status: DuoStatus, reden: str | None) -> StoredMelding:
        """The admin API's municipality step: ``B``, ``G`` (with a RedenAfsluiting, default
        OVERIG) or ``K``. ``KeyError`` for an unknown number, ``ValueError`` for a melding that
        is withdrawn or a status or reason that does not exist."""
        if status not in (
            DuoStatus.IN_BEHANDELING,
            DuoStatus.AFGESLOTEN,
            DuoStatus.TER_KENNISGEVING,
        ):
            raise ValueError(f"status {status.value} zet de gemeente niet; kies B, G of K")
        current = self.store.get(nummer)
        if current is None:
            raise KeyError(nummer)
        if current.status is DuoStatus.INGETROKKEN:
            raise ValueError(f"melding {nummer} is ingetrokken")
        code = None
        if status is DuoStatus.AFGESLOTEN:
            code = RedenAfsluiting(reden or RedenAfsluiting.OVERIG.value).value
        changed = self.store.change(nummer, soort="STATUS", status=status, reden_afsluiting=code)
        log.info("gemeente (admin): melding %s naar status %s", nummer, status.value)
        return changed

    # ----- operations -----

    def _melden(self, verzoek: MeldenVerzoek) -> etree._Element:
        _check_dates(verzoek.begindatum, verzoek.einddatum)
        document_id = verzoek.kop.document_id
        earlier = self.store.by_document(document_id) if self.options.dedupe else None
        if earlier is not None:
            nummer, status = earlier.nummer, earlier.status
            log.info("melden: document %s al geregistreerd als %s (dedupe)", document_id, nummer)
        else:
            melding = NewMelding(
                document_id=document_id,
                brin=verzoek.brin,
                vestiging=verzoek.vestiging,
                bsn=verzoek.leerling.bsn,
                onderwijsnummer=verzoek.leerling.onderwijsnummer,
                code=verzoek.code,
                herhaal=verzoek.herhaal,
                begindatum=verzoek.begindatum,
                einddatum=verzoek.einddatum,
            )
            nummer = self.store.register(melding, self._schedule)
            status = DuoStatus.GEREGISTREERD
            log.info("melden: document %s geregistreerd als %s", document_id, nummer)
        return build_levering_nummer(
            verzoek_id=document_id,
            nummer=nummer,
            status=status,
            receiver=verzoek.kop.verzender,
            document_id=uuid.uuid4(),
            now=self._now(),
        )

    def _mutatie(self, verzoek: MutatieVerzoek) -> etree._Element:
        wijziging = verzoek.wijziging
        current = self.store.get(wijziging.nummer)
        if current is None or current.brin != verzoek.brin:
            raise RejectedError(
                Fout(
                    codes.ONBEKEND_NUMMER,
                    "Er is geen melding met dit nummer voor deze school.",
                    "NummerMeldingRelatiefVerzuim",
                )
            )
        document_id = verzoek.kop.document_id
        if isinstance(wijziging, Intrekking):
            changed = self._intrekken(current, wijziging.reden, document_id)
        else:
            if current.status is DuoStatus.INGETROKKEN:
                raise RejectedError(
                    Fout(
                        codes.WIJZIGEN_INGETROKKEN,
                        "Een ingetrokken melding (status I) kan niet worden gewijzigd.",
                        "Wijziging",
                    )
                )
            _check_dates(current.begindatum, wijziging.einddatum)
            velden = tuple(
                name
                for name, value in (
                    ("Einddatum", wijziging.einddatum),
                    ("VermoedelijkeReden", wijziging.vermoedelijke_reden),
                    ("OndernomenActies", wijziging.ondernomen_acties),
                    ("Toelichting", wijziging.toelichting),
                )
                if value
            )
            changed = self.store.change(
                current.nummer,
                soort="MUTATIE",
                document_id=document_id,
                einddatum=wijziging.einddatum,
                velden=velden,
            )
            log.info("mutatie: melding %s gewijzigd (%s)", current.nummer, ",".join(velden))
        return build_bevestiging(
            verzoek_id=document_id,
            nummer=changed.nummer,
            status=changed.status,
            receiver=verzoek.kop.verzender,
            document_id=uuid.uuid4(),
            now=self._now(),
        )

    def _intrekken(
        self, current: StoredMelding, reden: RedenIntrekking, document_id: str
    ) -> StoredMelding:
        if current.status is DuoStatus.AFGESLOTEN:
            raise RejectedError(
                Fout(
                    codes.INTREKKEN_AFGESLOTEN,
                    "Melding met status G kan niet worden ingetrokken.",
                    "Intrekking",
                )
            )
        if current.status is DuoStatus.INGETROKKEN:
            raise RejectedError(
                Fout(
                    codes.AL_INGETROKKEN,
                    "Melding is al ingetrokken (status I).",
                    "Intrekking",
                )
            )
        changed = self.store.change(
            current.nummer,
            soort="INTREKKING",
            document_id=document_id,
            status=DuoStatus.INGETROKKEN,
            reden_intrekking=reden.value,
            velden=("StatusMelding", "RedenIntrekking"),
        )
        log.info("mutatie: melding %s ingetrokken (%s)", current.nummer, reden.value)
        return changed

    def _aanvraag(self, verzoek: AanvraagVerzoek) -> etree._Element:
        after = to_micros(verzoek.selectiemoment)
        size = self.options.page_size
        found = self.store.changed_since(verzoek.brin, after, size + 1)
        page, vervolg = found[:size], len(found) > size
        volgend = page[-1].gewijzigd_op if page else from_micros(after)
        log.info("aanvraag: %d meldingen, vervolg %s", len(page), "J" if vervolg else "N")
        return build_levering_meldingen(
            verzoek_id=verzoek.kop.document_id,
            gevallen=[_geval(melding) for melding in page],
            volgend_selectiemoment=volgend,
            vervolg=vervolg,
            receiver=verzoek.kop.verzender,
            document_id=uuid.uuid4(),
            now=self._now(),
        )

    # ----- parts -----

    def _check_sender(self, request: Request, peer_oin: str | None) -> None:
        fouten: list[Fout] = []
        ontvanger = request.kop.ontvanger
        if ontvanger != RECEIVER_DUO and not (len(ontvanger) == 20 and ontvanger.isdigit()):
            fouten.append(
                Fout(
                    codes.ONTVANGER, "Het bericht is niet aan DUO gericht.", "OntvangendeInstantie"
                )
            )
        brin = brin_of_oin(peer_oin) if peer_oin else None
        if brin is not None and brin != request.brin:
            fouten.append(
                Fout(
                    codes.BRIN_NIET_VAN_CERTIFICAAT,
                    "De BRIN van het bericht hoort niet bij de OIN van het certificaat (V13).",
                    "Onderwijsinstelling/Brin",
                )
            )
        if fouten:
            raise RejectedError(*fouten)

    def _schedule(self, nummer: str, registered: int) -> Schedule:
        return municipality.plan(
            self.options.seed,
            nummer,
            registered,
            self.options.behandeling_after,
            self.options.afsluiting_after,
        )

    def _now(self) -> dt.datetime:
        return from_micros(self.store.now())


def _check_dates(begindatum: dt.date, einddatum: dt.date | None) -> None:
    if einddatum is not None and einddatum < begindatum:
        raise RejectedError(
            Fout(codes.DATUM, "De einddatum ligt voor de begindatum (V03).", "Einddatum")
        )


def _geval(melding: StoredMelding) -> Verzuimgeval:
    return Verzuimgeval(
        nummer=melding.nummer,
        leerling=Leerling(bsn=melding.bsn, onderwijsnummer=melding.onderwijsnummer),
        code=melding.code,
        begindatum=melding.begindatum,
        einddatum=melding.einddatum,
        status=melding.status,
        reden_afsluiting=(
            RedenAfsluiting(melding.reden_afsluiting) if melding.reden_afsluiting else None
        ),
        reden_intrekking=(
            RedenIntrekking(melding.reden_intrekking) if melding.reden_intrekking else None
        ),
        laatste_wijziging=melding.gewijzigd_op,
    )
