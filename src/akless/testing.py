"""Public helpers for testing code against the emulator (needs ``akless[emulator]``).

::

    from akless.testing import running_emulator

    with running_emulator() as emulator:
        environ = emulator_environment(emulator)   # endpoints pinned to the emulator
        ...

With pytest, the ``akless_emulator`` fixture (registered automatically) gives each test an
emulator reset to its start-up state; see ``akless.pytest_plugin``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from akless.emulator import EmulatorServer


class EmulatorBug(AssertionError):
    """The emulator failed while answering a request (its own bug, not the client's)."""


@contextmanager
def running_emulator(
    *, state: str | Path | None = None, hardened_only: bool = False
) -> Iterator[EmulatorServer]:
    """An emulator on a free loopback port for the duration of the ``with`` block.

    On exit, any error the emulator hit while serving is raised as ``EmulatorBug``.
    """
    from akless.emulator import Cloud, EmulatorServer

    server = EmulatorServer(Cloud(state, hardened_only=hardened_only)).start()
    try:
        yield server
    finally:
        server.stop()
        server.cloud.close()
    raise_server_errors(server)


def raise_server_errors(server: EmulatorServer) -> None:
    """Raise ``EmulatorBug`` if the emulator failed while answering since its last reset."""
    errors = list(server.cloud.server_errors)
    if errors:
        raise EmulatorBug(f"the emulator failed {len(errors)} time(s): {errors[0]!r}") from errors[
            0
        ]


def emulator_environment(server: EmulatorServer) -> dict[str, str]:
    """Environment variables that point every akless and official-SDK endpoint at ``server``."""
    endpoint = server.endpoint
    return {
        "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": endpoint,
        "ALIBABA_CLOUD_STS_ENDPOINT": endpoint,
        "ALIBABA_CLOUD_RAM_ENDPOINT": endpoint,
        "ALIBABA_CLOUD_KMS_ENDPOINT": endpoint,
        "ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT": endpoint,
    }
