"""Shared set-up for tests of the whole chain: a sample school, settings pointing at a running
simulator over real mutual TLS, and a store in tmp_path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gateway.sample.generate import SampleFiles, write_sample_school
from gateway.service.jobs import Runtime
from gateway.settings import load_settings
from gateway.simulator.testing import RunningSimulator


def write_config(
    tmp_path: Path,
    sim: RunningSimulator,
    sample: SampleFiles,
    *,
    client_cert: Path | None = None,
    client_key: Path | None = None,
    timeout: float = 5.0,
    lease_seconds: float = 60.0,
    concurrency: int = 4,
    backoff_seconds: float = 0.01,
) -> Path:
    """A ``verzuim.toml`` for the running simulator; returns its path."""
    config = tmp_path / "verzuim.toml"
    config.write_text(
        "\n".join(
            [
                f'school = "{sample.school}"',
                f'store_url = "sqlite:///{tmp_path / "verzuim.db"}"',
                "[duo]",
                f'endpoint = "{sim.endpoint}"',
                f'client_cert = "{client_cert or sim.pki.client_cert}"',
                f'client_key = "{client_key or sim.pki.client_key}"',
                f'trust_bundle = "{sim.pki.ca_cert}"',
                f'oin = "{sim.pki.oin}"',
                f"timeout_seconds = {timeout}",
                "connect_timeout_seconds = 5",
                f"concurrency = {concurrency}",
                "max_attempts = 2",
                f"retry_backoff_seconds = {backoff_seconds}",
                f"retry_backoff_max_seconds = {max(backoff_seconds, 0.05)}",
                f"lease_seconds = {lease_seconds}",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return config


def sample_school(tmp_path: Path) -> SampleFiles:
    return write_sample_school(tmp_path / "school")


def runtime_for(config: Path) -> Runtime:
    return Runtime.open(load_settings(config, env={}))


def clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
