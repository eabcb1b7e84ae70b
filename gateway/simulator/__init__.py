"""The bundled DUO simulator (DESIGN.md 1): a real SOAP 1.1 server over two-way TLS that plays
DUO and the municipality for demos and integration tests. See ``README.md`` beside this file.

``run_simulator(SimulatorOptions(pki=...))`` serves until interrupted; tests use
``gateway.simulator.testing.running_simulator``.
"""

from gateway.simulator.app import Simulator, create_app
from gateway.simulator.options import FaultRates, SimulatorOptions
from gateway.simulator.server import SimulatorServer, run_simulator

__all__ = [
    "FaultRates",
    "Simulator",
    "SimulatorOptions",
    "SimulatorServer",
    "create_app",
    "run_simulator",
]
