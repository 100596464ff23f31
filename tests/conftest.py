"""Test-session rules: nothing leaves loopback.

* Every connection and every name lookup is checked: anything but loopback fails the test at
  once (``make test`` also runs the suite in a loopback-only network namespace).
* Each test starts with the official endpoint variables pointing at a dead loopback port and the
  metadata step disabled, so code that forgets to pin an endpoint fails fast instead of calling
  ``100.100.100.200`` or ``*.aliyuncs.com``. Tests that need the emulator set its endpoints.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
DEAD_ENDPOINT = "http://127.0.0.1:9"
"""A loopback address where nothing listens (the discard port): connections are refused."""


class NonLoopbackTraffic(AssertionError):
    """A test tried to reach something other than loopback."""


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _check_address(address: Any) -> None:
    if isinstance(address, tuple) and address and not _is_loopback(address[0]):
        raise NonLoopbackTraffic(f"tests may only connect to loopback, not {address[0]!r}")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_loopback(host):
        raise NonLoopbackTraffic(f"tests may only resolve loopback names, not {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo


OFFICIAL_ENDPOINT_VARIABLES = {
    "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": DEAD_ENDPOINT,
    "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
    "ALIBABA_CLOUD_STS_ENDPOINT": DEAD_ENDPOINT,
    "ALIBABA_CLOUD_RAM_ENDPOINT": DEAD_ENDPOINT,
    "ALIBABA_CLOUD_KMS_ENDPOINT": DEAD_ENDPOINT,
    "ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT": DEAD_ENDPOINT,
}
_CLEARED_PREFIXES = ("ALIBABA_CLOUD_", "ALIBABACLOUD_", "ALICLOUD_", "AKLESS_")
_CLEARED = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy")


@pytest.fixture(autouse=True)
def _pinned_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A clean environment per test: no real credentials, endpoints pinned, a private HOME."""
    import os

    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES) or name in _CLEARED:
            monkeypatch.delenv(name)
    for name, value in OFFICIAL_ENDPOINT_VARIABLES.items():
        monkeypatch.setenv(name, value)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
