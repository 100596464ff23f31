"""The suite's own safety net: tests cannot reach anything but loopback."""

from __future__ import annotations

import os
import socket

import pytest

from tests.conftest import NonLoopbackTraffic


def test_connecting_to_the_real_metadata_address_is_refused() -> None:
    with pytest.raises(NonLoopbackTraffic), socket.socket() as sock:
        sock.connect(("100.100.100.200", 80))


def test_resolving_an_alibaba_cloud_host_is_refused() -> None:
    with pytest.raises(NonLoopbackTraffic):
        socket.getaddrinfo("sts.aliyuncs.com", 443)


def test_loopback_stays_reachable() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server, socket.socket() as client:
        client.connect(server.getsockname())


def test_each_test_starts_with_endpoints_pinned_and_metadata_disabled() -> None:
    assert os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] == "true"
    assert os.environ["ALIBABA_CLOUD_STS_ENDPOINT"].startswith("http://127.0.0.1:")
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" not in os.environ
