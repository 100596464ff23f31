"""Fixtures shared by the metadata, faults, admin and state tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from akless.emulator import EmulatorServer
from akless.sts import StsClient
from akless.transport import HttpTransport


@pytest.fixture
def transport() -> Iterator[HttpTransport]:
    """An akless transport that ignores proxy variables, closed after the test."""
    pool = HttpTransport(environ={})
    yield pool
    pool.close()


@pytest.fixture
def web(akless_emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A client of the emulated services themselves."""
    with httpx.Client(base_url=akless_emulator.endpoint, timeout=5, trust_env=False) as client:
        yield client


@pytest.fixture
def sts(akless_emulator: EmulatorServer, transport: HttpTransport) -> StsClient:
    """akless's STS client, pointed at this test's emulator."""
    return StsClient(akless_emulator.endpoint, transport=transport)
