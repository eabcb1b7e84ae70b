"""Progress of long reads, for a progress bar on a terminal (issue 5: "large inputs stream, with a
progress bar on a terminal").

Readers call ``advance(file, done, total)``; whoever wants to show progress installs a listener
with ``listening(callback)``. Without a listener nothing happens, so readers stay free of any UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Listener = Callable[[str, int, int], None]
_LISTENER: ContextVar[Listener | None] = ContextVar("verzuim_progress", default=None)


@contextmanager
def listening(callback: Listener) -> Iterator[None]:
    """Send every ``advance`` inside this block to ``callback(file, done, total)``."""
    token = _LISTENER.set(callback)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def advance(source: str, done: int, total: int) -> None:
    """Report that ``done`` of ``total`` bytes of ``source`` have been read."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(source, done, total)
