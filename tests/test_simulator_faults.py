"""Fault injection of the simulator (issue 4; DESIGN.md 4: accepted, rejected or unknown): each
fault type over real two-way TLS, whether the request was processed, and reproducibility with
the seed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from simulator_docs import melden, read

from gateway.errors import ConfigError, MessageError
from gateway.messages import LeveringNummer
from gateway.pki import PkiFiles, init_pki
from gateway.simulator.faults import Fault, FaultInjector
from gateway.simulator.options import FaultRates
from gateway.simulator.testing import RunningSimulator, running_simulator
from gateway.xml import parse_bytes

BROKEN_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    return init_pki(tmp_path_factory.mktemp("pki"))


def wait_for(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``condition`` until it returns something truthy, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def registered(sim: RunningSimulator) -> int:
    return len(sim.admin.meldingen())


def test_fail_rate_gives_503_and_processes_nothing(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, fail_rate=1.0) as sim, sim.client() as client:
        response = sim.post_soap(client, melden())
        assert response.status_code == 503
        assert registered(sim) == 0
        assert sim.admin.health()["fault_counts"]["fail"] == 1


def test_reset_closes_the_connection_before_processing(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, reset_rate=1.0) as sim:
        with sim.client() as client, pytest.raises(BROKEN_CONNECTION):
            sim.post_soap(client, melden())
        assert registered(sim) == 0


def test_drop_after_commit_breaks_the_answer_but_registers(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, drop_after_commit_rate=1.0) as sim:
        document = melden()
        with sim.client() as client, pytest.raises(BROKEN_CONNECTION):
            sim.post_soap(client, document)
        [listed] = sim.admin.meldingen()
        assert listed["document_id"] == document.findtext("{*}IdentificatiecodeBedrijfsdocument")
        assert listed["status"] == "R"


def test_timeout_processes_then_answers_too_late(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, timeout_rate=1.0, timeout_seconds=1.0) as sim:
        with sim.client(timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
            sim.post_soap(client, melden())
        assert wait_for(lambda: registered(sim) == 1)
        with sim.client(timeout=5.0) as patient:  # a patient client does get the answer
            started = time.monotonic()
            answer = read(sim.post_soap(patient, melden()))
            assert time.monotonic() - started >= 1.0
            assert isinstance(answer.answer, LeveringNummer)


def test_malformed_answer_after_processing(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, malformed_rate=1.0) as sim, sim.client() as client:
        response = sim.post_soap(client, melden())
        assert response.status_code == 200
        with pytest.raises(MessageError):
            parse_bytes(response.content)
        assert registered(sim) == 1


def test_latency_is_the_response_time_of_every_request(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki, latency_ms=200) as sim, sim.client() as client:
        started = time.monotonic()
        assert isinstance(read(sim.post_soap(client, melden())).answer, LeveringNummer)
        assert time.monotonic() - started >= 0.2
        sim.admin.set_faults(fail_rate=1.0)
        started = time.monotonic()
        assert sim.post_soap(client, melden()).status_code == 503
        assert time.monotonic() - started >= 0.2
        sim.admin.set_faults(fail_rate=0.0, reset_rate=1.0)
        started = time.monotonic()
        with pytest.raises(BROKEN_CONNECTION):
            sim.post_soap(client, melden())
        assert time.monotonic() - started >= 0.2
        assert registered(sim) == 1  # neither the 503 nor the reset was processed


def test_a_melding_is_registered_on_arrival_and_answered_after_the_latency(
    tmp_path: Path, pki: PkiFiles
) -> None:
    """DUO's processing is part of its response time: the melding is in the simulator's
    register while its answer is still on its way (so a client gone meanwhile has an unknown
    outcome, never a lost melding)."""
    with running_simulator(tmp_path, pki=pki, latency_ms=3000) as sim, sim.client() as client:
        answers: list[httpx.Response] = []
        poster = threading.Thread(target=lambda: answers.append(sim.post_soap(client, melden())))
        started = time.monotonic()
        poster.start()
        wait_for(lambda: registered(sim) == 1 or answers, timeout=10)
        assert registered(sim) == 1
        assert not answers, "the answer came before the melding was seen in the register"
        poster.join(timeout=10)
        assert time.monotonic() - started >= 3.0
        assert isinstance(read(answers[0]).answer, LeveringNummer)


def test_faults_change_at_runtime(tmp_path: Path, pki: PkiFiles) -> None:
    with running_simulator(tmp_path, pki=pki) as sim, sim.client() as client:
        assert sim.admin.set_faults(fail_rate=1.0)["fail_rate"] == 1.0
        assert sim.post_soap(client, melden()).status_code == 503
        sim.admin.set_faults(fail_rate=0.0)
        assert sim.post_soap(client, melden()).status_code == 200
        refused = client.post("/_sim/faults", json={"fail_rate": 2})
        assert refused.status_code == 400
        assert client.post("/_sim/faults", json={"nonsense": 1}).status_code == 400


def test_same_seed_same_faults_in_request_order() -> None:
    rates = FaultRates(fail_rate=0.3, reset_rate=0.1, timeout_rate=0.2, malformed_rate=0.2)
    first = FaultInjector(rates, seed=42)
    second = FaultInjector(rates, seed=42)
    sequence = [first.draw() for _ in range(200)]
    assert sequence == [second.draw() for _ in range(200)]
    assert {Fault.NONE, Fault.FAIL, Fault.RESET, Fault.TIMEOUT, Fault.MALFORMED} <= set(sequence)
    assert Fault.DROP not in sequence
    other = FaultInjector(rates, seed=43)
    assert [other.draw() for _ in range(200)] != sequence


def test_draws_do_not_depend_on_the_rates() -> None:
    """One number per rate per request, so switching a rate on later keeps the stream aligned."""
    quiet = FaultInjector(FaultRates(), seed=7)
    for _ in range(10):
        assert quiet.draw() is Fault.NONE
    quiet.update({"fail_rate": 1.0})
    loud = FaultInjector(FaultRates(fail_rate=1.0), seed=7)
    for _ in range(10):
        loud.draw()
    assert quiet.draw() is loud.draw() is Fault.FAIL


def test_rates_are_checked() -> None:
    with pytest.raises(ConfigError, match="fail_rate"):
        FaultRates(fail_rate=1.5).checked()
    with pytest.raises(ConfigError, match="latency_ms"):
        FaultRates().updated({"latency_ms": -1})
