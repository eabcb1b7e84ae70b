"""Running the API under uvicorn, optionally with the worker loop in the same process
(``verzuim serve [--worker]``)."""

from __future__ import annotations

import asyncio
from types import FrameType

import uvicorn
from fastapi import FastAPI

from gateway import aio
from gateway.logging import get_logger
from gateway.service.jobs import Runtime
from gateway.service.worker import run_worker

log = get_logger(__name__)


class GracefulServer(uvicorn.Server):
    """uvicorn's server, stopping on SIGTERM/SIGINT as usual, but without raising the signal
    again once it has stopped (uvicorn does, to exit by the signal): the worker beside it must
    still finish its batch, and then the process exits 0."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def run_server(app: FastAPI, runtime: Runtime, *, host: str, port: int, worker: bool) -> None:
    """Serve ``app`` until SIGTERM/SIGINT; with ``worker`` the sending loop runs beside it and
    stops with it (its claimed batch finished first)."""
    server = GracefulServer(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,  # uvicorn's loggers go through gateway.logging (redaction)
            server_header=False,
        )
    )
    aio.run(_serve(server, runtime, worker))


async def _serve(server: uvicorn.Server, runtime: Runtime, with_worker: bool) -> None:
    stop = asyncio.Event()
    worker_task: asyncio.Task[object] | None = None
    if with_worker:
        worker_task = asyncio.create_task(run_worker(runtime, stop=stop))

        def worker_ended(task: asyncio.Task[object]) -> None:
            if not task.cancelled() and task.exception() is not None:
                error = task.exception()
                log.error(
                    "worker gestopt met een fout; de API stopt ook", error_type=type(error).__name__
                )
                server.should_exit = True

        worker_task.add_done_callback(worker_ended)
    try:
        await server.serve()
    finally:
        stop.set()
        if worker_task is not None:
            await asyncio.gather(worker_task, return_exceptions=True)
