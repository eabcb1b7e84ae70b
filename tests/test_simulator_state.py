"""The simulator's state (issue 4): reconcile paging with ``AanvraagGewijzigdeMelding...``
(DOMAIN.md 3.1) without skips or repeats, state across restarts, ``--dedupe`` versus
``--no-dedupe`` (DOMAIN.md 6), and the municipality moving meldingen (DOMAIN.md 3.2)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from simulator_docs import EPOCH, aanvraag, intrekking, melden, read

from gateway.messages import LeveringMeldingen, LeveringNummer, Verzuimgeval
from gateway.model import DuoStatus, WireCode
from gateway.pki import PkiFiles, init_pki
from gateway.simulator import municipality
from gateway.simulator.store import NewMelding, Schedule, SimulatorStore, to_micros
from gateway.simulator.testing import RunningSimulator, running_simulator

D = dt.date


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    return init_pki(tmp_path_factory.mktemp("pki"))


def register(sim: RunningSimulator, client: httpx.Client, **fields: Any) -> str:
    answer = read(sim.post_soap(client, melden(**fields)))
    assert isinstance(answer.answer, LeveringNummer), answer.faultstring
    return answer.answer.nummer


def reconcile(
    sim: RunningSimulator, client: httpx.Client, since: dt.datetime
) -> tuple[list[list[Verzuimgeval]], dt.datetime]:
    """Ask pages until IndicatieVervolg is N; return the pages and the last moment."""
    pages: list[list[Verzuimgeval]] = []
    moment = since
    while True:
        answer = read(sim.post_soap(client, aanvraag(moment))).answer
        assert isinstance(answer, LeveringMeldingen)
        pages.append(list(answer.gevallen))
        moment = answer.volgend_selectiemoment
        if not answer.vervolg:
            return pages, moment
        assert len(pages) < 50


def wait_for(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_reconcile_pages_without_skips_or_repeats(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, page_size=3) as sim, sim.client() as client:
        numbers = [register(sim, client, begindatum=D(2024, 9, 2 + i)) for i in range(8)]
        sim.admin.set_status(numbers[0], "B")  # changed again: now the newest
        pages, moment = reconcile(sim, client, EPOCH)
        assert [len(page) for page in pages] == [3, 3, 2]
        seen = [geval.nummer for page in pages for geval in page]
        assert seen == [*numbers[1:], numbers[0]]  # oldest change first, each melding once
        moments = [geval.laatste_wijziging for page in pages for geval in page]
        assert moments == sorted(moments) and len(set(moments)) == len(moments)
        assert pages[-1][-1].status is DuoStatus.IN_BEHANDELING
        assert pages[0][0].leerling.bsn == "111222333"  # DUO's answer identifies the pupil

        nothing, same = reconcile(sim, client, moment)
        assert nothing == [[]] and same == moment

        read(sim.post_soap(client, intrekking(numbers[3])))
        sim.admin.set_status(numbers[5], "G", "HALT")
        later, _ = reconcile(sim, client, moment)
        assert [(g.nummer, g.status) for g in later[0]] == [
            (numbers[3], DuoStatus.INGETROKKEN),
            (numbers[5], DuoStatus.AFGESLOTEN),
        ]
        assert later[0][1].reden_afsluiting is not None
        assert later[0][1].reden_afsluiting.value == "HALT"


def test_changes_between_pages_are_not_lost(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, page_size=2) as sim, sim.client() as client:
        numbers = [register(sim, client, begindatum=D(2024, 9, 2 + i)) for i in range(4)]
        first = read(sim.post_soap(client, aanvraag(EPOCH))).answer
        assert isinstance(first, LeveringMeldingen) and first.vervolg
        assert [g.nummer for g in first.gevallen] == numbers[:2]
        sim.admin.set_status(numbers[0], "K")  # already delivered, changes again
        sim.admin.set_status(numbers[3], "B")  # not yet delivered, changes
        pages, _ = reconcile(sim, client, first.volgend_selectiemoment)
        rest = [(g.nummer, g.status.value) for page in pages for g in page]
        assert rest == [(numbers[2], "R"), (numbers[0], "K"), (numbers[3], "B")]


def test_only_the_schools_own_meldingen_are_listed(tmp_path: Path, pki: PkiFiles) -> None:
    store = SimulatorStore(tmp_path / "simulator.db")
    store.register(_new("12AB"), _no_plan)
    store.close()
    with running_simulator(tmp_path, pki=pki) as sim, sim.client() as client:
        nummer = register(sim, client)
        pages, _ = reconcile(sim, client, EPOCH)
        assert [g.nummer for g in pages[0]] == [nummer]


def test_state_survives_a_restart(tmp_path: Path, pki: PkiFiles) -> None:
    db = tmp_path / "state.db"
    with running_simulator(tmp_path, pki=pki, db=db) as sim, sim.client() as client:
        first = register(sim, client)
        sim.admin.set_status(first, "B")
        _, moment = reconcile(sim, client, EPOCH)
    with running_simulator(tmp_path, pki=pki, db=db) as sim, sim.client() as client:
        assert [(m["nummer"], m["status"]) for m in sim.admin.meldingen()] == [(first, "B")]
        second = register(sim, client)
        assert second != first and second == "VM00000002"
        later, _ = reconcile(sim, client, moment)
        assert [g.nummer for g in later[0]] == [second]


def test_no_dedupe_registers_a_repeated_document_again(tmp_path: Path, pki: PkiFiles) -> None:
    document_id = uuid.uuid4()
    with running_simulator(tmp_path, pki=pki) as sim, sim.client() as client:
        first = register(sim, client, document_id=document_id)
        second = register(sim, client, document_id=document_id)
        assert first != second
        listed = sim.admin.meldingen()
        assert [m["registraties"] for m in listed] == [2, 2]
        assert {m["document_id"] for m in listed} == {str(document_id)}


def test_dedupe_answers_the_earlier_number(tmp_path: Path, pki: PkiFiles) -> None:
    document_id = uuid.uuid4()
    with running_simulator(tmp_path, pki=pki, dedupe=True) as sim, sim.client() as client:
        first = register(sim, client, document_id=document_id)
        assert register(sim, client, document_id=document_id) == first
        assert [m["registraties"] for m in sim.admin.meldingen()] == [1]
        other = register(sim, client)  # same natural key, new document: a second melding
        assert other != first
        assert [m["registraties"] for m in sim.admin.meldingen()] == [2, 2]


def test_municipality_moves_meldingen_by_itself(tmp_path: Path, pki: PkiFiles) -> None:
    options = {"behandeling_after": 0.05, "afsluiting_after": 0.05, "seed": 3}
    with running_simulator(tmp_path, pki=pki, **options) as sim, sim.client() as client:
        numbers = [register(sim, client, begindatum=D(2024, 9, 2 + i)) for i in range(6)]

        def all_done() -> list[dict[str, Any]] | None:
            listed = sim.admin.meldingen()
            return listed if all(m["status"] in ("G", "K") for m in listed) else None

        listed = wait_for(all_done)
        assert [m["nummer"] for m in listed] == numbers
        for item in listed:
            assert (item["reden_afsluiting"] is not None) == (item["status"] == "G")
        pages, _ = reconcile(sim, client, EPOCH)
        assert {g.status.value for page in pages for g in page} <= {"G", "K"}


def test_municipality_plan_is_seeded_and_per_melding() -> None:
    plans = [municipality.plan(5, f"VM{i:08d}", 0, 10.0, 20.0) for i in range(40)]
    assert plans == [municipality.plan(5, f"VM{i:08d}", 0, 10.0, 20.0) for i in range(40)]
    assert plans != [municipality.plan(6, f"VM{i:08d}", 0, 10.0, 20.0) for i in range(40)]
    assert {plan.afsluiting_status for plan in plans} == {
        DuoStatus.AFGESLOTEN,
        DuoStatus.TER_KENNISGEVING,
    }
    for plan in plans:
        assert plan.behandeling_op is not None and plan.afsluiting_op is not None
        assert 5_000_000 <= plan.behandeling_op <= 15_000_000
        assert plan.behandeling_op + 10_000_000 <= plan.afsluiting_op
    assert municipality.plan(5, "VM1", 0, None, 20.0).afsluiting_op is None


def test_municipality_plan_stays_the_same_across_versions() -> None:
    """A stored plan was drawn with ``random.Random(f"{seed}/{nummer}")``: the same draws give
    the same plan, also after a change of the code around them."""
    assert [municipality.plan(5, f"VM{i:08d}", 0, 10.0, 20.0) for i in (1, 2, 3)] == [
        Schedule(6_407_332, 32_491_903, DuoStatus.AFGESLOTEN, "HALT"),
        Schedule(9_477_517, 35_432_542, DuoStatus.AFGESLOTEN, "ZORG"),
        Schedule(12_798_871, 41_121_859, DuoStatus.TER_KENNISGEVING, None),
    ]


def test_due_steps_come_on_time_also_after_quiet_periods(tmp_path: Path) -> None:
    """The store keeps the first moment a step can be due and does not ask the table before
    it; a registration with an earlier step, or any change, must move that moment."""
    start = dt.datetime(2024, 9, 5, 8, 0, tzinfo=dt.UTC)
    clock = [start]
    store = SimulatorStore(tmp_path / "sim.db", clock=lambda: clock[0])

    def at(seconds: int) -> list[tuple[str, DuoStatus, str | None]]:
        clock[0] = start + dt.timedelta(seconds=seconds)
        return store.due_transitions(store.now())

    def planned(behandeling: int, afsluiting: int) -> Callable[[str, int], Schedule]:
        base = to_micros(start)
        return lambda nummer, registered: Schedule(
            base + behandeling * 1_000_000,
            base + afsluiting * 1_000_000,
            DuoStatus.AFGESLOTEN,
            "HALT",
        )

    late = store.register(_new("99XX"), planned(100, 200))
    assert at(0) == []  # quiet until 100
    early = store.register(_new("99XX"), planned(50, 300))  # due before the quiet moment
    assert at(60) == [(early, DuoStatus.IN_BEHANDELING, None)]
    store.change(early, soort="STATUS", status=DuoStatus.IN_BEHANDELING)
    assert at(99) == []
    assert at(100) == [(late, DuoStatus.IN_BEHANDELING, None)]
    store.change(late, soort="STATUS", status=DuoStatus.IN_BEHANDELING)
    assert at(199) == []
    assert at(250) == [(late, DuoStatus.AFGESLOTEN, "HALT")]
    store.change(late, soort="STATUS", status=DuoStatus.AFGESLOTEN, reden_afsluiting="HALT")
    assert at(299) == []
    assert at(300) == [(early, DuoStatus.AFGESLOTEN, "HALT")]
    store.change(early, soort="STATUS", status=DuoStatus.TER_KENNISGEVING)
    assert at(10_000) == []
    store.close()


def test_a_melding_and_its_registratie_entry_are_written_together(tmp_path: Path) -> None:
    store = SimulatorStore(tmp_path / "sim.db")
    first = store.register(_new("99XX"), _no_plan)
    with pytest.raises(sqlite3.IntegrityError):  # the number exists: nothing is written
        store.register_existing(_new("99XX"), first, DuoStatus.IN_BEHANDELING)
    assert [entry[1] for entry in store.change_log(first)] == ["REGISTRATIE"]
    assert len(store.all()) == 1
    second = store.register(_new("99XX"), _no_plan)
    assert second == "VM00000002"  # the failed one took no number
    assert [(entry[1], entry[2]) for entry in store.change_log(second)] == [
        ("REGISTRATIE", DuoStatus.GEREGISTREERD)
    ]
    store.close()


def test_a_file_of_an_earlier_version_is_brought_up_to_date(tmp_path: Path) -> None:
    """Files written before the REGISTRATIE trigger and the partial due indexes: the old
    indexes go, the new ones and the trigger come, and a registration is logged once."""
    path = tmp_path / "sim.db"
    store = SimulatorStore(path)
    first = store.register(_new("99XX"), _no_plan)
    store.close()
    with sqlite3.connect(path) as db:  # the schema as the earlier version left it
        db.executescript(
            "DROP TRIGGER meldingen_registratie; DROP INDEX meldingen_due_r; "
            "DROP INDEX meldingen_due_b; "
            "CREATE INDEX meldingen_due_behandeling ON meldingen (status, behandeling_op); "
            "CREATE INDEX meldingen_due_afsluiting ON meldingen (status, afsluiting_op);"
        )
    db.close()
    reopened = SimulatorStore(path)
    second = reopened.register(_new("99XX"), _no_plan)
    assert [entry[1] for entry in reopened.change_log(first)] == ["REGISTRATIE"]
    assert [entry[1] for entry in reopened.change_log(second)] == ["REGISTRATIE"]
    reopened.close()
    with sqlite3.connect(path) as db:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    assert {"meldingen_due_r", "meldingen_due_b", "meldingen_registratie"} <= names
    assert not names & {"meldingen_due_behandeling", "meldingen_due_afsluiting"}


def test_change_moments_are_unique_even_when_the_clock_stands_still(tmp_path: Path) -> None:
    frozen = dt.datetime(2024, 9, 5, 8, 0, tzinfo=dt.UTC)
    store = SimulatorStore(tmp_path / "sim.db", clock=lambda: frozen)
    numbers = [store.register(_new("99XX"), _no_plan) for _ in range(5)]
    store.change(numbers[0], soort="STATUS", status=DuoStatus.IN_BEHANDELING)
    moments = [m.gewijzigd_op for m in store.all()]
    assert len(set(moments)) == 5
    paged: list[str] = []
    after = to_micros(frozen) - 1
    while page := store.changed_since("99XX", after, 2):
        paged += [m.nummer for m in page]
        after = to_micros(page[-1].gewijzigd_op)
    assert paged == [*numbers[1:], numbers[0]]
    assert [entry[1] for entry in store.change_log(numbers[0])] == ["REGISTRATIE", "STATUS"]
    store.close()
    reopened = SimulatorStore(tmp_path / "sim.db", clock=lambda: frozen)
    later = reopened.register(_new("99XX"), _no_plan)
    last = reopened.get(later)
    assert last is not None and last.gewijzigd_op > max(moments)
    assert repr(last) == "StoredMelding(nummer='VM00000006', status='R')"
    reopened.close()


def _new(brin: str) -> NewMelding:
    return NewMelding(
        document_id=str(uuid.uuid4()),
        brin=brin,
        vestiging="00",
        bsn="111222333",
        onderwijsnummer="",
        code=WireCode.V3,
        herhaal=False,
        begindatum=D(2024, 9, 2),
        einddatum=D(2024, 9, 4),
    )


def _no_plan(nummer: str, registered: int) -> Schedule:
    return Schedule(None, None, DuoStatus.AFGESLOTEN, None)
