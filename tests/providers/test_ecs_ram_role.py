"""``EcsRamRoleProvider``: the instance's RAM role from the metadata service, in hardened mode.

What is pinned here: how many metadata requests a first fetch and each later refresh cost
(3 and 1; the official library makes 4 each time), when tokenless reads are allowed, the switches
(``ALIBABA_CLOUD_ECS_METADATA_DISABLED``, ``..._IMDSV1_DISABLED``, ``..._ECS_METADATA``,
``..._ECS_METADATA_ENDPOINT``), that off the cloud the step costs at most about a second once per
process, and that an outage while the credential is valid is invisible to callers.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from akless._time import format_timestamp
from akless.credentials import Credentials
from akless.emulator import EmulatorServer, Fault
from akless.errors import (
    CredentialsRefreshError,
    CredentialsUnavailable,
    ServiceError,
    TransportError,
)
from akless.metadata import DEFAULT_ENDPOINT, TOKEN_HEADER
from akless.providers.ecs_ram_role import EcsRamRoleProvider, Unreachable
from akless.transport import FakeTransport, HttpTransport, Request, Response

TOKEN_PATH = "/latest/api/token"
ROLE_PATH = "/latest/meta-data/ram/security-credentials/"


class CountingTransport:
    """The real transport, recording ``(method, path)`` of every request it sends."""

    def __init__(self) -> None:
        self._inner = HttpTransport(environ={})
        self.requests: list[tuple[str, str]] = []

    def send(self, request: Request) -> Response:
        self.requests.append((request.method, urlsplit(request.url).path))
        return self._inner.send(request)

    def take(self) -> list[tuple[str, str]]:
        """The requests recorded since the last ``take``."""
        taken, self.requests = self.requests, []
        return taken

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def counting() -> Iterator[CountingTransport]:
    transport = CountingTransport()
    yield transport
    transport.close()


@pytest.fixture
def dmi(tmp_path: Path) -> Path:
    """Where the provider looks for the DMI vendor (absent unless a test writes it)."""
    return tmp_path / "sys_vendor"


@pytest.fixture
def make_provider(
    akless_emulator: EmulatorServer, counting: CountingTransport, dmi: Path
) -> Callable[..., EcsRamRoleProvider]:
    """An ECS provider pointed at the emulator's metadata service, on the emulator's clock."""

    def make(**options: Any) -> EcsRamRoleProvider:
        settings: dict[str, Any] = {
            "environ": {"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": akless_emulator.endpoint},
            "transport": counting,
            "clock": akless_emulator.cloud.now,
            "unreachable": Unreachable(),
            "dmi_path": dmi,
        }
        settings.update(options)
        return EcsRamRoleProvider(**settings)

    return make


def role_path(role: str) -> str:
    return f"{ROLE_PATH}{role}"


def advance_to(emulator: EmulatorServer, moment: float) -> None:
    """Move the emulated clock (which the provider also reads) to wall time ``moment``."""
    cloud = emulator.cloud
    cloud.set_clock_offset(moment - (cloud.now() - cloud.clock_offset))


# --- hardened mode and the request budget -------------------------------------------------------


def test_first_fetch_is_three_requests_token_role_name_credentials(
    make_provider: Callable[..., EcsRamRoleProvider],
    counting: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    role = akless_emulator.cloud.identity.instance_role

    credentials = make_provider().get_credentials()

    assert counting.take() == [("PUT", TOKEN_PATH), ("GET", ROLE_PATH), ("GET", role_path(role))]
    assert credentials.access_key_id.startswith("STS.")
    assert credentials.security_token
    assert credentials.provider_name == "ecs_ram_role"
    assert credentials.expiration == pytest.approx(akless_emulator.cloud.now() + 6 * 3600, abs=5)


def test_each_later_refresh_is_one_request(
    make_provider: Callable[..., EcsRamRoleProvider],
    counting: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    role = akless_emulator.cloud.identity.instance_role
    provider = make_provider()
    provider.get_credentials()
    counting.take()

    for _ in range(3):
        provider._refresher.invalidate()
        provider.get_credentials()

    assert counting.take() == [("GET", role_path(role))] * 3


def test_a_refresh_at_the_advisory_point_is_one_request_with_the_cached_token(
    make_provider: Callable[..., EcsRamRoleProvider],
    counting: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    role = akless_emulator.cloud.identity.instance_role
    provider = make_provider()
    first = provider.get_credentials()
    counting.take()
    assert first.expiration is not None

    advance_to(akless_emulator, first.expiration - 10 * 60)  # past the advisory point
    provider.get_credentials()

    assert counting.take() == [("GET", role_path(role))]


def test_a_warm_call_makes_no_request(
    make_provider: Callable[..., EcsRamRoleProvider], counting: CountingTransport
) -> None:
    provider = make_provider()
    first = provider.get_credentials()
    counting.take()

    assert all(provider.get_credentials() is first for _ in range(100))
    assert counting.take() == []


def test_a_role_name_argument_saves_the_lookup(
    make_provider: Callable[..., EcsRamRoleProvider],
    counting: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    role = akless_emulator.cloud.identity.instance_role

    make_provider(role_name=role).get_credentials()

    assert counting.take() == [("PUT", TOKEN_PATH), ("GET", role_path(role))]


def test_the_role_name_variable_saves_the_lookup(
    make_provider: Callable[..., EcsRamRoleProvider],
    counting: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    role = akless_emulator.cloud.identity.instance_role
    environ = {
        "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": akless_emulator.endpoint,
        "ALIBABA_CLOUD_ECS_METADATA": role,
    }

    make_provider(environ=environ).get_credentials()

    assert counting.take() == [("PUT", TOKEN_PATH), ("GET", role_path(role))]


def test_it_works_against_an_instance_that_only_allows_hardened_mode(
    make_provider: Callable[..., EcsRamRoleProvider],
    counting: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    akless_emulator.cloud.set_hardened_only(True)

    credentials = make_provider().get_credentials()

    assert credentials.security_token
    assert counting.take()[0] == ("PUT", TOKEN_PATH)


def test_a_replaced_instance_role_is_looked_up_again(
    make_provider: Callable[..., EcsRamRoleProvider],
    counting: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    cloud = akless_emulator.cloud
    provider = make_provider()
    provider.get_credentials()
    cloud.create_role("replacement-role", services=["ecs.aliyuncs.com"])
    cloud.set_instance_role("replacement-role")
    provider._refresher.invalidate()
    counting.take()

    with pytest.raises(ServiceError) as caught:
        provider.get_credentials()  # the remembered role is gone: 404, and it is forgotten
    assert caught.value.status == 404
    credentials = provider.get_credentials()

    assert credentials.security_token
    assert counting.take()[-2:] == [("GET", ROLE_PATH), ("GET", role_path("replacement-role"))]


# --- tokenless (normal-mode) reads ---------------------------------------------------------------


def credentials_body(expires_in: float = 6 * 3600) -> str:
    return json.dumps(
        {
            "AccessKeyId": "STS.NFakeInstanceKey01",
            "AccessKeySecret": "fake-instance-secret",
            "SecurityToken": "fake-instance-token",
            "Expiration": format_timestamp(time.time() + expires_in),
            "LastUpdated": format_timestamp(time.time()),
            "Code": "Success",
        }
    )


class FakeImds:
    """A metadata service that answers ``token_status`` to token requests (404: no such
    endpoint, as on an old instance) and serves one role to everyone."""

    def __init__(self, token_status: int = 200, role: str = "fake-role") -> None:
        self.token_status = token_status
        self.role = role
        self.transport = FakeTransport(self.answer)

    def answer(self, request: Request) -> Response:
        path = urlsplit(request.url).path
        if request.method == "PUT":
            if self.token_status == 200:
                return Response(200, {}, b"fake-metadata-token", request.url)
            return Response(self.token_status, {}, b"", request.url)
        if path == ROLE_PATH:
            return Response(200, {}, self.role.encode(), request.url)
        if path == role_path(self.role):
            return Response(200, {}, credentials_body().encode(), request.url)
        return Response(404, {}, b"404 - Not Found", request.url)

    @property
    def sent(self) -> list[tuple[str, str]]:
        return [(r.method, urlsplit(r.url).path) for r in self.transport.requests]

    def tokens_sent(self) -> list[str | None]:
        return [
            next((v for k, v in r.headers.items() if k.lower() == TOKEN_HEADER.lower()), None)
            for r in self.transport.requests
            if r.method == "GET"
        ]


def fake_provider(imds: FakeImds, tmp_path: Path, **options: Any) -> EcsRamRoleProvider:
    settings: dict[str, Any] = {
        "endpoint": "http://imds.test",
        "transport": imds.transport,
        "environ": {},
        "unreachable": Unreachable(),
        "dmi_path": tmp_path / "sys_vendor",
    }
    settings.update(options)
    return EcsRamRoleProvider(**settings)


@pytest.mark.parametrize("status", [404, 405])
def test_without_a_token_endpoint_it_reads_tokenless_and_warns_once(
    status: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    imds = FakeImds(token_status=status)
    provider = fake_provider(imds, tmp_path)

    with caplog.at_level(logging.WARNING, logger="akless"):
        provider.get_credentials()
        for _ in range(2):
            provider._refresher.invalidate()
            provider.get_credentials()

    assert imds.sent == [
        ("PUT", TOKEN_PATH),
        ("GET", ROLE_PATH),
        ("GET", role_path("fake-role")),
        ("GET", role_path("fake-role")),
        ("GET", role_path("fake-role")),
    ]
    assert imds.tokens_sent() == [None] * 4
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "tokenless" in warnings[0].getMessage()
    assert "ALIBABA_CLOUD_IMDSV1_DISABLED" in warnings[0].getMessage()


def test_a_failing_token_endpoint_is_not_a_reason_to_read_tokenless(tmp_path: Path) -> None:
    imds = FakeImds(token_status=500)

    with pytest.raises(ServiceError) as caught:
        fake_provider(imds, tmp_path).get_credentials()

    assert caught.value.status == 500
    assert imds.sent == [("PUT", TOKEN_PATH)]


@pytest.mark.parametrize(
    "options",
    [
        {"environ": {"ALIBABA_CLOUD_IMDSV1_DISABLED": "true"}},
        {"environ": {"ALIBABA_CLOUD_IMDSV1_DISABLED": "TRUE"}},
        {"disable_imds_v1": True},
    ],
    ids=["variable", "variable-uppercase", "argument"],
)
def test_tokenless_reads_are_refused_when_imds_v1_is_disabled(
    options: dict[str, Any], tmp_path: Path
) -> None:
    imds = FakeImds(token_status=404)

    with pytest.raises(ServiceError) as caught:
        fake_provider(imds, tmp_path, **options).get_credentials()

    assert "ALIBABA_CLOUD_IMDSV1_DISABLED" in str(caught.value)
    assert imds.sent == [("PUT", TOKEN_PATH)]  # no tokenless read was tried


# --- switches and settings -----------------------------------------------------------------------


def test_the_disabled_variable_makes_it_unavailable_at_call_time(
    make_provider: Callable[..., EcsRamRoleProvider],
    counting: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    environ = {"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": akless_emulator.endpoint}
    provider = make_provider(environ=environ)
    provider.get_credentials()
    counting.take()

    environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    with pytest.raises(CredentialsUnavailable, match="ALIBABA_CLOUD_ECS_METADATA_DISABLED"):
        provider.get_credentials()
    assert counting.take() == []

    del environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"]
    assert provider.get_credentials().security_token


def test_the_process_environment_is_read_at_call_time(
    monkeypatch: pytest.MonkeyPatch, akless_emulator: EmulatorServer, dmi: Path
) -> None:
    # The test session starts with ALIBABA_CLOUD_ECS_METADATA_DISABLED=true.
    provider = EcsRamRoleProvider(unreachable=Unreachable(), dmi_path=dmi)
    with pytest.raises(CredentialsUnavailable, match="DISABLED"):
        provider.get_credentials()

    monkeypatch.delenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", akless_emulator.endpoint)
    provider = EcsRamRoleProvider(unreachable=Unreachable(), dmi_path=dmi)

    assert provider.endpoint == akless_emulator.endpoint
    assert provider.get_credentials().provider_name == "ecs_ram_role"


def test_the_endpoint_comes_from_the_endpoint_variable(akless_emulator: EmulatorServer) -> None:
    environ = {"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": akless_emulator.endpoint}

    assert EcsRamRoleProvider(environ=environ).endpoint == akless_emulator.endpoint
    assert EcsRamRoleProvider(environ={}).endpoint == DEFAULT_ENDPOINT


def test_no_role_attached_is_unavailable_and_says_so(
    make_provider: Callable[..., EcsRamRoleProvider], akless_emulator: EmulatorServer
) -> None:
    akless_emulator.cloud.set_instance_role(None)

    with pytest.raises(CredentialsUnavailable, match="no RAM role is attached") as caught:
        make_provider().get_credentials()

    assert caught.value.provider == "ecs_ram_role"


# --- off the cloud ------------------------------------------------------------------------------


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A loopback port that accepts connections (the kernel completes them) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        host, port = server.getsockname()
        yield f"http://{host}:{port}"


@pytest.fixture(params=["silent-socket", "emulator-hang"])
def unanswering_endpoint(
    request: pytest.FixtureRequest, akless_emulator: EmulatorServer
) -> Iterator[str]:
    if request.param == "silent-socket":
        yield request.getfixturevalue("silent_endpoint")
    else:
        akless_emulator.cloud.faults.add(Fault(service="metadata", down="hang"))
        yield akless_emulator.endpoint


def test_off_cloud_a_silent_endpoint_costs_one_second_once_per_process(
    unanswering_endpoint: str, counting: CountingTransport, dmi: Path
) -> None:
    memory = Unreachable()  # stands in for the process-wide NOT_ON_ECS
    environ = {"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": unanswering_endpoint}
    first = EcsRamRoleProvider(environ=environ, transport=counting, unreachable=memory)

    started = time.perf_counter()
    with pytest.raises(CredentialsUnavailable, match="no instance metadata service answered"):
        first.get_credentials()
    first_cost = time.perf_counter() - started

    assert first_cost < 1.6
    assert counting.take() == [("PUT", TOKEN_PATH)]  # one attempt, no retry

    second = EcsRamRoleProvider(
        environ=environ, transport=counting, unreachable=memory, dmi_path=dmi
    )
    started = time.perf_counter()
    for provider in (second, first):
        with pytest.raises(CredentialsUnavailable, match="not on ECS"):
            provider.get_credentials()
    later_cost = time.perf_counter() - started

    assert later_cost < 0.010
    assert counting.take() == []


def test_a_refused_connection_is_remembered_as_absent_too(
    counting: CountingTransport, dmi: Path
) -> None:
    memory = Unreachable()
    # The test session's dead port: nothing listens, the connection is refused at once.
    environ = {"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": "http://127.0.0.1:9"}

    for _ in range(3):
        provider = EcsRamRoleProvider(
            environ=environ, transport=counting, unreachable=memory, dmi_path=dmi
        )
        with pytest.raises(CredentialsUnavailable):
            provider.get_credentials()

    assert counting.take() == [("PUT", TOKEN_PATH)]
    assert memory.why("http://127.0.0.1:9") is not None


class NoNetwork(FakeTransport):
    """A transport that must not be used: any request fails the test."""

    def __init__(self) -> None:
        super().__init__(self.refuse)

    @staticmethod
    def refuse(request: Request) -> Response:
        raise AssertionError(f"no request was expected, but {request.method} {request.url}")


def test_a_dmi_vendor_other_than_alibaba_skips_the_default_endpoint_without_a_request(
    dmi: Path,
) -> None:
    dmi.write_text("QEMU\n")
    transport = NoNetwork()
    memory = Unreachable()
    provider = EcsRamRoleProvider(environ={}, transport=transport, unreachable=memory, dmi_path=dmi)
    assert provider.endpoint == DEFAULT_ENDPOINT

    started = time.perf_counter()
    with pytest.raises(CredentialsUnavailable, match="QEMU"):
        provider.get_credentials()
    cost = time.perf_counter() - started

    assert cost < 0.050
    assert transport.requests == []
    assert memory.why(DEFAULT_ENDPOINT) is not None  # later providers skip it at once


@pytest.mark.parametrize(
    "vendor", ["Alibaba Cloud\n", None], ids=["alibaba-cloud", "dmi-unreadable"]
)
def test_on_alibaba_hardware_or_without_dmi_the_default_endpoint_is_tried(
    vendor: str | None, dmi: Path
) -> None:
    if vendor is not None:
        dmi.write_text(vendor)
    imds = FakeImds()
    provider = EcsRamRoleProvider(
        environ={}, transport=imds.transport, unreachable=Unreachable(), dmi_path=dmi
    )

    credentials = provider.get_credentials()

    assert credentials.security_token == "fake-instance-token"
    assert next(r.url for r in imds.transport.requests) == f"{DEFAULT_ENDPOINT}{TOKEN_PATH}"


def test_a_dmi_path_that_is_a_directory_counts_as_unreadable(tmp_path: Path) -> None:
    imds = FakeImds()
    provider = EcsRamRoleProvider(
        environ={}, transport=imds.transport, unreachable=Unreachable(), dmi_path=tmp_path
    )

    assert provider.get_credentials().security_token
    assert imds.transport.requests


def test_the_dmi_vendor_is_not_consulted_for_an_explicit_endpoint(dmi: Path) -> None:
    dmi.write_text("QEMU\n")
    imds = FakeImds()

    credentials = fake_provider(imds, dmi.parent, dmi_path=dmi).get_credentials()

    assert credentials.security_token == "fake-instance-token"


def test_an_endpoint_that_answered_once_is_not_written_off_by_a_later_outage(
    make_provider: Callable[..., EcsRamRoleProvider],
    akless_emulator: EmulatorServer,
) -> None:
    memory = Unreachable()
    provider = make_provider(unreachable=memory)
    provider.get_credentials()
    akless_emulator.cloud.faults.add(Fault(service="metadata", down="refuse"))
    provider._refresher.invalidate()

    with pytest.raises(TransportError) as caught:
        provider.get_credentials()

    assert not isinstance(caught.value, CredentialsUnavailable)
    assert memory.why(provider.endpoint) is None


def test_an_answered_token_request_means_on_ecs_even_if_the_next_read_fails(
    akless_emulator: EmulatorServer, counting: CountingTransport, dmi: Path
) -> None:
    # The token is issued, then the service stops answering (rate-limited, restarting): that
    # is an outage of a service that exists, not "not on ECS" for the rest of the process.
    class DropAfterToken:
        def send(self, request: Request) -> Response:
            response = counting.send(request)
            if request.method == "PUT":
                akless_emulator.cloud.faults.add(Fault(service="metadata", down="refuse"))
            return response

    memory = Unreachable()
    provider = EcsRamRoleProvider(
        environ={"ALIBABA_CLOUD_ECS_METADATA_ENDPOINT": akless_emulator.endpoint},
        transport=DropAfterToken(),
        unreachable=memory,
        dmi_path=dmi,
    )

    with pytest.raises(TransportError) as caught:
        provider.get_credentials()

    assert not isinstance(caught.value, CredentialsUnavailable)
    assert memory.why(provider.endpoint) is None
    akless_emulator.cloud.faults.clear()
    assert provider.get_credentials().security_token


def test_constructing_providers_starts_no_thread_and_sends_nothing(dmi: Path) -> None:
    transport = NoNetwork()
    before = threading.active_count()

    providers = [
        EcsRamRoleProvider(environ={}, transport=transport, unreachable=Unreachable())
        for _ in range(10)
    ]

    assert threading.active_count() == before  # the official library starts one per provider
    assert transport.requests == []
    assert len(providers) == 10


# --- outages and rotation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [Fault(service="metadata", status=503), Fault(service="metadata", down="refuse")],
    ids=["503", "refused"],
)
def test_a_metadata_outage_through_the_refresh_windows_fails_no_call_while_valid(
    fault: Fault,
    make_provider: Callable[..., EcsRamRoleProvider],
    counting: CountingTransport,
    akless_emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = make_provider()
    first = provider.get_credentials()
    assert first.expiration is not None
    counting.take()
    akless_emulator.cloud.faults.add(fault)

    served: list[Credentials] = []
    with caplog.at_level(logging.DEBUG, logger="akless"):
        # Past the advisory point (15 min before expiry), then the mandatory one (5 min), then
        # the last seconds: every call gets the still-valid credential.
        for before_expiry in (14 * 60, 10 * 60, 4 * 60, 60, 5):
            advance_to(akless_emulator, first.expiration - before_expiry)
            served += [provider.get_credentials() for _ in range(20)]

    assert all(credentials is first for credentials in served)
    failed = counting.take()
    assert 1 <= len(failed) <= 5  # failures are retried after a delay, not on every call
    assert [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert first.access_key_secret not in caplog.text
    assert first.security_token is not None
    assert first.security_token not in caplog.text

    advance_to(akless_emulator, first.expiration + 1)
    with pytest.raises(CredentialsRefreshError, match="ecs_ram_role") as caught:
        provider.get_credentials()
    assert caught.value.provider == "ecs_ram_role"


def test_the_rotated_credential_is_picked_up_after_the_advisory_point(
    make_provider: Callable[..., EcsRamRoleProvider],
    counting: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    # A 24-second credential would leave the emulator's rotation point (2 s before expiry)
    # within the rounding of Expiration to whole seconds; 240 s keeps the real proportions
    # (rotated 20 s before expiry, the advisory point 48 s before) with room for it.
    cloud = akless_emulator.cloud
    cloud.set_credential_lifetime(240)
    read = ("GET", role_path(cloud.identity.instance_role))
    provider = make_provider()
    first = provider.get_credentials()
    assert first.expiration is not None
    counting.take()

    advance_to(akless_emulator, first.expiration - 100)  # before the advisory point: cached
    assert provider.get_credentials() is first
    assert counting.take() == []

    # Past the advisory point, before the service rotates: it hands back the same credential,
    # once; the provider does not ask again on every call.
    advance_to(akless_emulator, first.expiration - 30)
    assert all(provider.get_credentials().access_key_id == first.access_key_id for _ in range(20))
    assert counting.take() == [read]

    advance_to(akless_emulator, first.expiration - 5)  # the service has rotated
    rotated = provider.get_credentials()

    assert rotated.access_key_id != first.access_key_id
    assert rotated.expiration is not None
    assert rotated.expiration > first.expiration
    assert counting.take() == [read]


def test_async_callers_get_the_same_credential_with_the_same_request_budget(
    make_provider: Callable[..., EcsRamRoleProvider], counting: CountingTransport
) -> None:
    import asyncio

    provider = make_provider()

    async def many() -> list[Credentials]:
        return list(await asyncio.gather(*(provider.get_credentials_async() for _ in range(20))))

    results = asyncio.run(many())

    assert len({id(credentials) for credentials in results}) == 1
    assert len(counting.take()) == 3
