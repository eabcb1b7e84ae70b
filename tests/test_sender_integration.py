"""The sender against the bundled simulator over real mutual TLS (issue 4): submit, change,
withdraw, reconcile with paging, business rejections never retried, certificates refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from duo_setup import clock, runtime_for, sample_school, write_config

from gateway.errors import InputError
from gateway.messages import MeldingMutatie, RedenIntrekking
from gateway.pki import init_foreign_client
from gateway.service.jobs import (
    queue_change,
    queue_precheck,
    queue_withdrawal,
    reconcile_now,
    send,
)
from gateway.simulator.testing import running_simulator
from gateway.store import State


def test_submit_change_withdraw_and_reconcile(tmp_path: Path) -> None:
    sample = sample_school(tmp_path)
    with running_simulator(tmp_path, page_size=5) as sim:
        runtime = runtime_for(write_config(tmp_path, sim, sample))
        queued = queue_precheck(runtime, sample.leerlingen, [sample.lesregistraties], None, clock())
        assert len(queued.created) > 20 and not queued.existing

        report = asyncio.run(send(runtime, clock))
        assert report.accepted == len(queued.created)
        assert report.rejected == report.unknown == report.retried == 0

        at_duo = sim.admin.meldingen()
        assert len(at_duo) == len(queued.created)
        assert all(item["registraties"] == 1 for item in at_duo)
        rows = runtime.store.list(State.ACCEPTED, limit=1000)
        assert {row.duo_nummer for row in rows} == {item["nummer"] for item in at_duo}

        again = queue_precheck(runtime, sample.leerlingen, [sample.lesregistraties], None, clock())
        assert again.created == []

        first, second, third = rows[0], rows[1], rows[2]
        change_id = queue_change(
            runtime,
            first.id,
            MeldingMutatie("", None, "", "", "Gesprek met ouders gevoerd"),
            clock(),
        )
        withdraw_id = queue_withdrawal(
            runtime, second.id, RedenIntrekking.DUBBEL, "dubbel gemeld", clock()
        )
        report = asyncio.run(send(runtime, clock))
        assert report.accepted == 2
        assert runtime.store.get(change_id).state is State.ACCEPTED  # type: ignore[union-attr]
        assert runtime.store.get(withdraw_id).state is State.ACCEPTED  # type: ignore[union-attr]
        assert sim.admin.melding(second.duo_nummer or "")["status"] == "I"

        sim.admin.set_status(third.duo_nummer or "", "G", "TERUG_OP_SCHOOL")
        result = asyncio.run(reconcile_now(runtime, clock))
        assert result.pages >= 2  # paged at 5 per answer
        closed = runtime.store.get(third.id)
        assert closed is not None and closed.duo_status is not None
        assert closed.duo_status.value == "G"
        with pytest.raises(InputError, match="V12"):
            queue_withdrawal(runtime, third.id, RedenIntrekking.ONTERECHT, "", clock())


def test_business_rejection_is_stored_with_its_codes_and_never_retried(tmp_path: Path) -> None:
    sample = sample_school(tmp_path)
    with running_simulator(tmp_path) as sim:
        runtime = runtime_for(write_config(tmp_path, sim, sample))
        queue_precheck(runtime, sample.leerlingen, [sample.lesregistraties], None, clock())
        asyncio.run(send(runtime, clock))
        row = runtime.store.list(State.ACCEPTED, limit=1)[0]
        sim.admin.set_status(row.duo_nummer or "", "G", "GESPREK")  # not yet reconciled locally
        withdraw_id = queue_withdrawal(runtime, row.id, RedenIntrekking.ONTERECHT, "", clock())
        report = asyncio.run(send(runtime, clock))
        assert report.rejected == 1
        rejected = runtime.store.get(withdraw_id)
        assert rejected is not None and rejected.state is State.REJECTED
        assert rejected.duo_errors and rejected.duo_errors[0][0]
        assert asyncio.run(send(runtime, clock)).sent == 0  # never claimed again
        assert sim.admin.melding(row.duo_nummer or "")["status"] == "G"


def test_client_certificate_from_another_ca_is_refused(tmp_path: Path) -> None:
    sample = sample_school(tmp_path)
    with running_simulator(tmp_path) as sim:
        foreign = init_foreign_client(tmp_path / "foreign", sim.pki.oin)
        config = write_config(
            tmp_path, sim, sample, client_cert=foreign.client_cert, client_key=foreign.client_key
        )
        runtime = runtime_for(config)
        queue_precheck(runtime, sample.leerlingen, [sample.lesregistraties], None, clock())
        report = asyncio.run(send(runtime, clock))
        # Under TLS 1.3 the server refuses the certificate after the client's handshake is done,
        # by resetting the connection: the client sees a security error or an unknown outcome,
        # and reconciling fails for the same reason. Either way nothing is resent blindly.
        assert report.accepted == 0
        assert report.security + report.unknown == report.sent > 0
        assert report.errors
        counts = runtime.store.counts()
        assert counts[State.SECURITY] + counts[State.UNKNOWN] == report.sent
        assert asyncio.run(send(runtime, clock)).sent == 0
        assert sim.admin.meldingen() == []
