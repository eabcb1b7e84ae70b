"""``/metrics`` certificate gauges (issues 6 and 7): days left of the client certificate and, in
profile 2W-be-S, of the pinned DUO certificate; an unreadable one gives no number at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from store_builders import store_at

from gateway.metrics import StoreCollector, exposition
from gateway.pki import init_pki


def _gauge(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_both_certificates_report_their_days_left(tmp_path: Path) -> None:
    pki = init_pki(tmp_path / "pki", days=365)
    store = store_at(tmp_path)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=100)
    collector = StoreCollector(
        store, pki.directory / "client.pem", lambda: later, pki.directory / "duo-sign.pem"
    )
    text = exposition(collector).decode()
    store.close()
    client = _gauge(text, "verzuim_client_certificate_days_left")
    pinned = _gauge(text, "verzuim_duo_certificate_days_left")
    assert client is not None and 263 <= client <= 265
    assert pinned is not None and pinned > 200


def test_an_unreadable_certificate_gives_no_number(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate", encoding="utf-8")
    collector = StoreCollector(store, broken, lambda: dt.datetime.now(dt.UTC), tmp_path / "gone")
    text = exposition(collector).decode()
    store.close()
    assert _gauge(text, "verzuim_client_certificate_days_left") is None
    assert _gauge(text, "verzuim_duo_certificate_days_left") is None
    assert "verzuim_outbox_rows" in text  # the rest is still there
