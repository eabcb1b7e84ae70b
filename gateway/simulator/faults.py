"""Fault injection for the transport's unhappy paths (DESIGN.md 4: accepted, rejected, unknown).

One ``random.Random(seed)`` per simulator. For every SOAP request, in the order the requests
arrive, exactly one number is drawn per rate of ``options.RATE_FIELDS`` (always all five, also
for a rate of 0), so the same seed and the same request order give the same faults whatever the
rates. At most one fault applies; the first that hits, in this order:

``reset``      close the connection before processing (the request is NOT processed)
``fail``       HTTP 503, nothing processed
``timeout``    process, then answer only after ``timeout_seconds`` (the client times out)
``drop``       process and commit, then send a partial answer and close the connection
``malformed``  process, then answer with broken XML

``latency_ms`` is the response time of every SOAP request, faulty or not: the answer leaves that
long after the request arrived, the simulator's own processing included (``app._soap``).
"""

from __future__ import annotations

import random
import threading
from enum import StrEnum

from gateway.simulator.options import FaultRates


class Fault(StrEnum):
    """The fault chosen for one request."""

    NONE = "none"
    RESET = "reset"
    FAIL = "fail"
    TIMEOUT = "timeout"
    DROP = "drop"
    MALFORMED = "malformed"


_ORDER = (
    ("reset_rate", Fault.RESET),
    ("fail_rate", Fault.FAIL),
    ("timeout_rate", Fault.TIMEOUT),
    ("drop_after_commit_rate", Fault.DROP),
    ("malformed_rate", Fault.MALFORMED),
)


class FaultInjector:
    """Draws the fault of each request from one seeded random stream; rates change at runtime."""

    def __init__(self, rates: FaultRates, seed: int | None) -> None:
        self._rates = rates.checked()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.counts: dict[Fault, int] = dict.fromkeys(Fault, 0)

    @property
    def rates(self) -> FaultRates:
        return self._rates

    def update(self, changes: dict[str, object]) -> FaultRates:
        """Change some rates (``POST /_sim/faults``); ``ConfigError`` for a bad value."""
        with self._lock:
            self._rates = self._rates.updated(changes)
            return self._rates

    def draw(self) -> Fault:
        """The fault for the next request (always draws one number per rate)."""
        with self._lock:
            draws = [(self._rng.random(), name, fault) for name, fault in _ORDER]
            chosen = next(
                (fault for value, name, fault in draws if value < getattr(self._rates, name)),
                Fault.NONE,
            )
            self.counts[chosen] += 1
            return chosen
