"""The history file of meldingen sent earlier (``--history``): ``load_history``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import InputError
from gateway.history import load_history
from gateway.model import DuoStatus, KnownMelding, WireCode

V3 = {"leerlingnummer": "1001", "code": "V3", "begindatum": "2024-09-02", "einddatum": "2024-09-04"}
LRV_OPEN = {
    "leerlingnummer": "1002",
    "code": "LRV",
    "begindatum": "2024-09-09",
    "einddatum": None,
    "status": "B",
    "herhaal": False,
    "nummer": "VM000123",
}


def write(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "meldingen.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


EXPECTED = [
    KnownMelding("1001", WireCode.V3, dt.date(2024, 9, 2), dt.date(2024, 9, 4)),
    KnownMelding(
        "1002", WireCode.LRV, dt.date(2024, 9, 9), None, DuoStatus.IN_BEHANDELING, False, "VM000123"
    ),
]


def test_a_list_of_meldingen(tmp_path: Path) -> None:
    assert load_history(write(tmp_path, [V3, LRV_OPEN])) == EXPECTED


def test_an_object_with_meldingen_as_the_precheck_json_has_it(tmp_path: Path) -> None:
    document = {
        "peildatum": "2024-10-20",
        "meldingen": [
            {**V3, "soort": "16U", "herhaal": False, "eenheid": "lesuren", "uren": 18.0,
             "uiterste_meldingsdatum": "2024-09-11", "regels": ["R-16U"], "dagen": []},
            LRV_OPEN,
        ],
        "wijzigingen": [],
        "afwijzingen": [],
        "waarschuwingen": [],
        "bestanden": [],
    }  # fmt: skip

    assert load_history(write(tmp_path, document)) == EXPECTED


def test_an_empty_history(tmp_path: Path) -> None:
    assert load_history(write(tmp_path, [])) == []
    assert load_history(write(tmp_path, {"meldingen": []})) == []


def test_defaults_and_herhaal(tmp_path: Path) -> None:
    item = {"leerlingnummer": " 1001 ", "code": "V4", "begindatum": "2024-09-05", "herhaal": True}
    (known,) = load_history(write(tmp_path, [item]))

    assert known == KnownMelding(
        "1001", WireCode.V4, dt.date(2024, 9, 5), None, DuoStatus.GEREGISTREERD, True, ""
    )


@pytest.mark.parametrize("status", ["R", "B", "G", "K", "I", "D"])
def test_every_duo_status_is_accepted(tmp_path: Path, status: str) -> None:
    (known,) = load_history(write(tmp_path, [{**V3, "status": status}]))

    assert known.status is DuoStatus(status)
    assert known.active is (status != "I")


@pytest.mark.parametrize("code", ["V3", "V4", "LRV", "RMC", "L", "O"])
def test_every_wire_code_is_accepted(tmp_path: Path, code: str) -> None:
    (known,) = load_history(write(tmp_path, [{**V3, "code": code}]))

    assert known.code is WireCode(code)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "16U"}, "code"),
        ({"code": None}, "code"),
        ({"code": "v3"}, "code"),
        ({"begindatum": "2024-02-30"}, "begindatum"),
        ({"begindatum": "02-09-2024"}, "begindatum"),
        ({"begindatum": None}, "begindatum"),
        ({"einddatum": "morgen"}, "einddatum"),
        ({"einddatum": 20240904}, "einddatum"),
        ({"einddatum": "20240904"}, "einddatum"),
        ({"begindatum": "2024-W36-1"}, "begindatum"),
        ({"herhaal": "false"}, "herhaal"),
        ({"herhaal": 1}, "herhaal"),
        ({"status": "X"}, "status"),
        ({"status": "r"}, "status"),
        ({"leerlingnummer": ""}, "leerlingnummer"),
        ({"leerlingnummer": 1001}, "leerlingnummer"),
    ],
)
def test_a_bad_item_names_the_item_and_the_field(
    tmp_path: Path, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(InputError) as caught:
        load_history(write(tmp_path, [V3, {**V3, **change}]))

    assert str(caught.value).startswith(f"meldingen.json: melding 2, veld {field}: ")


def test_a_missing_begindatum_names_the_field(tmp_path: Path) -> None:
    item = {key: value for key, value in V3.items() if key != "begindatum"}

    with pytest.raises(InputError, match=r"melding 1, veld begindatum: verwacht een datum"):
        load_history(write(tmp_path, [item]))


def test_a_datetime_is_not_a_date(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"melding 1, veld begindatum"):
        load_history(write(tmp_path, [{**V3, "begindatum": "2024-09-02T10:00:00"}]))


def test_an_item_that_is_not_an_object_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"meldingen\.json: melding 2: verwacht een object"):
        load_history(write(tmp_path, [V3, "V3"]))


@pytest.mark.parametrize(
    "content", [{"melding": []}, {"meldingen": {}}, "V3", 3], ids=["key", "object", "string", "int"]
)
def test_a_document_of_the_wrong_shape_is_an_input_error(tmp_path: Path, content: Any) -> None:
    with pytest.raises(InputError, match=r"meldingen\.json: verwacht een lijst van meldingen"):
        load_history(write(tmp_path, content))


def test_invalid_json_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "meldingen.json"
    path.write_text('[{"code": "V3",]', encoding="utf-8")

    with pytest.raises(InputError, match="geen leesbare JSON"):
        load_history(path)


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="niet gevonden"):
        load_history(tmp_path / "ontbreekt.json")


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "meldingen.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([V3]).encode())

    assert load_history(path) == EXPECTED[:1]
