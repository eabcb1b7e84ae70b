"""The logging setup (DESIGN.md 2 row "logging", 3 "structlog"): each processor alone, then the
whole chain through stdlib and structlog loggers, in JSON and console form.

Numbers used: ``111222333`` and ``123456782`` pass the BSN 11-check, ``101234564`` is a valid
onderwijsnummer, ``123456789`` passes neither and must stay visible.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from gateway.logging import (
    MASK,
    NUMBER_MASK,
    SECRET_MASK,
    bind_send_context,
    configure_logging,
    get_logger,
    is_personal_key,
    is_secret_key,
    mask_identity_numbers,
    redact_identity_numbers,
    redact_personal_fields,
    redact_secret_fields,
    redact_secret_text,
)
from gateway.numbers import is_bsn, is_onderwijsnummer

BSN = "111222333"
BSN2 = "123456782"
ONDERWIJSNUMMER = "101234564"
INVALID = "123456789"
PEM = (
    "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n"
    "-----END PRIVATE KEY-----"
)


def assert_no_identity_numbers(text: str) -> None:
    for run in re.findall(r"(?<![0-9])[0-9]{9}(?![0-9])", text):
        assert not is_bsn(run), run
        assert not is_onderwijsnummer(run), run


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    logging.getLogger("zeep.transports").setLevel(logging.NOTSET)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


# --- processors alone ---------------------------------------------------------------------------


def test_identity_numbers_are_masked_by_checksum_everywhere() -> None:
    event = {
        "event": f"pupil {BSN} and {INVALID}",
        "student": {"ids": [BSN2, int(BSN), int(INVALID)], "pair": (ONDERWIJSNUMMER, "x")},
        BSN: "a key too",
        "written": "1112.22.333 / 111 222 333",
        "longer": f"0{BSN}",
    }
    out = redact_identity_numbers(None, "info", event)
    assert out["event"] == f"pupil {NUMBER_MASK} and {INVALID}"
    assert out["student"] == {
        "ids": [NUMBER_MASK, NUMBER_MASK, int(INVALID)],
        "pair": (NUMBER_MASK, "x"),
    }
    assert out[NUMBER_MASK] == "a key too"
    assert out["written"] == f"{NUMBER_MASK} / {NUMBER_MASK}"
    assert out["longer"] == f"0{BSN}"  # ten digits: not a BSN (an OIN contains such runs)
    assert event["event"] == f"pupil {BSN} and {INVALID}"  # input left alone


def test_identity_numbers_inside_objects_are_masked_in_their_repr() -> None:
    out = redact_identity_numbers(None, "info", {"error": ValueError(f"bad {BSN}")})
    assert out["error"] == f"ValueError('bad {NUMBER_MASK}')"


def test_mask_identity_numbers_leaves_other_numbers() -> None:
    text = "OIN 00000001234567890000, 2024-10-20 12:30, tel 0301234567, amount 999999990"
    # 999999990 passes the BSN check and is masked; the rest has no nine-digit run
    assert mask_identity_numbers(text) == text.replace("999999990", NUMBER_MASK)
    assert mask_identity_numbers(INVALID) == INVALID


def test_personal_fields_are_masked_at_any_depth() -> None:
    event = {
        "event": "x",
        "naam": "Jan",
        "leerling": {
            "achternaam": "Jansen",
            "voornaam": "Jan",
            "geboortedatum": "2010-01-01",
            "leerling_bsn": "x",
            "onderwijsnummer": "y",
            "identiteit": {"bsn": "z"},
            "leerlingnummer": "231045",
        },
        "melder": [{"email": "a@b.example", "telefoon": "030"}],
        "firstName": "Jan",
        "date_of_birth": "2010-01-01",
        "frames": [{"filename": "x.py", "lineno": 3, "name": "send"}],
        "bestandsnaam": "leerlingen.csv",
        "tussenvoegsel": None,
    }
    out = redact_personal_fields(None, "info", event)
    assert out["naam"] == MASK
    leerling = out["leerling"]
    for key in ("achternaam", "voornaam", "geboortedatum", "leerling_bsn", "onderwijsnummer"):
        assert leerling[key] == MASK
    assert leerling["identiteit"] == MASK
    assert leerling["leerlingnummer"] == "231045"
    assert out["melder"] == [{"email": MASK, "telefoon": MASK}]
    assert out["firstName"] == MASK
    assert out["date_of_birth"] == MASK
    assert out["frames"] == [{"filename": "x.py", "lineno": 3, "name": "send"}]
    assert out["bestandsnaam"] == "leerlingen.csv"
    assert out["tussenvoegsel"] is None
    assert event["naam"] == "Jan"


@pytest.mark.parametrize(
    ("key", "personal"),
    [
        ("roepnaam", True),
        ("student_name", True),
        ("name", False),
        ("logger", False),
        ("brin", False),
        ("document_id", False),
        ("telefoon_ouder_leerling", True),
    ],
)
def test_is_personal_key(key: str, personal: bool) -> None:
    assert is_personal_key(key) is personal


def test_secret_fields_are_masked() -> None:
    event = {
        "event": "x",
        "password": "hunter2",
        "api_key": "k",
        "apiKey": "k",
        "headers": {"Authorization": "Bearer t", "Accept": "text/xml"},
        "private_key": "p",
        "client_secret": "s",
        "secrets_dir": "/run/secrets",
    }
    out = redact_secret_fields(None, "info", event)
    for key in ("password", "api_key", "apiKey", "private_key", "client_secret"):
        assert out[key] == SECRET_MASK
    assert out["headers"] == {"Authorization": SECRET_MASK, "Accept": "text/xml"}
    assert out["secrets_dir"] == "/run/secrets"


@pytest.mark.parametrize(("key", "secret"), [("wachtwoord", True), ("token_count", True)])
def test_is_secret_key(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_secret_text_masks_pem_private_keys_and_url_passwords() -> None:
    event = {
        "event": f"loaded {PEM} ok",
        "nested": ["-----BEGIN EC PRIVATE KEY-----\nabc truncated"],
        "url": "postgresql://gateway:s3cr3t@db:5432/verzuim",
        "plain": "https://duo.example/verzuim/v1",
    }
    out = redact_secret_text(None, "info", event)
    assert out["event"] == f"loaded {SECRET_MASK} ok"
    assert out["nested"] == [SECRET_MASK]
    assert out["url"] == f"postgresql://gateway:{SECRET_MASK}@db:5432/verzuim"
    assert out["plain"] == "https://duo.example/verzuim/v1"


# --- the whole chain ----------------------------------------------------------------------------


def _raise_with_local() -> None:
    pupil_record = {"bsn": BSN, "marker": "LOCAL-SENTINEL"}  # a local the traceback must not show
    raise ValueError(f"no melding for {pupil_record['bsn']} ({INVALID})")


def _log_everything() -> None:
    logging.getLogger("httpx").info("HTTP Request: POST %s for %s", "https://duo/v1", BSN)
    logging.getLogger("sqlalchemy.engine").warning("params %r", {"bsn": BSN, "n": INVALID})
    log = get_logger("gateway.duo.sender")
    log.info(
        "melding %s verstuurd",
        BSN2,
        leerling={"naam": "Jan Jansen", "ids": [ONDERWIJSNUMMER, INVALID]},
        api_key="abc",
    )
    try:
        _raise_with_local()
    except ValueError:
        log.exception("verzenden mislukt")
    try:
        _raise_with_local()
    except ValueError:
        logging.getLogger("zeep").exception("stdlib with traceback")


def test_json_output_has_one_object_per_line_and_no_identity_numbers() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    _log_everything()
    output = stream.getvalue()
    lines = output.splitlines()
    records: list[dict[str, Any]] = [json.loads(line) for line in lines]
    assert len(records) == 5
    assert_no_identity_numbers(output)
    assert INVALID in output
    assert "Jan Jansen" not in output
    assert "abc" not in output
    assert "LOCAL-SENTINEL" not in output
    assert '"locals"' not in output

    httpx_line, sqlalchemy_line, info, error, stdlib_error = records
    assert httpx_line["event"] == f"HTTP Request: POST https://duo/v1 for {NUMBER_MASK}"
    assert httpx_line["logger"] == "httpx"
    assert httpx_line["level"] == "info"
    assert "timestamp" in httpx_line
    assert NUMBER_MASK in sqlalchemy_line["event"]
    assert info["event"] == f"melding {NUMBER_MASK} verstuurd"
    assert info["leerling"] == {"naam": MASK, "ids": [NUMBER_MASK, INVALID]}
    assert error["level"] == "error"
    (exception,) = error["exception"]
    assert exception["exc_type"] == "ValueError"
    assert exception["exc_value"] == f"no melding for {NUMBER_MASK} ({INVALID})"
    assert all(set(frame) == {"filename", "lineno", "name"} for frame in exception["frames"])
    assert stdlib_error["exception"][0]["exc_value"] == exception["exc_value"]


def test_console_output_is_readable_without_locals_or_identity_numbers() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "console", stream)
    _log_everything()
    output = stream.getvalue()
    assert_no_identity_numbers(output)
    assert INVALID in output
    assert "Traceback (most recent call last)" in output
    assert f"ValueError: no melding for {NUMBER_MASK} ({INVALID})" in output
    assert "LOCAL-SENTINEL" not in output
    assert "Jan Jansen" not in output
    assert "\x1b[" not in output  # no colours when not on a terminal
    with pytest.raises(json.JSONDecodeError):
        json.loads(output.splitlines()[0])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_format_is_console_on_a_terminal_and_json_otherwise() -> None:
    pipe = io.StringIO()
    configure_logging("INFO", "auto", pipe)
    get_logger("t").info("hallo")
    assert json.loads(pipe.getvalue())["event"] == "hallo"

    terminal = _Terminal()
    configure_logging("INFO", "auto", terminal)
    get_logger("t").info("hallo")
    assert "hallo" in terminal.getvalue()
    assert not terminal.getvalue().startswith("{")


def test_debug_does_not_open_zeep_transports() -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    logging.getLogger("zeep.transports").debug("HTTP Post to x:\n<soap:Envelope/>")
    logging.getLogger("zeep.wsdl").debug("zeep debug line")
    get_logger("gateway").debug("our debug line")
    output = stream.getvalue()
    assert "Envelope" not in output
    assert "zeep debug line" in output
    assert "our debug line" in output
    assert logging.getLogger("zeep.transports").getEffectiveLevel() == logging.INFO


def test_level_filters_structlog_and_stdlib() -> None:
    stream = io.StringIO()
    configure_logging("WARNING", "json", stream)
    get_logger("gateway").info("hidden")
    logging.getLogger("httpx").info("hidden too")
    get_logger("gateway").warning("shown")
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["shown"]


def test_send_context_is_on_every_line_of_a_send_and_gone_after() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    with bind_send_context(42, "DOC-1", "99XX"):
        get_logger("gateway.duo").info("sending")
        logging.getLogger("httpx").info("HTTP Request: POST")
    get_logger("gateway.duo").info("after")
    inside_a, inside_b, after = (json.loads(line) for line in stream.getvalue().splitlines())
    for record in (inside_a, inside_b):
        assert (record["outbox_id"], record["document_id"], record["brin"]) == (42, "DOC-1", "99XX")
    assert "outbox_id" not in after


def test_configuring_again_replaces_the_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", "json", first)
    configure_logging("INFO", "json", second)
    get_logger("t").info("once")
    assert first.getvalue() == ""
    assert len(second.getvalue().splitlines()) == 1


def test_unknown_level_or_format_is_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        configure_logging("LOUD", "json", io.StringIO())
    with pytest.raises(ValueError, match="format"):
        configure_logging("INFO", "xml", io.StringIO())
