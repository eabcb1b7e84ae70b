"""The gateway's Prometheus metrics, in one place (issue 6; ``GET /metrics`` of ``verzuim serve``).

Two kinds:

- **events of this process**, counted where they happen: ``verzuim_sends_total{result}`` and
  the ``verzuim_send_seconds`` histogram, recorded by the sender (``gateway.duo.sender``) with
  ``record_send``. Each process counts its own sends (Prometheus sums over processes).
- **state of the store**, read at scrape time by ``StoreCollector`` so that it is right across
  processes and machines sharing one database: ``verzuim_outbox_rows{state}``,
  ``verzuim_outbox_oldest_pending_seconds`` and ``verzuim_client_certificate_days_left``
  (DOMAIN.md 3.4: "certificate expiry is the classic outage").
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from gateway.errors import ConfigError
from gateway.settings import certificate_days_left
from gateway.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Outcomes of one send (README "The reliability model").
SEND_RESULTS = ("accepted", "rejected", "transient", "unknown", "security")

#: The process's own event metrics (sends); the store's state is added per scrape.
REGISTRY = CollectorRegistry()
SENDS = Counter(
    "verzuim_sends",
    "Requests sent to DUO, by outcome (accepted, rejected, transient, unknown, security).",
    ["result"],
    registry=REGISTRY,
)
SEND_SECONDS = Histogram(
    "verzuim_send_seconds",
    "Time of one request to DUO, from sending to its classified outcome, in seconds.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
for _result in SEND_RESULTS:  # every series exists from the start (0), not after the first send
    SENDS.labels(result=_result)


def record_send(result: str, started: float) -> None:
    """Count one send with its ``result`` and observe its latency since ``started``
    (a ``time.perf_counter()`` value)."""
    SENDS.labels(result=result).inc()
    SEND_SECONDS.observe(max(0.0, time.perf_counter() - started))


class StoreCollector(Collector):
    """Outbox depth per state, the age of the oldest pending row and the client certificate's
    days left, read when Prometheus scrapes."""

    def __init__(
        self,
        store: Store,
        client_cert: Path | None,
        clock: Callable[[], dt.datetime],
        duo_cert: Path | None = None,
    ) -> None:
        self._store = store
        self._client_cert = client_cert
        self._duo_cert = duo_cert
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self._clock()
        rows = GaugeMetricFamily("verzuim_outbox_rows", "Outbox rows per state.", labels=["state"])
        for state, count in self._store.counts().items():
            rows.add_metric([state.value], count)
        yield rows
        oldest = self._store.oldest_pending(now)
        yield GaugeMetricFamily(
            "verzuim_outbox_oldest_pending_seconds",
            "Age of the oldest outbox row that is not final (queued, sending, unknown, "
            "security); 0 when there is none.",
            value=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
        )
        client = ("verzuim_client_certificate_days_left", "the DUO client certificate")
        pinned = ("verzuim_duo_certificate_days_left", "the pinned DUO certificate (2W-be-S)")
        certificates = ((*client, self._client_cert), (*pinned, self._duo_cert))
        for name, what, path in certificates:
            if path is None:
                continue
            try:
                days = certificate_days_left(path, now)
            except ConfigError:
                continue  # unreadable: /readyz says why; no number is better than a wrong one
            yield GaugeMetricFamily(
                name, f"Whole days until {what} expires (negative: expired).", value=days
            )


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self._registry.collect()


def exposition(store_collector: StoreCollector | None) -> bytes:
    """The text exposition of this process's metrics plus the store's state."""
    registry = CollectorRegistry()
    registry.register(_Forward(REGISTRY))
    if store_collector is not None:
        registry.register(store_collector)
    return generate_latest(registry)
