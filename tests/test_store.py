"""The outbox's reliability model (DESIGN.md 4), every test on a real SQLite file and on a real
PostgreSQL database: enqueue, claim with a lease, the outcomes of a send, reconciliation, DUO
status changes (DOMAIN.md 3.2), the audit trail and the queries the CLI and the pre-check use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from store_builders import T0, VALID_BSN, new_item

from gateway.model import DuoStatus, KnownMelding, WireCode
from gateway.store import (
    EnqueueResult,
    IdentiteitSoort,
    Operation,
    State,
    Store,
    melden_key,
    open_store,
)

LEASE = dt.timedelta(minutes=5)
MIN = dt.timedelta(minutes=1)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A fresh store, once on SQLite and once on PostgreSQL (``store_url`` in conftest)."""
    store = open_store(store_url)
    yield store
    store.close()


def claim_one(store: Store, worker: str = "w1", now: dt.datetime = T0) -> int:
    (row,) = store.claim(worker, now, LEASE, 1)
    return row.id


def events(store: Store, outbox_id: int) -> list[tuple[str, str | None, str | None, str]]:
    return [
        (entry.event, entry.old_state, entry.new_state, entry.actor)
        for entry in store.audit_trail(outbox_id)
    ]


# ----- enqueue -----


def test_enqueue_writes_a_queued_row_due_at_once_with_an_audit_row(store: Store) -> None:
    item = new_item()
    result = store.enqueue(item, T0, "sis")
    assert result.created and result.state is State.QUEUED
    row = store.get(result.outbox_id)
    assert row is not None
    assert (row.state, row.attempts, row.next_attempt_at) == (State.QUEUED, 0, T0)
    assert (row.document_id, row.xml, row.identiteit) == (item.document_id, item.xml, VALID_BSN)
    assert row.created_at == T0 and row.created_at.tzinfo is not None
    assert events(store, row.id) == [("enqueued", None, "queued", "sis")]


def test_enqueue_is_idempotent_on_the_natural_key(store: Store) -> None:
    first = store.enqueue(new_item(), T0, "sis")
    again = store.enqueue(new_item(), T0 + MIN, "sis")  # new document id, same melding
    assert (again.outbox_id, again.created) == (first.outbox_id, False)
    assert store.counts()[State.QUEUED] == 1
    other = store.enqueue(new_item(begindatum=dt.date(2024, 9, 9)), T0, "sis")
    assert other.created and other.outbox_id != first.outbox_id


def test_a_rejected_request_does_not_block_a_corrected_one(store: Store) -> None:
    first = store.enqueue(new_item(), T0, "sis").outbox_id
    claim_one(store)
    assert store.mark_rejected(first, "w1", [("F123", "begindatum ongeldig")], T0)
    again = store.enqueue(new_item(), T0 + MIN, "sis")
    assert again.created and again.outbox_id != first


def test_changes_of_one_melding_are_distinct_by_content(store: Store) -> None:
    def change(einddatum: dt.date) -> EnqueueResult:
        return store.enqueue(
            new_item(
                operation=Operation.MUTATIE,
                target_nummer="VM1",
                einddatum=einddatum,
                payload={"einddatum": einddatum.isoformat()},
            ),
            T0,
            "sis",
        )

    a = change(dt.date(2024, 10, 11))
    b = change(dt.date(2024, 10, 11))
    c = change(dt.date(2024, 10, 18))
    assert b.outbox_id == a.outbox_id and not b.created
    assert c.created


def test_identity_is_not_in_repr(store: Store) -> None:
    item = new_item()
    row = store.get(store.enqueue(item, T0, "sis").outbox_id)
    assert VALID_BSN not in repr(item) and VALID_BSN not in repr(row)


# ----- claim -----


def test_claim_leases_due_rows_oldest_first(store: Store) -> None:
    ids = [store.enqueue(new_item(str(n)), T0 + n * MIN, "sis").outbox_id for n in range(3)]
    assert store.claim("w1", T0 - MIN, LEASE, 10) == []
    claimed = store.claim("w1", T0 + 5 * MIN, LEASE, 2)
    assert [row.id for row in claimed] == ids[:2]
    for row in claimed:
        assert (row.state, row.lease_owner, row.attempts) == (State.SENDING, "w1", 1)
        assert row.lease_until == T0 + 5 * MIN + LEASE
    assert [row.id for row in store.claim("w2", T0 + 5 * MIN, LEASE, 10)] == ids[2:]
    assert store.claim("w3", T0 + 5 * MIN, LEASE, 10) == []


def test_claim_does_not_take_rows_that_are_not_yet_due(store: Store) -> None:
    store.enqueue(new_item(), T0, "sis")
    assert store.claim("w1", T0 - MIN, LEASE, 10) == []
    assert len(store.claim("w1", T0, LEASE, 10)) == 1


def test_claim_writes_an_audit_row(store: Store) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    claim_one(store, "w1")
    assert events(store, outbox_id)[-1] == ("claimed", "queued", "sending", "w1")


def test_expired_lease_becomes_unknown_not_queued(store: Store) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    claim_one(store, "w1")
    assert store.claim("w2", T0 + LEASE - MIN, LEASE, 10) == []  # lease still running
    assert store.get(outbox_id).state is State.SENDING  # type: ignore[union-attr]
    assert store.claim("w2", T0 + LEASE, LEASE, 10) == []  # expired: unknown, not re-sent
    row = store.get(outbox_id)
    assert row is not None
    assert (row.state, row.lease_owner, row.lease_until) == (State.UNKNOWN, None, None)
    assert events(store, outbox_id)[-1] == ("lease_expired", "sending", "unknown", "w2")
    assert store.mark_accepted(outbox_id, "w1", "VM1", DuoStatus.GEREGISTREERD, T0) is False


def test_a_late_answer_still_counts_while_nobody_took_the_row_over(store: Store) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    claim_one(store, "w1")
    late = T0 + 2 * LEASE
    assert store.mark_accepted(outbox_id, "w1", "VM1", DuoStatus.GEREGISTREERD, late)


# ----- outcomes -----


def test_accepted_stores_duo_number_and_status(store: Store) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    claim_one(store)
    assert store.mark_accepted(outbox_id, "w1", "VM1", DuoStatus.GEREGISTREERD, T0 + MIN)
    row = store.get(outbox_id)
    assert row is not None
    assert (row.state, row.duo_nummer, row.duo_status) == (
        State.ACCEPTED,
        "VM1",
        DuoStatus.GEREGISTREERD,
    )
    assert (row.lease_owner, row.lease_until, row.updated_at) == (None, None, T0 + MIN)
    assert events(store, outbox_id)[-1] == ("accepted", "sending", "accepted", "w1")


def test_rejected_keeps_errors_masks_numbers_and_is_never_claimed_again(store: Store) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    claim_one(store)
    errors = [("F001", f"BSN {VALID_BSN} onbekend"), ("F002", "einddatum ontbreekt")]
    assert store.mark_rejected(outbox_id, "w1", errors, T0)
    row = store.get(outbox_id)
    assert row is not None and row.state is State.REJECTED
    assert row.duo_errors == (("F001", "BSN ********* onbekend"), ("F002", "einddatum ontbreekt"))
    assert row.last_error is not None and VALID_BSN not in row.last_error
    assert all(VALID_BSN not in str(entry.detail) for entry in store.audit_trail(outbox_id))
    assert store.claim("w1", T0 + dt.timedelta(days=30), LEASE, 10) == []


def test_retry_becomes_due_only_at_next_attempt_at(store: Store) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    claim_one(store)
    assert store.mark_retry(outbox_id, "w1", "HTTP 503", T0 + 10 * MIN, T0 + MIN)
    row = store.get(outbox_id)
    assert row is not None
    assert (row.state, row.next_attempt_at, row.last_error) == (
        State.QUEUED,
        T0 + 10 * MIN,
        "HTTP 503",
    )
    assert store.claim("w1", T0 + 9 * MIN, LEASE, 10) == []
    (again,) = store.claim("w1", T0 + 10 * MIN, LEASE, 10)
    assert (again.id, again.attempts, again.document_id) == (outbox_id, 2, row.document_id)
    assert [e[0] for e in events(store, outbox_id)] == [
        "enqueued",
        "claimed",
        "retry",
        "claimed",
    ]


def test_unknown_and_security_are_never_claimed(store: Store) -> None:
    a = store.enqueue(new_item("1"), T0, "sis").outbox_id
    b = store.enqueue(new_item("2"), T0, "sis").outbox_id
    store.claim("w1", T0, LEASE, 2)
    assert store.mark_unknown(a, "w1", "read timeout", T0)
    assert store.mark_security(b, "w1", "certificaat verlopen", T0)
    assert store.claim("w1", T0 + dt.timedelta(days=1), LEASE, 10) == []
    assert events(store, a)[-1] == ("unknown", "sending", "unknown", "w1")
    assert events(store, b)[-1] == ("security", "sending", "security", "w1")
    assert [row.id for row in store.unknown_rows()] == [a]


@pytest.mark.parametrize("mark", ["accepted", "rejected", "retry", "unknown", "security"])
def test_outcomes_are_refused_for_another_worker_or_a_row_not_sending(
    store: Store, mark: str
) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id

    def report(worker: str) -> bool:
        calls = {
            "accepted": lambda: store.mark_accepted(
                outbox_id, worker, "VM1", DuoStatus.GEREGISTREERD, T0
            ),
            "rejected": lambda: store.mark_rejected(outbox_id, worker, [("F1", "x")], T0),
            "retry": lambda: store.mark_retry(outbox_id, worker, "503", T0 + MIN, T0),
            "unknown": lambda: store.mark_unknown(outbox_id, worker, "timeout", T0),
            "security": lambda: store.mark_security(outbox_id, worker, "tls", T0),
        }
        return calls[mark]()

    assert report("w1") is False  # still queued
    claim_one(store, "w1")
    assert report("w2") is False  # not w2's lease
    assert store.get(outbox_id).state is State.SENDING  # type: ignore[union-attr]
    assert report("w1") is True
    assert report("w1") is False  # already moved on
    assert len(store.audit_trail(outbox_id)) == 3


# ----- reconciliation -----


def test_unknown_melding_found_at_duo_becomes_accepted(store: Store) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    claim_one(store)
    store.mark_unknown(outbox_id, "w1", "connection reset", T0)
    (match,) = store.match_melding(
        "99XX", IdentiteitSoort.BSN, VALID_BSN, WireCode.V3, dt.date(2024, 9, 2)
    )
    assert match.id == outbox_id
    assert store.resolve_unknown(outbox_id, "VM7", DuoStatus.GEREGISTREERD, T0 + MIN, "reconcile")
    row = store.get(outbox_id)
    assert row is not None and (row.state, row.duo_nummer) == (State.ACCEPTED, "VM7")
    assert events(store, outbox_id)[-1] == ("reconciled", "unknown", "accepted", "reconcile")
    assert store.resolve_unknown(outbox_id, None, None, T0, "reconcile") is False


def test_unknown_melding_not_at_duo_is_queued_again_with_the_same_document(store: Store) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    (claimed,) = store.claim("w1", T0, LEASE, 1)
    store.mark_unknown(outbox_id, "w1", "timeout", T0)
    assert store.resolve_unknown(outbox_id, None, None, T0 + MIN, "reconcile")
    (row,) = store.claim("w1", T0 + MIN, LEASE, 10)
    assert (row.id, row.document_id, row.attempts) == (outbox_id, claimed.document_id, 2)


def test_a_stale_resolution_is_refused_once_the_row_was_sent_again(store: Store) -> None:
    """Two workers reconcile at once: A requeues the row and it is sent again (and is unknown
    again); B, which read the row and DUO's list before that send, must not requeue it."""
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    claim_one(store)
    store.mark_unknown(outbox_id, "w1", "timeout", T0)
    seen_by_b = store.get(outbox_id)
    assert seen_by_b is not None and seen_by_b.attempts == 1
    assert store.resolve_unknown(outbox_id, None, None, T0, "reconcile-a", attempts=1)
    claim_one(store, "w2", T0 + MIN)
    store.mark_unknown(outbox_id, "w2", "verbinding verbroken", T0 + MIN)
    stale = store.resolve_unknown(outbox_id, None, None, T0 + MIN, "reconcile-b", attempts=1)
    assert stale is False
    row = store.get(outbox_id)
    assert row is not None and (row.state, row.attempts) == (State.UNKNOWN, 2)
    assert store.resolve_unknown(outbox_id, "VM1", "R", T0 + MIN, "reconcile-b", attempts=2)


def test_resolve_requires_a_status_with_a_number(store: Store) -> None:
    with pytest.raises(ValueError):
        store.resolve_unknown(1, "VM1", None, T0, "reconcile")


def test_security_is_released_to_unknown_never_straight_to_queued(store: Store) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    claim_one(store)
    store.mark_security(outbox_id, "w1", "handtekening ongeldig", T0)
    assert store.release_security(outbox_id, T0 + MIN, "beheerder")
    assert store.get(outbox_id).state is State.UNKNOWN  # type: ignore[union-attr]
    assert events(store, outbox_id)[-1] == ("released", "security", "unknown", "beheerder")
    assert store.release_security(outbox_id, T0 + MIN, "beheerder") is False


def accepted_melding(store: Store, nummer: str = "VM1", **fields: object) -> int:
    outbox_id = store.enqueue(new_item(**fields), T0, "sis").outbox_id  # type: ignore[arg-type]
    (row,) = store.claim("w1", T0, LEASE, 1)
    assert row.id == outbox_id
    store.mark_accepted(outbox_id, "w1", nummer, DuoStatus.GEREGISTREERD, T0)
    return outbox_id


def test_apply_duo_status_updates_the_melding_by_number(store: Store) -> None:
    outbox_id = accepted_melding(store)
    changed = T0 + dt.timedelta(days=2)
    einde = dt.date(2024, 9, 4)
    assert store.apply_duo_status("VM1", DuoStatus.IN_BEHANDELING, None, einde, changed, T0, "r")
    assert not store.apply_duo_status(  # same again: nothing to write
        "VM1", DuoStatus.IN_BEHANDELING, None, einde, changed, T0, "r"
    )
    older = changed - MIN
    assert not store.apply_duo_status("VM1", DuoStatus.AFGESLOTEN, "X", einde, older, T0, "r")
    later = changed + dt.timedelta(days=3)
    assert store.apply_duo_status("VM1", DuoStatus.AFGESLOTEN, "TERUG", einde, later, T0, "r")
    assert not store.apply_duo_status("VM9", DuoStatus.AFGESLOTEN, None, None, later, T0, "r")
    row = store.get(outbox_id)
    assert row is not None
    assert (row.state, row.duo_status, row.duo_reden, row.duo_changed_at) == (
        State.ACCEPTED,
        DuoStatus.AFGESLOTEN,
        "TERUG",
        later,
    )
    trail = store.audit_trail(outbox_id)
    assert [entry.event for entry in trail][-2:] == ["duo_status", "duo_status"]
    assert trail[-1].detail["duo_status"] == ["B", "G"]


def test_accepted_change_and_withdrawal_update_the_melding(store: Store) -> None:
    melding = accepted_melding(store, code=WireCode.LRV, einddatum=None)
    change = store.enqueue(
        new_item(
            operation=Operation.MUTATIE,
            code=WireCode.LRV,
            einddatum=dt.date(2024, 10, 11),
            target_nummer="VM1",
            target_outbox_id=melding,
            payload={"einddatum": "2024-10-11"},
        ),
        T0,
        "sis",
    ).outbox_id
    claim_one(store)
    assert store.mark_accepted(change, "w1", "VM1", DuoStatus.GEREGISTREERD, T0)
    row = store.get(melding)
    assert row is not None and row.einddatum == dt.date(2024, 10, 11)
    withdrawal = store.enqueue(
        new_item(operation=Operation.INTREKKEN, code=WireCode.LRV, target_nummer="VM1"),
        T0,
        "sis",
    ).outbox_id
    claim_one(store)
    assert store.mark_accepted(withdrawal, "w1", "VM1", DuoStatus.INGETROKKEN, T0)
    row = store.get(melding)
    assert row is not None and row.duo_status is DuoStatus.INGETROKKEN
    assert [entry.event for entry in store.audit_trail(melding)][-2:] == [
        "mutatie_applied",
        "intrekken_applied",
    ]


def test_changes_of_one_melding_are_sent_one_after_the_other(store: Store) -> None:
    def change(day: int) -> int:
        return store.enqueue(
            new_item(
                operation=Operation.MUTATIE,
                target_nummer="VM1",
                einddatum=dt.date(2024, 10, day),
                payload={"einddatum": day},
            ),
            T0,
            "sis",
        ).outbox_id

    first, second = change(11), change(18)
    other = store.enqueue(new_item("999"), T0, "sis").outbox_id
    assert [row.id for row in store.claim("w1", T0, LEASE, 10)] == [first, other]
    store.mark_unknown(first, "w1", "timeout", T0)
    assert store.claim("w1", T0, LEASE, 10) == []  # waits for the first to be resolved
    store.resolve_unknown(first, "VM1", DuoStatus.GEREGISTREERD, T0, "reconcile")
    assert [row.id for row in store.claim("w1", T0, LEASE, 10)] == [second]


def test_cursor_per_school(store: Store) -> None:
    assert store.get_cursor("99XX") is None
    moment = dt.datetime(2024, 10, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    store.set_cursor("99XX", moment, T0)
    assert store.get_cursor("99XX") == moment
    assert store.get_cursor("99XX") == dt.datetime(2024, 10, 1, 10, 0, tzinfo=dt.UTC)
    store.set_cursor("99XX", moment + MIN, T0)
    assert store.get_cursor("99XX") == moment + MIN
    assert store.get_cursor("11AA") is None
    assert store.get_cursor("99XX", vestiging="01") is None


# ----- queries -----


def test_next_due_at_is_the_earliest_queued_row(store: Store) -> None:
    assert store.next_due_at() is None
    first = store.enqueue(new_item("1"), T0, "sis").outbox_id
    store.enqueue(new_item("2"), T0 + MIN, "sis")
    assert store.next_due_at() == T0
    claim_one(store)
    store.mark_retry(first, "w1", "503", T0 + 5 * MIN, T0)
    assert store.next_due_at() == T0 + MIN
    claim_one(store, "w1", T0 + MIN)  # only the retry is left queued
    assert store.next_due_at() == T0 + 5 * MIN


def test_counts_oldest_pending_list_and_last_errors(store: Store) -> None:
    assert store.oldest_pending(T0) is None
    a = store.enqueue(new_item("1"), T0, "sis").outbox_id
    b = store.enqueue(new_item("2"), T0 + MIN, "sis").outbox_id
    c = store.enqueue(new_item("3"), T0 + 2 * MIN, "sis").outbox_id
    store.claim("w1", T0 + 3 * MIN, LEASE, 2)
    store.mark_accepted(a, "w1", "VM1", DuoStatus.GEREGISTREERD, T0 + 4 * MIN)
    store.mark_rejected(b, "w1", [("F1", "fout")], T0 + 5 * MIN)
    counts = store.counts()
    assert (counts[State.ACCEPTED], counts[State.REJECTED], counts[State.QUEUED]) == (1, 1, 1)
    assert counts[State.UNKNOWN] == 0 and set(counts) == set(State)
    assert store.oldest_pending(T0 + dt.timedelta(hours=1)) == T0 + 2 * MIN
    assert [row.id for row in store.list()] == [a, b, c]
    assert [row.id for row in store.list(State.QUEUED)] == [c]
    assert [row.id for row in store.list(limit=1, offset=1)] == [b]
    assert [row.id for row in store.last_errors(5)] == [b]


def test_find_by_natural_key(store: Store) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    key = melden_key("99XX", "231045", WireCode.V3, dt.date(2024, 9, 2))
    assert key == new_item().natural_key
    row = store.find_by_natural_key(key)
    assert row is not None and row.id == outbox_id
    assert store.find_by_natural_key("melden|99XX|0|V3|2024-09-02") is None


def test_known_meldingen_are_the_accepted_and_pending_meldingen(store: Store) -> None:
    accepted = accepted_melding(store, leerlingnummer="1", code=WireCode.LRV, einddatum=None)
    store.apply_duo_status(
        "VM1", DuoStatus.IN_BEHANDELING, None, None, T0 + MIN, T0 + MIN, "reconcile"
    )
    store.enqueue(new_item("2"), T0, "sis")  # queued
    rejected = store.enqueue(new_item("3"), T0, "sis").outbox_id
    store.claim("w1", T0, LEASE, 10)
    store.mark_rejected(rejected, "w1", [("F1", "fout")], T0)
    store.enqueue(  # a pending change closes the open LRV
        new_item(
            "1",
            operation=Operation.MUTATIE,
            code=WireCode.LRV,
            einddatum=dt.date(2024, 10, 11),
            target_nummer="VM1",
            target_outbox_id=accepted,
        ),
        T0,
        "sis",
    )
    store.enqueue(new_item("4", brin="11AA"), T0, "sis")  # another school
    assert store.known_meldingen("99XX") == [
        KnownMelding(
            leerlingnummer="1",
            code=WireCode.LRV,
            begindatum=dt.date(2024, 9, 2),
            einddatum=dt.date(2024, 10, 11),
            status=DuoStatus.IN_BEHANDELING,
            nummer="VM1",
        ),
        KnownMelding(
            leerlingnummer="2",
            code=WireCode.V3,
            begindatum=dt.date(2024, 9, 2),
            einddatum=dt.date(2024, 9, 4),
        ),
    ]


def test_duo_status_may_be_given_as_its_code(store: Store) -> None:
    outbox_id = store.enqueue(new_item(), T0, "sis").outbox_id
    claim_one(store)
    assert store.mark_accepted(outbox_id, "w1", "VM1", "R", T0)
    assert store.apply_duo_status("VM1", "B", None, dt.date(2024, 9, 4), T0, T0, "r")
    assert store.get(outbox_id).duo_status is DuoStatus.IN_BEHANDELING  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        store.apply_duo_status("VM1", "X", None, None, T0, T0, "r")


def test_enqueue_guard_sees_the_pupils_known_meldingen_and_can_refuse(store: Store) -> None:
    """``guard`` runs inside the writing transaction with the pupil's known meldingen (the API's
    second V08/V09 check); raising writes nothing."""
    store.enqueue(new_item("231045", begindatum=dt.date(2024, 9, 2)), T0, "sis")
    store.enqueue(new_item("999999", begindatum=dt.date(2024, 9, 2)), T0, "sis")
    seen: list[list[KnownMelding]] = []

    def refuse(known: list[KnownMelding]) -> None:
        seen.append(known)
        raise ValueError("overlap")

    with pytest.raises(ValueError, match="overlap"):
        store.enqueue(new_item("231045", begindatum=dt.date(2024, 9, 3)), T0, "api", refuse)
    assert [(k.leerlingnummer, k.begindatum) for k in seen[0]] == [
        ("231045", dt.date(2024, 9, 2))
    ]  # only this pupil's
    assert store.counts()[State.QUEUED] == 2  # nothing written

    allowed = store.enqueue(
        new_item("231045", begindatum=dt.date(2024, 9, 5)), T0, "api", lambda known: None
    )
    assert allowed.created and store.counts()[State.QUEUED] == 3
