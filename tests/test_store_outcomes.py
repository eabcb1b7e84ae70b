"""Send outcomes recorded several at a time (``gateway/store/outcomes.py``), on SQLite and on
PostgreSQL: each makes exactly the change its ``Store.mark_*`` makes, only under the worker's
lease, in one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from store_builders import T0, new_item

from gateway.model import DuoStatus, WireCode
from gateway.store import Operation, OutboxRow, State, Store, open_store
from gateway.store.outcomes import SendOutcome, record_outcomes

LEASE = dt.timedelta(minutes=5)
MIN = dt.timedelta(minutes=1)
LATER = T0 + MIN
#: Columns that differ between two rows for other reasons than their outcome.
OWN_COLUMNS = {"id", "leerlingnummer", "natural_key", "document_id", "xml", "payload"}


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A fresh store, once on SQLite and once on PostgreSQL (``store_url`` in conftest)."""
    store = open_store(store_url)
    yield store
    store.close()


def sending(store: Store, leerlingnummer: str, worker: str = "w1") -> int:
    """A ``melden`` row claimed by ``worker`` at T0."""
    outbox_id = store.enqueue(new_item(leerlingnummer), T0, "sis").outbox_id
    (row,) = store.claim(worker, T0, LEASE, 1)
    assert row.id == outbox_id
    return outbox_id


def comparable(row: OutboxRow | None) -> dict[str, Any]:
    assert row is not None
    return {k: v for k, v in dataclasses.asdict(row).items() if k not in OWN_COLUMNS}


def trail(store: Store, outbox_id: int) -> list[tuple[object, ...]]:
    """The audit rows after ``enqueued`` (whose detail names the row's own document id)."""
    return [
        (entry.at, entry.actor, entry.event, entry.old_state, entry.new_state, entry.detail)
        for entry in store.audit_trail(outbox_id)[1:]
    ]


MARKS: dict[str, tuple[Callable[[Store, int], bool], Callable[[int], SendOutcome]]] = {
    "accepted": (
        lambda s, i: s.mark_accepted(i, "w1", "VM7", DuoStatus.GEREGISTREERD, LATER),
        lambda i: SendOutcome.accepted(i, "VM7", DuoStatus.GEREGISTREERD, LATER),
    ),
    "rejected": (
        lambda s, i: s.mark_rejected(i, "w1", [("F123", "bsn 111222333 onbekend")], LATER),
        lambda i: SendOutcome.rejected(i, [("F123", "bsn 111222333 onbekend")], LATER),
    ),
    "retry": (
        lambda s, i: s.mark_retry(i, "w1", "HTTP 503", T0 + 10 * MIN, LATER),
        lambda i: SendOutcome.retry(i, "HTTP 503", T0 + 10 * MIN, LATER),
    ),
    "unknown": (
        lambda s, i: s.mark_unknown(i, "w1", "read timeout", LATER),
        lambda i: SendOutcome.unknown(i, "read timeout", LATER),
    ),
    "security": (
        lambda s, i: s.mark_security(i, "w1", "certificaat verlopen", LATER),
        lambda i: SendOutcome.security(i, "certificaat verlopen", LATER),
    ),
}


@pytest.mark.parametrize("kind", sorted(MARKS))
def test_each_outcome_makes_the_same_change_as_its_mark(store: Store, kind: str) -> None:
    mark, outcome = MARKS[kind]
    by_mark, by_record = sending(store, "100001"), sending(store, "100002")
    assert mark(store, by_mark)
    assert record_outcomes(store, "w1", [outcome(by_record)]) == [True]
    assert comparable(store.get(by_record)) == comparable(store.get(by_mark))
    assert trail(store, by_record) == trail(store, by_mark)
    assert [entry[2] for entry in trail(store, by_record)] == ["claimed", kind]
    row = store.get(by_record)
    assert row is not None and row.lease_owner is None and row.lease_until is None
    assert "111222333" not in str(trail(store, by_record))


def test_several_kinds_in_one_call_and_only_under_the_workers_lease(store: Store) -> None:
    ours = [sending(store, f"20000{n}") for n in range(3)]
    theirs = sending(store, "200009", worker="w2")
    outcomes = [
        SendOutcome.accepted(ours[0], "VM1", "R", LATER),
        SendOutcome.unknown(theirs, "timeout", LATER),  # w2's row: not ours to record
        SendOutcome.retry(ours[1], "HTTP 503", T0 + 10 * MIN, LATER),
        SendOutcome.rejected(ours[2], [("F1", "fout")], LATER),
        SendOutcome.accepted(ours[0], "VM9", "R", LATER),  # the same row twice: once
    ]
    assert record_outcomes(store, "w1", outcomes) == [True, False, True, True, False]
    states = [store.get(i).state for i in ours]  # type: ignore[union-attr]
    assert states == [State.ACCEPTED, State.QUEUED, State.REJECTED]
    assert store.get(ours[0]).duo_nummer == "VM1"  # type: ignore[union-attr]
    untouched = store.get(theirs)
    assert untouched is not None and untouched.state is State.SENDING
    assert untouched.lease_owner == "w2"
    assert [entry.event for entry in store.audit_trail(theirs)] == ["enqueued", "claimed"]


def test_a_row_whose_lease_ran_out_is_not_recorded(store: Store) -> None:
    outbox_id = sending(store, "300001")
    store.claim("w2", T0 + LEASE, LEASE, 1)  # expires w1's lease: the row becomes unknown
    assert record_outcomes(store, "w1", [SendOutcome.accepted(outbox_id, "VM1", "R", LATER)]) == [
        False
    ]
    row = store.get(outbox_id)
    assert row is not None and row.state is State.UNKNOWN and row.duo_nummer is None


def test_an_accepted_change_updates_its_melding_as_mark_accepted_does(store: Store) -> None:
    melding = sending(store, "400001")
    assert record_outcomes(store, "w1", [SendOutcome.accepted(melding, "VM1", "R", T0)]) == [True]
    change = store.enqueue(
        new_item(
            "400001",
            operation=Operation.MUTATIE,
            code=WireCode.V3,
            einddatum=dt.date(2024, 10, 11),
            target_nummer="VM1",
            target_outbox_id=melding,
        ),
        T0,
        "sis",
    ).outbox_id
    (claimed,) = store.claim("w1", T0, LEASE, 1)
    assert claimed.id == change
    assert record_outcomes(store, "w1", [SendOutcome.accepted(change, "VM1", "B", LATER)]) == [True]
    row = store.get(melding)
    assert row is not None
    assert (row.einddatum, row.duo_status) == (dt.date(2024, 10, 11), DuoStatus.IN_BEHANDELING)
    assert store.audit_trail(melding)[-1].event == "mutatie_applied"


def test_nothing_to_record_writes_nothing(store: Store) -> None:
    assert record_outcomes(store, "w1", []) == []


def test_naive_times_are_refused_before_anything_is_written() -> None:
    with pytest.raises(ValueError, match="naive"):
        SendOutcome.unknown(1, "timeout", dt.datetime(2024, 10, 1, 8, 0))
