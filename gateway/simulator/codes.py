"""The simulator's DC0002 error codes (ours, like the whole interface: ``xsd/README.md``).

``VZ0nn`` are protocol errors (the request could not be read as a valid message of the
machinekoppeling); ``VZ1nn`` are checks of the sender; ``VZ2nn`` are business rules on the
melding itself. All travel as a SOAP 1.1 Fault with faultcode ``soap:Client`` and a
``Foutmelding`` as its detail: final, never retried (DOMAIN.md 3.1). The table is repeated in
``gateway/simulator/README.md``.
"""

from __future__ import annotations

from typing import Final

XML_ONGELDIG: Final = "VZ001"
"""The body is not well-formed XML, or was refused by the safe parser (DOCTYPE, entity, size)."""
GEEN_ENVELOP: Final = "VZ002"
"""Not a SOAP 1.1 envelope, or the Body does not hold exactly one known request document."""
SCHEMA: Final = "VZ003"
"""The request document does not validate against ``xsd/`` (the path is in the text)."""
ACTION: Final = "VZ004"
"""``wsa:Action`` missing, or not the action of the operation of the Body's document."""
MESSAGE_ID: Final = "VZ005"
"""``wsa:MessageID`` missing or empty."""
SOAP_ACTION: Final = "VZ006"
"""The HTTP ``SOAPAction`` header differs from ``wsa:Action`` (DOMAIN.md 3.4)."""

BRIN_NIET_VAN_CERTIFICAAT: Final = "VZ110"
"""The BRIN of the request is not the BRIN in the client certificate's OIN (V13)."""
ONTVANGER: Final = "VZ111"
"""``OntvangendeInstantie`` is not DUO."""

DATUM: Final = "VZ120"
"""Einddatum before begindatum (V03)."""

ONBEKEND_NUMMER: Final = "VZ200"
"""No melding with this ``NummerMeldingRelatiefVerzuim`` for this school."""
INTREKKEN_AFGESLOTEN: Final = "VZ210"
"""A melding with status G (afgesloten) cannot be withdrawn (DOMAIN.md 3.2, V12)."""
AL_INGETROKKEN: Final = "VZ211"
"""The melding is already withdrawn (status I) (DOMAIN.md 3.2, V12)."""
WIJZIGEN_INGETROKKEN: Final = "VZ212"
"""A withdrawn melding (status I) cannot be changed."""
