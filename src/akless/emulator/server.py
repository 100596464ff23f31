"""Run the emulator: in a background thread (tests, ``akless.testing``) or in the foreground
(``akless emulator serve``), on uvicorn, on one port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from akless.emulator.app import ABORT_EXTENSION, create_app
from akless.emulator.cloud import Cloud

START_TIMEOUT = 15.0


class _Protocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, plus a scope extension that lets a fault drop the connection."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        extensions: Any = {ABORT_EXTENSION: self.transport.abort}
        self.scope["extensions"] = extensions


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # uvloop is optional (and absent on Windows)
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=1024)


def endpoint_of(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _server(cloud: Cloud, *, configure_logging: bool) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(cloud),
        http=_Protocol,
        lifespan="off",
        access_log=False,
        date_header=False,
        server_header=False,
        timeout_keep_alive=15,
        timeout_graceful_shutdown=1,
        log_config=uvicorn.config.LOGGING_CONFIG if configure_logging else None,
        log_level="warning",
    )
    return uvicorn.Server(config)


class EmulatorServer:
    """The emulator serving ``cloud`` from a daemon thread; use as a context manager.

    >>> with EmulatorServer() as emulator:          # doctest: +SKIP
    ...     emulator.endpoint                       # 'http://127.0.0.1:40123'
    """

    def __init__(self, cloud: Cloud | None = None, *, host: str = "127.0.0.1", port: int = 0):
        self.cloud = cloud or Cloud()
        self._socket = bind(host, port)
        self.endpoint = endpoint_of(self._socket)
        self._server = _server(self.cloud, configure_logging=False)
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def start(self) -> EmulatorServer:
        """Start serving; return once the server accepts requests."""
        self._thread = threading.Thread(target=self._run, name="akless-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if self._failure is not None or not self._thread.is_alive():
                raise RuntimeError("the emulator failed to start") from self._failure
            if time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start within {START_TIMEOUT} s")
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        loop = _new_loop()
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._socket]))
        except BaseException as error:  # reported to start() / stop()
            self._failure = error
        finally:
            loop.close()

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def _stop_signals_exit_cleanly(server: uvicorn.Server) -> Iterator[None]:
    """SIGINT and SIGTERM are the normal way to stop the foreground emulator. While serving,
    uvicorn handles them with a graceful shutdown, then re-raises the signal to the handler that
    was there before, which would turn a clean stop into a ``KeyboardInterrupt`` or a death by
    SIGTERM. That handler is this one: it asks the server to stop, and nothing more."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread; uvicorn leaves them alone too
        return

    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def serve_forever(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    state: Path | None = None,
    hardened_only: bool = False,
    out: IO[str] | None = None,
    on_ready: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM. Once accepting, print ONE JSON line (endpoint and identity)."""
    sock = bind(host, port)  # first: a busy port must not leave a new state file behind
    try:
        cloud = Cloud(state, hardened_only=hardened_only)
    except BaseException:
        sock.close()
        raise
    server = _server(cloud, configure_logging=True)
    announcement = cloud.identity.to_json(endpoint_of(sock))
    stream = out or sys.stdout

    async def announce_when_ready() -> None:
        while not server.started:
            await asyncio.sleep(0.01)
        stream.write(json.dumps(announcement) + "\n")
        stream.flush()
        if on_ready is not None:
            on_ready(announcement)

    async def main() -> None:
        announcer = asyncio.ensure_future(announce_when_ready())
        try:
            await server.serve(sockets=[sock])
        finally:
            announcer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await announcer

    loop = _new_loop()
    try:
        with _stop_signals_exit_cleanly(server):
            loop.run_until_complete(main())
    finally:
        loop.close()
        sock.close()
        cloud.close()
