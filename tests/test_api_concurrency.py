"""Two API requests for the same pupil at the same moment (issue 6): the checks against the known
meldingen (V09 overlap, V08) run again inside the writing transaction, so of two overlapping
meldingen that both passed the first check exactly one is accepted."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from api_harness import Harness, make_harness, melding, pki  # noqa: F401

import gateway.service.api.meldingen as routes
from gateway.pki import PkiFiles
from gateway.store import State


def test_of_two_overlapping_meldingen_sent_at_once_one_is_accepted(
    tmp_path: Path,
    pki: PkiFiles,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h: Harness = make_harness(tmp_path, pki=pki)
    both_checked = threading.Barrier(2)
    first_check = routes.check_melding

    def check_then_wait(*args: Any, **kwargs: Any) -> Any:
        checked = first_check(*args, **kwargs)  # both see no known melding yet ...
        both_checked.wait(timeout=30)  # ... and only then does either write
        return checked

    monkeypatch.setattr(routes, "check_melding", check_then_wait)
    bodies = [
        melding(),  # 28 - 30 Oct
        melding(begindatum="2024-10-29", einddatum="2024-10-31", dagen=[]),  # overlaps
    ]
    clients = [h.client, h.new_app()]

    def post(index: int) -> Any:
        return clients[index].post("/v1/meldingen", json=bodies[index], headers=h.headers())

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(post, range(2)))
    codes = sorted(response.status_code for response in responses)
    assert codes == [202, 422], [r.text for r in responses]
    (refused,) = [r for r in responses if r.status_code == 422]
    assert any(fout["regel"] == "V09" for fout in refused.json()["fouten"])
    assert h.store.counts()[State.QUEUED] == 1  # nothing of the refused one was written
