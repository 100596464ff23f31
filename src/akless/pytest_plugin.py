"""pytest fixtures for the emulator, registered automatically when akless is installed.

* ``akless_emulator_server`` (session): one emulator for the whole test session.
* ``akless_emulator``: the same emulator, reset to its start-up state before each test; a test
  during which the emulator itself failed is reported as an error.

Nothing here imports the emulator until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from akless.testing import raise_server_errors, running_emulator

if TYPE_CHECKING:
    from akless.emulator import EmulatorServer


@pytest.fixture(scope="session")
def akless_emulator_server() -> Iterator[EmulatorServer]:
    """An emulator on a free loopback port, shared by the test session."""
    with running_emulator() as server:
        yield server


@pytest.fixture
def akless_emulator(akless_emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The session's emulator, reset to its start-up state for this test."""
    akless_emulator_server.cloud.reset()
    yield akless_emulator_server
    try:
        raise_server_errors(akless_emulator_server)
    finally:
        # Reported once, for the test that caused them, not again when the session ends.
        akless_emulator_server.cloud.server_errors.clear()
