"""What the API works with: settings, the schools it serves, the store and a clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from fastapi import Request

from gateway.model import SchoolConfig
from gateway.settings import Settings
from gateway.store import Store
from gateway.store.api_keys import ApiKeyStore
from gateway.store.idempotency import IdempotencyStore

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass(slots=True)
class ApiContext:
    """One API process: ``schools`` by BRIN (today the one school of ``settings.school``)."""

    settings: Settings
    store: Store
    schools: Mapping[str, SchoolConfig]
    clock: Callable[[], dt.datetime]
    keys: ApiKeyStore = field(init=False)
    idempotency: IdempotencyStore = field(init=False)

    def __post_init__(self) -> None:
        self.keys = ApiKeyStore(self.store.engine)
        retention = dt.timedelta(hours=self.settings.api.idempotency_hours)
        self.idempotency = IdempotencyStore(self.store.engine, retention)

    def today(self) -> dt.date:
        """Today in the Netherlands: the peildatum of a submitted melding (V03)."""
        return self.clock().astimezone(AMSTERDAM).date()


def get_context(request: Request) -> ApiContext:
    """FastAPI dependency: the context stored on the app by ``create_app``."""
    context = request.app.state.context
    assert isinstance(context, ApiContext)
    return context
