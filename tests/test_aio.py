"""``gateway.aio``: the jobs run on uvloop where it is installed, on asyncio's loop when
``VERZUIM_EVENT_LOOP=asyncio`` says so."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from gateway import aio


async def _loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_uvloop_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(aio.LOOP_ENV, raising=False)
    assert aio.loop_factory() is uvloop.new_event_loop
    assert issubclass(aio.run(_loop_type()), uvloop.Loop)


@pytest.mark.parametrize("value", ["asyncio", " AsyncIO "])
def test_the_standard_loop_on_request(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(aio.LOOP_ENV, value)
    assert aio.loop_factory() is None
    assert not issubclass(aio.run(_loop_type()), uvloop.Loop)
