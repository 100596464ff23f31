"""Fixtures shared by the gateway and STS tests: raw HTTP to the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from akless.emulator import EmulatorServer
from tests.emulator.helpers import Api


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One HTTP client (no proxies from the environment) per test module."""
    with httpx.Client(trust_env=False, timeout=10) as client:
        yield client


@pytest.fixture
def api(akless_emulator: EmulatorServer, http: httpx.Client) -> Api:
    """Hand-signed calls to this test's (freshly reset) emulator."""
    return Api(akless_emulator, http)
