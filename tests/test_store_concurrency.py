"""Two workers never claim the same row (DESIGN.md 4): real threads and real processes claiming
from one database at once, hundreds of rows; on SQLite (``BEGIN IMMEDIATE``) and on PostgreSQL
(``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from store_builders import T0, claim_until_empty, new_item, open_and_count

from gateway.store import State, open_store

ROWS = 400


def _fill(url: str) -> str:
    store = open_store(url)
    for number in range(ROWS):
        store.enqueue(new_item(str(number)), T0, "sis")
    store.close()
    return url


def _check(url: str, claimed: list[list[int]]) -> None:
    every = [row_id for ids in claimed for row_id in ids]
    assert sorted(every) == list(range(1, ROWS + 1))  # each row claimed exactly once
    assert sum(1 for ids in claimed if ids) >= 2  # the workers really competed
    store = open_store(url)
    assert store.counts()[State.ACCEPTED] == ROWS
    claims = Counter(
        entry.event for row_id in (1, ROWS // 2, ROWS) for entry in store.audit_trail(row_id)
    )
    assert claims["claimed"] == 3
    store.close()


def test_threads_never_claim_the_same_row(store_url: str) -> None:
    url = _fill(store_url)
    start = threading.Barrier(4)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [
            pool.submit(claim_until_empty, url, f"thread-{n}", start=start) for n in range(4)
        ]
        claimed = [future.result() for future in futures]
    _check(url, claimed)


def test_processes_never_claim_the_same_row(store_url: str) -> None:
    url = _fill(store_url)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(3, mp_context=context) as pool:
        start = manager.Barrier(3)
        futures = [
            pool.submit(claim_until_empty, url, f"process-{n}", start=start) for n in range(3)
        ]
        claimed = [future.result() for future in futures]
    _check(url, claimed)


def test_processes_opening_an_empty_database_at_once_migrate_it_once(store_url: str) -> None:
    url = store_url
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        counts = list(pool.map(open_and_count, [url] * 4))
    assert counts == [0, 0, 0, 0]
