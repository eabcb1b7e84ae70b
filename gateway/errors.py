"""The one error taxonomy of the gateway (DESIGN.md 1: one place per concern).

Every error the gateway raises on purpose is a ``GatewayError``, so the CLI and the service can
catch one type, print its message and pick an exit code. Messages never contain a BSN,
onderwijsnummer, name or birth date: they name the file, key or element path instead.

    GatewayError
    ├── ConfigError       the school configuration or settings are wrong (fix the file)
    ├── InputError        an input file or payload is wrong (fix the input)
    ├── MessageError      an XML document could not be built or is not valid against xsd/
    │   └── (answers from DUO that do not validate are MessageErrors too)
    └── UnsafeXmlError    an XML document was refused before use: DOCTYPE, entity, size limit

Transport errors (``TransportError`` with transient and final kinds, DOMAIN.md 3.1) will join
this module when ``gateway/duo/`` is built; they subclass ``GatewayError`` too.
"""

from __future__ import annotations

from dataclasses import dataclass


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """The school configuration or the settings are wrong."""


class InputError(GatewayError):
    """An input file or payload (CSV, JSON, API body) is wrong."""


@dataclass(frozen=True, slots=True)
class XmlIssue:
    """One problem in an XML document: the element path, the line (when known) and what is wrong.

    ``message`` never quotes the value of an identity field (BSN, onderwijsnummer).
    """

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path} (regel {self.line})" if self.line else self.path
        return f"{where}: {self.message}"


class MessageError(GatewayError):
    """An XML document could not be built, or it is not valid against the schemas of ``xsd/``.

    ``issues`` lists every problem with its element path; the message shows the first few.
    """

    def __init__(self, summary: str, issues: tuple[XmlIssue, ...] = ()) -> None:
        self.summary = summary
        self.issues = issues
        shown = "; ".join(str(issue) for issue in issues[:5])
        more = f" (+{len(issues) - 5} meer)" if len(issues) > 5 else ""
        super().__init__(f"{summary}: {shown}{more}" if shown else summary)


class UnsafeXmlError(GatewayError):
    """An XML document was refused before it was used (DESIGN.md 1: the one safe parser).

    Raised for a DOCTYPE, an entity declaration or reference, or a document over the size limit.
    Nothing in the document is expanded or fetched.
    """


class TransportError(GatewayError):
    """Sending to DUO failed (DOMAIN.md 3.1). The subclasses say what the outbox must do."""


class TransientError(TransportError):
    """DUO did not process the request (connection refused, HTTP 503, a SOAP Fault with faultcode
    Server): safe to send again later."""


class UnknownOutcomeError(TransportError):
    """The request may have reached DUO but no usable answer came back (timeout, connection
    dropped, malformed answer). Never resent blindly: reconcile first (DESIGN.md 4)."""


class RejectedError(TransportError):
    """DUO refused the request with a DC0002 Foutmelding: final, never retried.

    ``errors`` holds (code, text) pairs as DUO gave them.
    """

    def __init__(self, errors: tuple[tuple[str, str], ...]) -> None:
        self.errors = errors
        shown = "; ".join(f"{code}: {text}" for code, text in errors[:5])
        super().__init__(f"DUO weigerde het verzoek (DC0002): {shown}")


class SecurityError(TransportError):
    """The TLS handshake or an answer's security checks failed (wrong certificate, untrusted
    chain, mismatched RelatesTo). Stored and reported; never retried blindly."""
