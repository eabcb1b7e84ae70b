"""A claimed row is sent only while enough of its lease is left to cover the longest send
(DESIGN.md 4): a request must not still be in flight when its lease runs out, or another worker
could reconcile and resend it. Real simulator over mutual TLS, real SQLite."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path

from duo_setup import clock, runtime_for, sample_school, write_config

from gateway.duo.sender import Sender
from gateway.service.jobs import queue_precheck
from gateway.settings import load_settings, longest_send_seconds
from gateway.simulator.testing import running_simulator
from gateway.store import State


def test_rows_without_enough_lease_left_are_not_sent(tmp_path: Path) -> None:
    sample = sample_school(tmp_path)
    with running_simulator(tmp_path) as sim:
        runtime = runtime_for(write_config(tmp_path, sim, sample))
        queued = queue_precheck(runtime, sample.leerlingen, [sample.lesregistraties], None, clock())
        policy = runtime.policy()
        assert policy.lease_margin.total_seconds() > 0  # set from the settings
        too_short = dataclasses.replace(policy, lease_margin=policy.lease + dt.timedelta(seconds=1))

        async def run(sender_policy: object) -> object:
            async with runtime.client() as client:
                sender = Sender(runtime.store, client, runtime.school, "w1", clock, sender_policy)  # type: ignore[arg-type]
                return await sender.send_due(reconcile_unknown=False)

        skipped = asyncio.run(run(too_short))
        assert skipped.sent == 0 and skipped.lost_lease > 0  # type: ignore[attr-defined]
        assert sim.admin.meldingen() == []  # nothing left for DUO
        assert runtime.store.counts()[State.QUEUED] + runtime.store.counts()[State.SENDING] == len(
            queued.created
        )
        runtime.store.close()


def test_the_margin_is_the_longest_send_but_at_most_half_the_lease(tmp_path: Path) -> None:
    sample = sample_school(tmp_path)
    with running_simulator(tmp_path) as sim:
        config = write_config(tmp_path, sim, sample)
        settings = load_settings(config, env={})
        runtime = runtime_for(config)
        longest = longest_send_seconds(settings.duo)
        expected = min(longest, settings.duo.lease_seconds / 2)
        assert runtime.policy().lease_margin == dt.timedelta(seconds=expected)
        runtime.store.close()
