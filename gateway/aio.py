"""Running the gateway's async jobs: on uvloop where it is installed, else on asyncio's loop.

uvloop's event loop and its TLS transport are C code; the DUO client's connections
(``gateway.duo.http11``) run on that transport, which roughly halves the CPU per request of the
sender against the standard loop (``benchmarks/sender.py``). Behaviour is the same on both loops;
the tests run on both.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

#: Set to ``asyncio`` to run on the standard event loop even where uvloop is installed.
LOOP_ENV = "VERZUIM_EVENT_LOOP"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop constructor, or None for asyncio's default (no uvloop, Windows, or
    ``VERZUIM_EVENT_LOOP=asyncio``)."""
    if os.environ.get(LOOP_ENV, "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the loop of ``loop_factory``."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
