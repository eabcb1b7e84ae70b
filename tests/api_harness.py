"""Shared set-up of the API tests: two schools, a real SQLite store, API keys, a fixed clock and
the FastAPI app under ``TestClient``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.model import SchoolConfig
from gateway.pki import PkiFiles, init_pki
from gateway.school import load_school
from gateway.service.api import create_app
from gateway.settings import ApiSettings, DuoSettings, Settings
from gateway.store import State, Store, open_store
from gateway.store.api_keys import ApiKeyStore

NOW = dt.datetime(2024, 11, 4, 9, 0, tzinfo=dt.UTC)  # a Monday after the herfstvakantie
BSN = "111222333"


def school_toml(brin: str) -> str:
    return "\n".join(
        [
            "[school]",
            f'brin = "{brin}"',
            'vestiging = "00"',
            f'naam = "School {brin}"',
            'sector = "vo"',
            "",
            "[melder]",
            'naam = "J. Jansen"',
            'email = "verzuim@school.example"',
            "",
            "[redencodes]",
            'Z = "ZIEK"',
            'VZV = "LUXE"',
            "",
            "[[vakanties]]",
            'naam = "herfstvakantie"',
            "van = 2024-10-19",
            "tot = 2024-10-27",
        ]
    )


@dataclass
class Harness:
    """The app over a real store, with a key for school A (99XX) and one for school B (98YY)."""

    tmp_path: Path
    settings: Settings
    store: Store
    schools: dict[str, SchoolConfig]
    key_a: str
    key_b: str
    app: FastAPI
    client: TestClient

    def headers(self, key: str | None = None, **extra: str) -> dict[str, str]:
        return {"X-API-Key": key or self.key_a, **extra}

    def new_app(self) -> TestClient:
        """A second API process over the same database (as after a restart)."""
        app = create_app(
            self.settings, open_store(self.settings.store_url), self.schools, clock=lambda: NOW
        )
        return TestClient(app, raise_server_exceptions=False)

    def accept(self, outbox_id: int, nummer: str, status: str = "R") -> None:
        """Play the worker: claim the row and record DUO's acceptance."""
        claimed = self.store.claim("test-worker", NOW, dt.timedelta(minutes=5), 100)
        assert outbox_id in {row.id for row in claimed}
        for row in claimed:
            if row.id == outbox_id:
                assert self.store.mark_accepted(row.id, "test-worker", nummer, status, NOW)
            else:  # give the others back
                self.store.mark_retry(row.id, "test-worker", "terug", NOW, NOW)
        assert self.store.counts()[State.SENDING] == 0


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    """One test PKI for the session (making RSA keys is the slow part of a harness)."""
    return init_pki(tmp_path_factory.mktemp("api-pki"))


def make_harness(
    tmp_path: Path,
    *,
    pki: PkiFiles | None = None,
    endpoint: str = "https://127.0.0.1:9/verzuim/v1",
    max_body_bytes: int = 64 * 1024,
    page_size: int = 3,
) -> Harness:
    tmp_path.mkdir(parents=True, exist_ok=True)
    schools = {}
    for brin in ("99XX", "98YY"):
        path = tmp_path / f"school-{brin}.toml"
        path.write_text(school_toml(brin), encoding="utf-8")
        schools[brin] = load_school(path)
    pki = pki or init_pki(tmp_path / "pki")
    settings = Settings(
        school=tmp_path / "school-99XX.toml",
        store_url=f"sqlite:///{tmp_path / 'verzuim.db'}",
        duo=DuoSettings(
            endpoint=endpoint,
            client_cert=pki.client_cert,
            client_key=pki.client_key,
            trust_bundle=pki.ca_cert,
            oin=pki.oin,
        ),
        api=ApiSettings(
            max_body_bytes=max_body_bytes, page_size=page_size, ready_timeout_seconds=2.0
        ),
    )
    store = open_store(settings.store_url)
    keys = ApiKeyStore(store.engine)
    _, key_a = keys.create(["99XX"], "leverancier A", NOW)
    _, key_b = keys.create(["98YY"], "leverancier B", NOW)
    app = create_app(settings, store, schools, clock=lambda: NOW)
    client = TestClient(app, raise_server_exceptions=False)
    return Harness(tmp_path, settings, store, schools, key_a, key_b, app, client)


def melding(**changes: Any) -> dict[str, Any]:
    """A valid 16-uur melding of school A (V3, a pupil of 14)."""
    body: dict[str, Any] = {
        "brin": "99XX",
        "leerlingnummer": "231045",
        "geboortedatum": "2010-03-15",
        "bsn": BSN,
        "code": "V3",
        "begindatum": "2024-10-28",
        "einddatum": "2024-10-30",
        "uren": 18.0,
        "dagen": [
            {"datum": "2024-10-28", "hele_dag": True, "uren": 6.0},
            {"datum": "2024-10-29", "hele_dag": True, "uren": 6.0},
            {"datum": "2024-10-30", "hele_dag": False, "lesuren": [1, 2, 3, 4, 5, 6], "uren": 6.0},
        ],
        "vermoedelijke_reden": "Leerling blijft thuis zonder bericht",
        "ondernomen_acties": "Mentor heeft ouders gebeld.",
    }
    body.update(changes)
    return body
