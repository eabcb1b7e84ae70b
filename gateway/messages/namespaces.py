"""Namespace URIs, element names and WS-Addressing actions of ``xsd/`` (DOMAIN.md 3.1).

These URIs are ours (the reconstruction of DUO's interface, see ``xsd/README.md``). To use DUO's
official schemas, change them here together with the files of ``xsd/``.
"""

from __future__ import annotations

from typing import Final

VERSION: Final = "v1"
NS_VERZUIM: Final = "http://verzuim-gateway.example/duo/verzuim/v1"
NS_GWB: Final = "http://verzuim-gateway.example/duo/gwb/v1"
NS_WSDL: Final = "http://verzuim-gateway.example/duo/verzuim/v1/wsdl"
PREFIX: Final = "vz"
NSMAP: Final = {PREFIX: NS_VERZUIM}

SCHEMA_FILE: Final = "verzuim-berichten-v1.xsd"
WSDL_FILE: Final = "verzuim-v1.wsdl"
RECEIVER_DUO: Final = "DUO"

OP_MELDEN: Final = "MeldenRelatiefVerzuim"
OP_MUTATIE: Final = "MutatieMeldingRelatiefVerzuim"
OP_AANVRAAG: Final = "AanvraagGewijzigdeMeldingRelatiefVerzuim"

DC0001: Final = "Bevestiging"
DC0002: Final = "Foutmelding"
DC0011: Final = "LeveringMeldingRelatiefVerzuim"
DC0018: Final = "LeveringNummerMeldingRelatiefVerzuim"

ACTION_BASE: Final = NS_VERZUIM + "/"
ACTIONS: Final = {
    OP_MELDEN: ACTION_BASE + OP_MELDEN,
    OP_MUTATIE: ACTION_BASE + OP_MUTATIE,
    OP_AANVRAAG: ACTION_BASE + OP_AANVRAAG,
}
"""wsam:Action of each operation's request; equals its SOAPAction (DOMAIN.md 3.4)."""


def q(local: str) -> str:
    """The Clark name ``{namespace}local`` of an element of the verzuim namespace."""
    return f"{{{NS_VERZUIM}}}{local}"
