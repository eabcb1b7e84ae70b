"""``verzuim sync`` in process (issue 6): drop folders of two schools (a VO school in the canonical
format, a primary school in dagverzuim), a real SQLite store and the real simulator over mutual
TLS. Two runs over the same input queue nothing new; files leave the drop folder only after their
registrations are stored; bad rows and an unreadable batch do not stop the run; the lease keeps a
second sync off a school."""

from __future__ import annotations

import csv
import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_setup import (
    PO_BRIN,
    PO_HEADER,
    VENDOR_OIN,
    SyncFixture,
    closed_endpoint,
    make_sync_fixture,
)

from gateway.pki import PkiFiles, init_pki
from gateway.service import sync_data
from gateway.service.jobs import utc_now
from gateway.service.sync import SyncSummary, run_sync
from gateway.service.sync_lease import SyncLeases
from gateway.simulator.testing import RunningSimulator, running_simulator
from gateway.store import State, open_store


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    return init_pki(tmp_path_factory.mktemp("pki"), VENDOR_OIN, overwrite=True)


@pytest.fixture
def sim(tmp_path: Path, pki: PkiFiles) -> Iterator[RunningSimulator]:
    with running_simulator(tmp_path, pki=pki) as running:
        yield running


def outbox_rows(fixture: SyncFixture) -> list[tuple[str, str, str]]:
    store = open_store(fixture.settings().store_url)
    try:
        return [(row.brin, row.natural_key, row.state.value) for row in store.list(limit=10_000)]
    finally:
        store.close()


def school(summary: SyncSummary, brin: str) -> dict[str, object]:
    (found,) = [item for item in summary.to_dict()["scholen"] if item["brin"] == brin]
    return found


def remaining(folder: Path) -> list[str]:
    """The files still waiting in a drop folder."""
    return sorted(path.name for path in folder.iterdir() if path.is_file())


def test_two_runs_over_the_same_drop_folders_queue_nothing_new(
    tmp_path: Path, pki: PkiFiles, sim: RunningSimulator
) -> None:
    fixture = make_sync_fixture(tmp_path / "w", pki, sim.endpoint)
    fixture.drop_vo()
    fixture.drop_po()

    first = run_sync(fixture.settings(), utc_now)

    assert first.ok, first.to_json()
    vo, po = school(first, "99XX"), school(first, PO_BRIN)
    assert vo["status"] == po["status"] == "ok"
    assert vo["nieuw_in_outbox"] == 40 and po["nieuw_in_outbox"] == 1
    assert po["regels"] == {"R-16U": {"voorgesteld": 1, "nieuw": 1}}
    assert set(vo["regels"]) == {"R-16U", "R-HERHAAL", "R-LRV", "R-RMC", "R-LUXE", "R-SIGNAAL"}
    assert first.verzonden["accepted"] == 41
    rows = outbox_rows(fixture)
    assert len(rows) == 41 and {state for _, _, state in rows} == {"accepted"}
    assert len(sim.admin.meldingen()) == 41
    # the drop folders are empty; the files are in verwerkt/<run>/ with the run's afwijzingen
    assert remaining(fixture.vo_drop) == [] and remaining(fixture.po_drop) == []
    processed = fixture.vo_drop / "verwerkt" / first.run
    assert sorted(p.name for p in processed.iterdir()) == [
        "afwijzingen.csv", "leerlingen.csv", "lesregistraties.csv",
    ]  # fmt: skip
    assert "I-FORMAAT;lesregistraties.csv;2023;datum;100019" in (
        processed / "afwijzingen.csv"
    ).read_text(encoding="utf-8")
    # the summary file is the summary, and laatste.json the newest
    saved = json.loads(Path(first.samenvatting_bestand or "").read_text(encoding="utf-8"))
    assert saved == first.to_dict()
    latest = fixture.root / "runs" / "laatste.json"
    assert json.loads(latest.read_text(encoding="utf-8"))["run"] == first.run
    # each school's report is written by the run (issue 8), with its outbox rows
    for brin in ("99XX", PO_BRIN):
        report = Path(school(first, brin)["rapport"])
        assert report.parent == fixture.root / "runs" and report.name.startswith(f"rapport-{brin}-")
        html = report.read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "40 rij(en) in de outbox" in Path(vo["rapport"]).read_text(encoding="utf-8")

    # the SIS drops the same export again: nothing new is queued or sent
    fixture.drop_vo()
    fixture.drop_po()
    second = run_sync(fixture.settings(), utc_now)

    assert second.ok, second.to_json()
    for brin in ("99XX", PO_BRIN):
        assert school(second, brin)["nieuw_in_outbox"] == 0
        assert school(second, brin)["voorgesteld"] == 0
    assert second.verzonden.get("accepted", 0) == 0
    assert outbox_rows(fixture) == rows
    assert len(sim.admin.meldingen()) == 41
    assert remaining(fixture.vo_drop) == []
    assert (fixture.vo_drop / "verwerkt" / second.run / "lesregistraties.csv").is_file()
    # the stored data did not grow: the same rows replace themselves (F1)
    assert school(second, "99XX")["registraties"] == school(first, "99XX")["registraties"]


def test_a_later_export_closes_an_open_lrv_with_r_einde(
    tmp_path: Path, pki: PkiFiles, sim: RunningSimulator
) -> None:
    """Pupil 100003 is away until the end of the first export (open LRV); a later export shows
    them back after the Christmas holiday: the sync queues and sends the R-EINDE change, once."""
    fixture = make_sync_fixture(tmp_path / "w", pki, sim.endpoint, two_schools=False)
    fixture.drop_vo()
    first = run_sync(fixture.settings(), utc_now)
    assert first.ok and school(first, "99XX")["nieuw_in_outbox"] == 40
    header = fixture.sample.lesregistraties.read_text(encoding="utf-8").splitlines()[0]
    back = "\n".join(
        f"99XX;00;100003;;;2025-01-06;{n};{begin};{end};AANWEZIG;;;;later-{n}"
        for n, (begin, end) in enumerate([("08:30", "09:20"), ("09:20", "10:10")], start=1)
    )
    (fixture.vo_drop / "lesregistraties-januari.csv").write_text(
        header + "\n" + back + "\n", encoding="utf-8"
    )

    second = run_sync(fixture.settings(), utc_now)

    vo = school(second, "99XX")
    assert second.ok, second.to_json()
    assert vo["regels"] == {"R-EINDE": {"voorgesteld": 1, "nieuw": 1}}
    assert vo["nieuw_in_outbox"] == 1 and second.verzonden["accepted"] == 1
    lrv = [m for m in sim.admin.meldingen() if m["code"] == "LRV" and m["einddatum"]]
    assert any(m["einddatum"] == "2024-12-20" for m in lrv)
    third = run_sync(fixture.settings(), utc_now)
    assert school(third, "99XX")["nieuw_in_outbox"] == 0


def stored_day(fixture: SyncFixture, pupil: str, datum: str) -> list[tuple[str, str, str]]:
    """The stored registrations of a pupil-date of the PO school: begin, end and status."""
    (folder,) = (fixture.root / "data").glob(f"{PO_BRIN}-*")
    path = sync_data.SchoolData(folder).registrations_path()
    assert path is not None
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    return [
        (row["begintijd"], row["eindtijd"], row["status"])
        for row in rows
        if (row["leerlingnummer"], row["datum"]) == (pupil, datum)
    ]


def test_a_later_day_register_export_replaces_the_stored_day_it_corrects(
    tmp_path: Path, pki: PkiFiles
) -> None:
    """Across runs (issue 5): a day stored from one dagverzuim export is replaced whole by a
    later export that gives the same pupil and date again (O -> D, then D -> O), instead of
    being stored beside it (a morning plus a whole day plus presence, counted twice). Days the
    later export does not mention stay. DUO is not needed: only what is stored and proposed."""
    fixture = make_sync_fixture(tmp_path / "w", pki, closed_endpoint())
    morning = "98YY;00;500001;;;2024-09-02;O;3;;;N;;groep 3\n"
    rest = (
        "98YY;00;500001;;;2024-09-03;D;5,5;;;N;;groep 3\n"
        "98YY;00;500001;;;2024-09-04;D;6;;;N;;groep 3\n"
        "98YY;00;500002;;;2024-09-02;D;6;Z;ziek;J;;groep 4\n"
    )
    fixture.drop_po(morning + rest)
    first = school(run_sync(fixture.settings(), utc_now), PO_BRIN)
    assert first["status"] == "ok" and first["voorgesteld"] == 0  # 3 + 5,5 + 6: no 16 hours
    assert stored_day(fixture, "500001", "2024-09-02") == [
        ("08:30", "11:30", "AFWEZIG"), ("13:00", "15:00", "AANWEZIG"),
    ]  # fmt: skip

    fixture.drop_po("98YY;00;500001;;;2024-09-02;D;6;;;N;;groep 3\n")  # Monday: a whole day
    second = school(run_sync(fixture.settings(), utc_now), PO_BRIN)
    assert second["status"] == "ok"
    assert stored_day(fixture, "500001", "2024-09-02") == [("08:30", "14:30", "AFWEZIG")]
    assert stored_day(fixture, "500001", "2024-09-03") == [("08:30", "14:00", "AFWEZIG")]
    assert stored_day(fixture, "500002", "2024-09-02") == [("08:30", "14:30", "AFWEZIG")]
    assert second["regels"] == {"R-16U": {"voorgesteld": 1, "nieuw": 1}}  # 6 + 5,5 + 6
    assert second["registraties"] == 4  # the morning and its presence gave way to the day

    fixture.drop_po(morning)  # and back: Monday was a morning after all
    third = school(run_sync(fixture.settings(), utc_now), PO_BRIN)
    assert third["status"] == "ok"
    assert stored_day(fixture, "500001", "2024-09-02") == [
        ("08:30", "11:30", "AFWEZIG"), ("13:00", "15:00", "AANWEZIG"),
    ]  # fmt: skip
    assert third["registraties"] == first["registraties"] == 5  # with the stored presence


def test_a_later_file_in_one_drop_replaces_the_day_and_the_summary_counts_it(
    tmp_path: Path, pki: PkiFiles
) -> None:
    """Two day-register files in one drop folder (names in time order): the later file's whole
    day replaces the earlier morning, and the run summary's file entries say so
    (``waarvan_dubbel``), as ``verzuim import`` and ``precheck`` do."""
    fixture = make_sync_fixture(tmp_path / "w", pki, closed_endpoint())
    fixture.drop_po("98YY;00;500001;;;2024-09-02;O;3;;;N;;groep 3\n")
    (fixture.po_drop / "dagverzuim_2.csv").write_text(
        PO_HEADER + "98YY;00;500001;;;2024-09-02;D;6;;;N;;groep 3\n", encoding="utf-8"
    )

    po = school(run_sync(fixture.settings(), utc_now), PO_BRIN)

    assert po["status"] == "ok", po
    files = {Path(str(item["bestand"])).name: item for item in po["bestanden"]}  # type: ignore[union-attr]
    assert files["dagverzuim.csv"]["waarvan_dubbel"] == 1
    assert files["dagverzuim.csv"]["geaccepteerd"] == 1
    assert files["dagverzuim_2.csv"]["waarvan_dubbel"] == 0
    assert stored_day(fixture, "500001", "2024-09-02") == [("08:30", "14:30", "AFWEZIG")]


def test_bad_rows_and_an_unreadable_batch_do_not_stop_the_run(
    tmp_path: Path, pki: PkiFiles
) -> None:
    """DUO unreachable, a malformed line in the VO export and a PO batch no adapter knows: the
    VO meldingen are queued (and wait, their deadlines passed), the bad line is an afwijzing in
    the summary, the PO batch goes to afgewezen/<run>/ with its reason, nothing is deleted."""
    fixture = make_sync_fixture(tmp_path / "w", pki, closed_endpoint())
    registrations = fixture.drop_vo()[1]
    with (fixture.vo_drop / "lesregistraties.csv").open("a", encoding="utf-8") as handle:
        handle.write("dit;is;geen;registratie\n")
    lines = registrations.read_text(encoding="utf-8").count("\n")
    (fixture.po_drop / "export.txt").write_text("niets herkenbaars\n", encoding="utf-8")

    summary = run_sync(fixture.settings(), utc_now)

    vo, po = school(summary, "99XX"), school(summary, PO_BRIN)
    assert vo["status"] == "ok" and vo["nieuw_in_outbox"] == 40
    bad = [item for item in vo["afwijzingen"] if item["regelnummer"] == lines]  # type: ignore[union-attr,index]
    assert bad and bad[0]["regel"] == "I-VELDEN" and bad[0]["bestand"] == "lesregistraties.csv"
    assert vo["afwijzingen_per_regel"]["I-VELDEN"] == 1  # type: ignore[index]
    # nothing reached DUO: every melding waits, all with their deadline (F8) passed
    assert {state for _, _, state in outbox_rows(fixture)} == {State.QUEUED.value}
    assert len(vo["termijn_verlopen"]) == 40  # type: ignore[arg-type]
    assert summary.verzonden["retried"] >= 1
    # the PO batch: refused as a whole, kept with its reason
    assert po["status"] == "fout" and not summary.ok
    refused = fixture.po_drop / "afgewezen" / summary.run
    assert (refused / "export.txt").is_file()
    assert "geen bekend formaat" in (refused / "reden.txt").read_text(encoding="utf-8")
    assert remaining(fixture.po_drop) == []


def test_files_leave_the_drop_folder_only_after_their_registrations_are_stored(
    tmp_path: Path, pki: PkiFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture = make_sync_fixture(tmp_path / "w", pki, closed_endpoint(), two_schools=False)
    dropped = sorted(path.name for path in fixture.drop_vo())
    data = sync_data.SchoolData(fixture.root / "data" / "99XX-00")

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    # 1. storing fails: the files stay, nothing is queued
    with monkeypatch.context() as patch:
        patch.setattr(sync_data.SchoolData, "merge", disk_full)
        failed = run_sync(fixture.settings(), utc_now)
    assert school(failed, "99XX")["status"] == "fout"
    assert "No space left" in str(school(failed, "99XX")["fouten"])
    assert remaining(fixture.vo_drop) == dropped
    assert data.current() is None and outbox_rows(fixture) == []

    # 2. stored, then the process dies before moving: the files are still there, data is stored
    with monkeypatch.context() as patch:
        patch.setattr(sync_data, "move_aside", disk_full)
        crashed = run_sync(fixture.settings(), utc_now)
    assert school(crashed, "99XX")["status"] == "fout"
    assert remaining(fixture.vo_drop) == dropped
    assert data.current() is not None
    stored = (data.registrations_path() or Path()).read_bytes()

    # 3. the next run reads them again: the same data, the meldingen queued once, files moved
    done = run_sync(fixture.settings(), utc_now)
    assert school(done, "99XX")["status"] == "ok"
    assert (data.registrations_path() or Path()).read_bytes() == stored
    assert remaining(fixture.vo_drop) == []
    assert len(outbox_rows(fixture)) == school(done, "99XX")["nieuw_in_outbox"] == 40
    again = run_sync(fixture.settings(), utc_now)
    assert school(again, "99XX")["nieuw_in_outbox"] == 0 and len(outbox_rows(fixture)) == 40


def test_the_lease_keeps_a_second_sync_off_the_school(tmp_path: Path, pki: PkiFiles) -> None:
    fixture = make_sync_fixture(
        tmp_path / "w", pki, closed_endpoint(), two_schools=False, sync_lease_seconds=60
    )
    fixture.drop_vo()
    settings = fixture.settings()
    store = open_store(settings.store_url)
    other = SyncLeases(store.engine, "andere-machine-1234", 60)
    assert other.acquire("sync:99XX-00", utc_now())

    refused = run_sync(settings, utc_now)

    assert school(refused, "99XX")["status"] == "bezet"
    assert "andere-machine-1234" in str(school(refused, "99XX")["fouten"])
    assert refused.ok  # a busy school is not a failure: the other sync does the work
    assert len(remaining(fixture.vo_drop)) == 2 and outbox_rows(fixture) == []

    # the other machine crashed: its lease runs out and the next sync takes the school over
    crashed = SyncLeases(store.engine, "andere-machine-1234", 60)
    assert crashed.acquire("sync:99XX-00", utc_now() - dt.timedelta(seconds=120))
    store.close()
    taken = run_sync(settings, utc_now)
    assert school(taken, "99XX")["status"] == "ok"
    assert remaining(fixture.vo_drop) == [] and len(outbox_rows(fixture)) == 40


def test_lease_rows_with_an_injected_clock(store_url: str) -> None:
    """On SQLite and on PostgreSQL (two machines sharing one database)."""
    store = open_store(store_url)
    t0 = dt.datetime(2025, 1, 6, 8, 0, tzinfo=dt.UTC)
    a = SyncLeases(store.engine, "a", 30)
    b = SyncLeases(store.engine, "b", 30)
    try:
        assert a.acquire("sync:99XX-00", t0)
        assert not b.acquire("sync:99XX-00", t0 + dt.timedelta(seconds=10))
        assert a.acquire("sync:99XX-00", t0 + dt.timedelta(seconds=10))  # ours: taken again
        assert a.renew("sync:99XX-00", t0 + dt.timedelta(seconds=20))  # until t0 + 50 s
        assert not b.acquire("sync:99XX-00", t0 + dt.timedelta(seconds=45))
        assert b.acquire("sync:99XX-00", t0 + dt.timedelta(seconds=50))  # expired: taken over
        assert not a.renew("sync:99XX-00", t0 + dt.timedelta(seconds=51))  # a lost it
        a.release("sync:99XX-00")  # not a's: nothing happens
        holder = b.holder("sync:99XX-00")
        assert holder is not None and holder.owner == "b"
        assert a.acquire("sync:98YY-00", t0)  # another school: independent
        b.release("sync:99XX-00")
        assert b.holder("sync:99XX-00") is None
        assert a.acquire("sync:99XX-00", t0 + dt.timedelta(seconds=52))
    finally:
        store.close()


def test_a_worker_and_the_api_serve_every_configured_school(
    tmp_path: Path, pki: PkiFiles, sim: RunningSimulator
) -> None:
    """A vendor's ``verzuim worker`` / ``verzuim serve`` over ``[[sync.schools]]``: the API
    knows both BRINs and the worker brings DUO's status changes in for both schools."""
    import asyncio

    from gateway.service.api import create_app
    from gateway.service.jobs import Runtime
    from gateway.service.worker import run_worker

    fixture = make_sync_fixture(tmp_path / "w", pki, sim.endpoint)
    fixture.drop_vo()
    fixture.drop_po()
    assert run_sync(fixture.settings(), utc_now).ok
    for melding in sim.admin.meldingen():  # the municipality handles every melding
        sim.admin.set_status(melding["nummer"], "B")

    runtime = Runtime.open(fixture.settings())
    try:
        assert [school.brin for school in runtime.schools] == ["99XX", PO_BRIN]
        app = create_app(fixture.settings(), runtime.store, {s.brin: s for s in runtime.schools})
        assert set(app.state.context.schools) == {"99XX", PO_BRIN}
        report = asyncio.run(run_worker(runtime, stop=asyncio.Event(), once=True))
        assert report.reconciles == 2 and not report.errors  # one pass per school
        statuses = {(row.brin, row.duo_status.value if row.duo_status else None)
                    for row in runtime.store.list(limit=10_000)}  # fmt: skip
        assert statuses == {("99XX", "B"), (PO_BRIN, "B")}
    finally:
        runtime.store.close()


def test_of_many_syncs_grabbing_one_school_at_once_exactly_one_wins(store_url: str) -> None:
    """The lease is one atomic statement: threads racing for the same school on the same
    database (SQLite or PostgreSQL) get exactly one holder."""
    from concurrent.futures import ThreadPoolExecutor

    store = open_store(store_url)
    now = dt.datetime(2025, 1, 6, 8, 0, tzinfo=dt.UTC)
    try:
        contenders = [SyncLeases(store.engine, f"machine-{n}", 30) for n in range(8)]
        start = threading.Barrier(len(contenders))

        def grab(leases: SyncLeases) -> bool:
            start.wait(timeout=30)
            return leases.acquire("sync:99XX-00", now)

        with ThreadPoolExecutor(len(contenders)) as pool:
            won = list(pool.map(grab, contenders))
        assert won.count(True) == 1
        holder = contenders[0].holder("sync:99XX-00")
        assert holder is not None and holder.owner == f"machine-{won.index(True)}"
    finally:
        store.close()
