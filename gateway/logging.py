"""The one logging setup of the gateway (DESIGN.md 1 "one place per concern", 2 row "logging").

structlog, with the standard library's ``logging`` as the output: structlog's own loggers and the
stdlib loggers of zeep, httpx, uvicorn, alembic and sqlalchemy all end in one root handler whose
``structlog.stdlib.ProcessorFormatter`` runs the same chain on every record:

    (structlog)  filter_by_level, merge_contextvars, logger name, level, %-args, timestamp
    (stdlib)     merge_contextvars, logger name, level, timestamp, ``extra=`` values
    (both)       exception -> text or dicts WITHOUT local variables
                 redact_personal_fields, redact_secret_fields, redact_identity_numbers,
                 redact_secret_text
                 JSON (one object per line) or console rendering

Redaction runs after the exception is rendered, so exception messages and traceback lines are
masked too. Every processor is a small pure function (it returns a new event dict and leaves its
input alone), tested alone (DESIGN.md 3: structlog).

What is masked (DOMAIN.md: no BSN, onderwijsnummer, name or birth date in any log):

- any run of nine digits, optionally split by single spaces, dots or hyphens, that passes the BSN
  or the onderwijsnummer check (``gateway.numbers``), in every string, key and integer, at any
  depth; a nine-digit number that fails both checks stays visible (a leerlingnummer, an amount);
- the values of keys that name a person or their identity: ``naam`` and every ``*naam``
  (``achternaam``, ``voornaam``, ``roepnaam``, ...), ``voorletters``, ``tussenvoegsel``,
  ``geboortedatum``, ``bsn``, ``onderwijsnummer``, ``identiteit``, ``email``, ``telefoon``,
  ``adres``, English ``first_name``/``last_name``/``birth_date``/..., also as part of a longer
  key (``leerling_bsn``, ``telefoon_ouder_leerling``);
- the values of keys that hold secrets (``password``, ``wachtwoord``, ``secret``, ``api_key``,
  ``token``, ``private_key``, ``authorization``, ``passphrase``, ...), PEM private-key blocks
  and the password in a URL (``postgresql://user:***@host``) in any string.

Call ``configure_logging`` once at start-up, before anything logs (the CLI does). Notes for the
other layers: give uvicorn ``log_config=None``; do not call ``logging.config.fileConfig`` in
alembic's ``env.py`` (it replaces this setup); do not use SQLAlchemy's ``echo=True`` (it adds its
own handler) -- set the level of the ``sqlalchemy.engine`` logger instead.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog
from structlog.processors import ExceptionRenderer
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

from gateway.numbers import is_bsn, is_onderwijsnummer

__all__ = [
    "MASK",
    "NUMBER_MASK",
    "REDACTORS",
    "SECRET_MASK",
    "bind_send_context",
    "configure_logging",
    "get_logger",
    "is_personal_key",
    "is_secret_key",
    "mask_identity_numbers",
    "mask_secret_text",
    "redact_identity_numbers",
    "redact_personal_fields",
    "redact_secret_fields",
    "redact_secret_text",
]

MASK = "***"
"""What the value of a personal field becomes."""
NUMBER_MASK = "*********"
"""What a valid BSN or onderwijsnummer becomes (as in the rejection texts of ``adapters/``)."""
SECRET_MASK = "[verborgen]"
"""What a secret value, a PEM private key or a URL password becomes."""

_QUIET_LOGGERS = ("zeep.transports",)
"""Loggers kept at INFO or higher even at DEBUG: zeep.transports dumps whole SOAP envelopes."""

_STDLIB_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
"""Loggers that install their own handlers; theirs are removed so records reach the root."""

# --- redaction: pure processors ------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ .\-]?[0-9]){8}(?![0-9])")

_PERSONAL_TOKENS = frozenset(
    {
        "naam",
        "voorletters",
        "tussenvoegsel",
        "tussenvoegsels",
        "geboortedatum",
        "geboortedag",
        "bsn",
        "burgerservicenummer",
        "onderwijsnummer",
        "identiteit",
        "pgn",
        "email",
        "mail",
        "telefoon",
        "telefoonnummer",
        "adres",
        "postcode",
        "woonplaats",
        "surname",
        "firstname",
        "lastname",
        "fullname",
        "givenname",
        "familyname",
        "middlename",
        "birthdate",
        "dateofbirth",
        "dob",
        "ssn",
        "phone",
        "address",
    }
)
"""Key tokens that name a person (compared without ``_``, ``-``, ``.``, case-insensitive)."""

_NOT_PERSONAL_NAAM = frozenset({"bestandsnaam", "bestandnaam", "hostnaam", "schoolnaam"})
_NAME_PREFIXES = frozenset(
    {"first", "last", "full", "given", "family", "middle", "maiden", "student", "pupil", "parent"}
)

_SECRET_TOKENS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "wachtwoord",
        "secret",
        "apikey",
        "token",
        "privatekey",
        "authorization",
        "cookie",
        "credentials",
    }
)

_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.DOTALL
)
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)[^@\s/]+@")
_KEY_SPLIT = re.compile(r"[_\-.\s]+|(?<=[a-z])(?=[A-Z])")


def _walk(value: Any, text: Callable[[str], str], field: Callable[[str], bool], mask: str) -> Any:
    """Apply ``text`` to every string and key, mask the value of every key ``field`` accepts.

    Containers are copied, never changed in place; other objects become their ``repr`` (which
    is what the renderers would print) so that nothing escapes the text rule.
    """
    if isinstance(value, str):
        return text(value)
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        shown = text(str(value))
        return value if shown == str(value) else shown
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = text(key) if isinstance(key, str) else _walk(key, text, field, mask)
            masked = isinstance(key, str) and field(key) and item is not None and item != ""
            out[new_key] = mask if masked else _walk(item, text, field, mask)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = [_walk(item, text, field, mask) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    return text(repr(value))


def _no_text(value: str) -> str:
    return value


def _no_field(key: str) -> bool:
    return False


def _key_tokens(key: str) -> list[str]:
    return [token.lower() for token in _KEY_SPLIT.split(key) if token]


def is_personal_key(key: str) -> bool:
    """True for a key that names a person or their identity (see the module doc)."""
    tokens = _key_tokens(key)
    joined = "".join(tokens)
    if joined in _PERSONAL_TOKENS:
        return True
    for index, token in enumerate(tokens):
        if token in _PERSONAL_TOKENS:
            return True
        if token.endswith("naam") and token not in _NOT_PERSONAL_NAAM:
            return True
        if token == "name" and index > 0 and tokens[index - 1] in _NAME_PREFIXES:
            return True
    return False


def is_secret_key(key: str) -> bool:
    """True for a key that holds a secret: password, api key, token, private key, ..."""
    tokens = _key_tokens(key)
    joined = "".join(tokens)
    if any(secret in joined for secret in ("apikey", "privatekey", "password", "wachtwoord")):
        return True
    return any(token in _SECRET_TOKENS for token in tokens)


def mask_identity_numbers(text: str) -> str:
    """``text`` with every BSN and onderwijsnummer (by checksum) replaced by ``*********``.

    Nine digits, optionally split by single spaces, dots or hyphens (``1234.56.782``), count when
    the digits alone pass ``is_bsn`` or ``is_onderwijsnummer``; other numbers stay.
    """

    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"[^0-9]", "", match.group())
        return NUMBER_MASK if is_bsn(digits) or is_onderwijsnummer(digits) else match.group()

    return _DIGIT_RUN.sub(replace, text)


def mask_secret_text(text: str) -> str:
    """``text`` with PEM private-key blocks and URL passwords replaced by ``[verborgen]``."""
    text = _PEM_PRIVATE_KEY.sub(SECRET_MASK, text)
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}{SECRET_MASK}@", text)


def redact_identity_numbers(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """Processor: mask every valid BSN/onderwijsnummer in every value and key, at any depth."""
    result: EventDict = _walk(event_dict, mask_identity_numbers, _no_field, MASK)
    return result


def redact_personal_fields(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """Processor: mask the values of keys naming a person (``naam``, ``geboortedatum``, ...)."""
    result: EventDict = _walk(event_dict, _no_text, is_personal_key, MASK)
    return result


def redact_secret_fields(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """Processor: mask the values of keys holding secrets (``password``, ``api_key``, ...)."""
    result: EventDict = _walk(event_dict, _no_text, is_secret_key, SECRET_MASK)
    return result


def redact_secret_text(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Processor: mask PEM private keys and URL passwords inside every string."""
    result: EventDict = _walk(event_dict, mask_secret_text, _no_field, SECRET_MASK)
    return result


REDACTORS: tuple[Processor, ...] = (
    redact_personal_fields,
    redact_secret_fields,
    redact_identity_numbers,
    redact_secret_text,
)
"""The redaction processors, in the order the chain runs them."""

# --- configuration -------------------------------------------------------------------------------

_EXCEPTION_DICTS = ExceptionRenderer(ExceptionDictTransformer(show_locals=False))
"""``dict_tracebacks`` without local variables (they may hold a pupil's record)."""

_OUR_HANDLER = "_verzuim_handler"


def _wants_console(fmt: str, stream: TextIO) -> bool:
    if fmt == "console":
        return True
    if fmt == "json":
        return False
    return _is_tty(stream)


def _timestamper() -> Processor:
    return structlog.processors.TimeStamper(fmt="iso", utc=True)


def configure_logging(level: str = "INFO", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Set up structlog and the stdlib root logger once for the whole process.

    ``fmt``: ``json`` (one JSON object per line), ``console`` (readable, coloured on a terminal)
    or ``auto`` (console when ``stream`` is a terminal, JSON otherwise). ``stream`` defaults to
    ``sys.stderr`` (stdout is for command output). Calling it again replaces the earlier setup.
    """
    if fmt not in ("auto", "json", "console"):
        raise ValueError(f"unknown log format {fmt!r}: use auto, json or console")
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    out = stream if stream is not None else sys.stderr
    console = _wants_console(fmt, out)

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        _timestamper(),
    ]
    renderer: Processor
    exceptions: Processor
    if console:
        exceptions = structlog.processors.format_exc_info  # plain text, never locals
        renderer = structlog.dev.ConsoleRenderer(
            colors=_is_tty(out), exception_formatter=structlog.dev.plain_traceback
        )
    else:
        exceptions = _EXCEPTION_DICTS
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.StackInfoRenderer(),
            exceptions,
            *REDACTORS,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    setattr(handler, _OUR_HANDLER, True)

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OUR_HANDLER, False)]:
        root.removeHandler(old)  # not closed: the stream belongs to the caller
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric, logging.INFO))
    # Alembic's "Context impl" lines on every start say nothing to a school; keep them at DEBUG.
    logging.getLogger("alembic").setLevel(numeric if numeric <= logging.DEBUG else logging.WARNING)
    for name in _STDLIB_LOGGERS:
        stdlib_logger = logging.getLogger(name)
        stdlib_logger.handlers.clear()
        stdlib_logger.propagate = True
    logging.captureWarnings(True)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # not cached: configure_logging may run again (tests, CLI) and structlog.testing
        # helpers must be able to take over
        cache_logger_on_first_use=False,
    )


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A structlog logger routed through the chain of ``configure_logging``."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


@contextmanager
def bind_send_context(outbox_id: int | str, document_id: str, brin: str) -> Iterator[None]:
    """Every log line inside the ``with`` carries the outbox row, document id and BRIN.

    Uses ``structlog.contextvars``, so it holds per thread and per asyncio task, also for the
    stdlib loggers (zeep, httpx) called during the send; the earlier values come back on exit.
    """
    with structlog.contextvars.bound_contextvars(
        outbox_id=outbox_id, document_id=document_id, brin=brin
    ):
        yield
