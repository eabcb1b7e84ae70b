"""The simulator's options (``verzuim simulator ...``), checked once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

from gateway.errors import ConfigError

RATE_FIELDS = (
    "fail_rate",
    "timeout_rate",
    "drop_after_commit_rate",
    "reset_rate",
    "malformed_rate",
)
"""The fault probabilities per SOAP request, in the order they are drawn (see ``faults.py``)."""


@dataclass(frozen=True, slots=True)
class FaultRates:
    """Fault injection settings; each rate a probability per SOAP request (0.0 - 1.0)."""

    fail_rate: float = 0.0
    latency_ms: int = 0
    timeout_rate: float = 0.0
    timeout_seconds: float = 30.0
    drop_after_commit_rate: float = 0.0
    reset_rate: float = 0.0
    malformed_rate: float = 0.0

    def checked(self) -> FaultRates:
        """Itself, or ``ConfigError`` naming the first value out of range."""
        for name in RATE_FIELDS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} moet tussen 0 en 1 liggen, niet {value}")
        if self.latency_ms < 0:
            raise ConfigError(f"latency_ms mag niet negatief zijn, niet {self.latency_ms}")
        if self.timeout_seconds < 0:
            raise ConfigError(f"timeout_seconds mag niet negatief zijn: {self.timeout_seconds}")
        return self

    def updated(self, changes: dict[str, object]) -> FaultRates:
        """A copy with ``changes`` applied (the JSON of ``POST /_sim/faults``), checked."""
        known = {field.name: field.type for field in fields(self)}
        values: dict[str, float | int] = {}
        for name, value in changes.items():
            if name not in known:
                raise ConfigError(f"onbekende instelling {name!r}; kies uit {sorted(known)}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{name} moet een getal zijn")
            values[name] = int(value) if name == "latency_ms" else float(value)
        return replace(self, **values).checked()  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class SimulatorOptions:
    """Everything ``run_simulator`` needs.

    ``behandeling_after`` and ``afsluiting_after`` are the municipality's delays in seconds
    (R -> B, then B -> G or K), each stretched by a seeded factor between 0.5 and 1.5; ``None``
    switches that step off (then only the admin API moves meldingen).
    """

    pki: Path
    host: str = "127.0.0.1"
    port: int = 8443
    db: Path = Path("simulator.db")
    seed: int | None = None
    page_size: int = 100
    dedupe: bool = False
    faults: FaultRates = FaultRates()
    behandeling_after: float | None = 60.0
    afsluiting_after: float | None = 300.0
    tick_seconds: float = 1.0
    log_level: str = "info"
    access_log: bool = True
    profiel: str = "2W-be"
    """Digikoppeling profile: ``2W-be`` (TLS only) or ``2W-be-S`` (WS-Security, ``wssec.py``)."""

    def checked(self) -> SimulatorOptions:
        """Itself, or ``ConfigError`` naming the first unusable value."""
        if self.page_size < 1:
            raise ConfigError(f"page_size moet minstens 1 zijn, niet {self.page_size}")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"poort {self.port} bestaat niet")
        for name in ("behandeling_after", "afsluiting_after"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigError(f"{name} mag niet negatief zijn, niet {value}")
        if self.tick_seconds <= 0:
            raise ConfigError("tick_seconds moet positief zijn")
        if self.profiel not in ("2W-be", "2W-be-S"):
            raise ConfigError(f"profiel moet 2W-be of 2W-be-S zijn, niet {self.profiel!r}")
        self.faults.checked()
        return self
