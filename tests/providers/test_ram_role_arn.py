"""``RamRoleArnProvider``: STS AssumeRole with the credentials of any other provider, against
the emulator. Role chains, the settings and their variables, the STS endpoint, and how STS
failures surface: one request per attempt, bounded in time, never a hidden retry loop."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from akless.emulator import EmulatorServer, Fault
from akless.errors import (
    ConfigurationError,
    CredentialsUnavailable,
    ServiceError,
    TransportTimeout,
)
from akless.providers.environment import EnvironmentProvider
from akless.providers.ram_role_arn import RamRoleArnProvider
from akless.providers.static import StaticAKProvider
from akless.sts import StsClient
from akless.transport import FakeTransport, HttpTransport, Request, Response, Timeout

SESSION_POLICY = json.dumps(
    {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}],
    }
)


class CountingTransport:
    """The real transport, recording every request it sends."""

    def __init__(self) -> None:
        self._inner = HttpTransport(environ={})
        self.requests: list[Request] = []

    def send(self, request: Request) -> Response:
        self.requests.append(request)
        return self._inner.send(request)

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def transport() -> Iterator[CountingTransport]:
    counting = CountingTransport()
    yield counting
    counting.close()


@pytest.fixture
def make_provider(
    akless_emulator: EmulatorServer, transport: CountingTransport
) -> Callable[..., RamRoleArnProvider]:
    """A provider assuming the emulator's default role with its default user's AccessKey."""
    identity = akless_emulator.cloud.identity

    def make(source: Any = None, **options: Any) -> RamRoleArnProvider:
        settings: dict[str, Any] = {
            "role_arn": identity.role_arn,
            "sts_endpoint": akless_emulator.endpoint,
            "transport": transport,
            "environ": {},
        }
        if source is None:
            settings["access_key_id"] = identity.access_key_id
            settings["access_key_secret"] = identity.access_key_secret
        settings.update(options)
        return RamRoleArnProvider(source, **settings)

    return make


def assume_role_params(emulator: EmulatorServer) -> dict[str, str]:
    (call,) = [c for c in emulator.cloud.store.calls() if c.action == "AssumeRole"]
    return call.params


# --- what it returns ----------------------------------------------------------------------------


def test_it_returns_the_role_credential_which_works(
    make_provider: Callable[..., RamRoleArnProvider], akless_emulator: EmulatorServer
) -> None:
    provider = make_provider()

    credentials = provider.get_credentials()

    assert credentials.access_key_id.startswith("STS.")
    assert credentials.security_token
    assert credentials.expiration == pytest.approx(time.time() + 3600, abs=10)
    assert credentials.provider_name == "ram_role_arn/static_ak"
    assert provider.get_provider_name() == "ram_role_arn"
    caller = StsClient(akless_emulator.endpoint).get_caller_identity(credentials)
    assert caller.identity_type == "AssumedRoleUser"
    assert caller.arn.startswith(
        akless_emulator.cloud.identity.role_arn.replace(":role/", ":assumed-role/")
    )


def test_the_credential_is_cached_until_its_advisory_point(
    make_provider: Callable[..., RamRoleArnProvider], transport: CountingTransport
) -> None:
    provider = make_provider()

    first = provider.get_credentials()

    assert all(provider.get_credentials() is first for _ in range(50))
    assert len(transport.requests) == 1


def test_a_short_session_is_used_for_minutes_not_refreshed_at_every_call(
    make_provider: Callable[..., RamRoleArnProvider],
    transport: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    cloud = akless_emulator.cloud
    provider = make_provider(duration_seconds=900, clock=cloud.now)
    first = provider.get_credentials()

    cloud.set_clock_offset(11 * 60)  # the official library would call STS on every call here
    assert provider.get_credentials() is first
    cloud.set_clock_offset(12 * 60 + 5)
    assert provider.get_credentials() is not first
    assert len(transport.requests) == 2


def test_the_default_session_name_is_akless_and_the_time(
    make_provider: Callable[..., RamRoleArnProvider], akless_emulator: EmulatorServer
) -> None:
    before = int(time.time())
    make_provider().get_credentials()

    name = assume_role_params(akless_emulator)["RoleSessionName"]
    matched = re.fullmatch(r"akless-(\d+)", name)
    assert matched is not None
    assert before - 1 <= int(matched.group(1)) <= time.time() + 1


def test_the_session_name_comes_from_its_variable(
    make_provider: Callable[..., RamRoleArnProvider], akless_emulator: EmulatorServer
) -> None:
    make_provider(environ={"ALIBABA_CLOUD_ROLE_SESSION_NAME": "ci-deploy"}).get_credentials()

    assert assume_role_params(akless_emulator)["RoleSessionName"] == "ci-deploy"


def test_an_explicit_session_name_beats_the_variable(
    make_provider: Callable[..., RamRoleArnProvider], akless_emulator: EmulatorServer
) -> None:
    make_provider(
        role_session_name="explicit", environ={"ALIBABA_CLOUD_ROLE_SESSION_NAME": "ci-deploy"}
    ).get_credentials()

    assert assume_role_params(akless_emulator)["RoleSessionName"] == "explicit"


def test_two_providers_chain_into_a_role_trusted_by_the_first_role(
    make_provider: Callable[..., RamRoleArnProvider], akless_emulator: EmulatorServer
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_role("second", trusted=[cloud.identity.role_arn])
    first = make_provider()
    second = make_provider(first, role_arn=cloud.role_arn("second"))

    credentials = second.get_credentials()

    assert credentials.provider_name == "ram_role_arn/ram_role_arn/static_ak"
    caller = StsClient(akless_emulator.endpoint).get_caller_identity(credentials)
    assert ":assumed-role/second/" in caller.arn
    assert second.source is first


def test_the_source_may_be_an_sts_credential(
    make_provider: Callable[..., RamRoleArnProvider], akless_emulator: EmulatorServer
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_role("second", trusted=[cloud.identity.role_arn])
    first = make_provider().get_credentials()

    second = make_provider(
        access_key_id=first.access_key_id,
        access_key_secret=first.access_key_secret,
        security_token=first.security_token,
        role_arn=cloud.role_arn("second"),
    )

    assert second.get_credentials().provider_name == "ram_role_arn/static_sts"


def test_the_role_arn_comes_from_its_variable(
    make_provider: Callable[..., RamRoleArnProvider], akless_emulator: EmulatorServer
) -> None:
    role_arn = akless_emulator.cloud.identity.role_arn

    provider = make_provider(role_arn=None, environ={"ALIBABA_CLOUD_ROLE_ARN": role_arn})

    assert provider.role_arn == role_arn
    assert provider.get_credentials().security_token
    assert assume_role_params(akless_emulator)["RoleArn"] == role_arn


def test_without_a_role_arn_it_is_a_configuration_error_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="ALIBABA_CLOUD_ROLE_ARN") as caught:
        RamRoleArnProvider(StaticAKProvider("LTAI5tExample01", "secret"), environ={})

    assert caught.value.source == "role_arn"


def test_policy_external_id_and_duration_are_sent(
    make_provider: Callable[..., RamRoleArnProvider], akless_emulator: EmulatorServer
) -> None:
    make_provider(
        policy=SESSION_POLICY, external_id="abcd-1234", duration_seconds=1800
    ).get_credentials()

    params = assume_role_params(akless_emulator)
    assert params["Policy"] == SESSION_POLICY
    assert params["ExternalId"] == "abcd-1234"
    assert params["DurationSeconds"] == "1800"


def test_without_policy_or_external_id_neither_is_sent(
    make_provider: Callable[..., RamRoleArnProvider], akless_emulator: EmulatorServer
) -> None:
    make_provider().get_credentials()

    params = assume_role_params(akless_emulator)
    assert "Policy" not in params
    assert "ExternalId" not in params
    assert params["DurationSeconds"] == "3600"


@pytest.mark.parametrize("seconds", [899, 0, -1, "soon", "899"])
def test_a_duration_under_900_seconds_or_not_a_number_is_a_configuration_error(
    seconds: int | str, make_provider: Callable[..., RamRoleArnProvider]
) -> None:
    with pytest.raises(ConfigurationError, match="duration") as caught:
        make_provider(duration_seconds=seconds)

    assert caught.value.source == "duration_seconds"


def test_without_any_source_credentials_it_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="source credentials"):
        RamRoleArnProvider(role_arn="acs:ram::1:role/r", environ={})


def test_half_an_access_key_is_a_configuration_error_naming_the_missing_half() -> None:
    with pytest.raises(ConfigurationError, match="access_key_secret"):
        RamRoleArnProvider(access_key_id="LTAI5tExample01", role_arn="acs:ram::1:role/r")


def test_an_unavailable_source_is_a_configuration_error_not_unavailable(
    make_provider: Callable[..., RamRoleArnProvider], transport: CountingTransport
) -> None:
    provider = make_provider(EnvironmentProvider({}))

    with pytest.raises(ConfigurationError, match="source credentials") as caught:
        provider.get_credentials()

    # The role is configured, so a chain must stop here rather than silently move on.
    assert not isinstance(caught.value, CredentialsUnavailable)
    assert isinstance(caught.value.__cause__, CredentialsUnavailable)
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in str(caught.value)
    assert transport.requests == []


def test_a_role_that_does_not_trust_the_caller_is_no_permission(
    make_provider: Callable[..., RamRoleArnProvider], akless_emulator: EmulatorServer
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_role("aloof", trusted=[cloud.user_arn("someone-else")])

    with pytest.raises(ServiceError) as caught:
        make_provider(role_arn=cloud.role_arn("aloof")).get_credentials()

    assert (caught.value.code, caught.value.status) == ("NoPermission", 403)
    assert "AssumeRole" in str(caught.value)


def test_a_role_that_does_not_exist_is_a_service_error_naming_it(
    make_provider: Callable[..., RamRoleArnProvider], akless_emulator: EmulatorServer
) -> None:
    missing = akless_emulator.cloud.role_arn("missing")

    with pytest.raises(ServiceError, match="missing") as caught:
        make_provider(role_arn=missing).get_credentials()

    assert caught.value.code == "EntityNotExist.Role"


# --- STS failures: bounded attempts, bounded time -----------------------------------------------


def test_an_sts_5xx_fails_the_first_call_fast_with_one_request(
    make_provider: Callable[..., RamRoleArnProvider],
    transport: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="sts", status=503))
    provider = make_provider()

    started = time.perf_counter()
    with pytest.raises(ServiceError) as caught:
        provider.get_credentials()
    elapsed = time.perf_counter() - started

    assert caught.value.status == 503
    assert caught.value.code == "ServiceUnavailable"
    assert elapsed < 1.0
    assert len(transport.requests) == 1  # no retry loop inside a call
    with pytest.raises(ServiceError):
        provider.get_credentials()
    assert len(transport.requests) == 2


def test_an_sts_5xx_during_the_advisory_window_keeps_the_valid_credential(
    make_provider: Callable[..., RamRoleArnProvider],
    transport: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    cloud = akless_emulator.cloud
    provider = make_provider(clock=cloud.now)
    first = provider.get_credentials()
    cloud.faults.add(Fault(service="sts", status=503))

    cloud.set_clock_offset(3600 - 10 * 60)  # advisory window of a one-hour session
    served = [provider.get_credentials() for _ in range(50)]
    cloud.set_clock_offset(3600 - 2 * 60)  # mandatory window
    served += [provider.get_credentials() for _ in range(50)]

    assert all(credentials is first for credentials in served)
    assert 2 <= len(transport.requests) <= 5  # retried after a delay, not 100 times


def test_an_sts_that_never_answers_fails_within_the_read_timeout(
    make_provider: Callable[..., RamRoleArnProvider],
    transport: CountingTransport,
    akless_emulator: EmulatorServer,
) -> None:
    akless_emulator.cloud.faults.add(Fault(service="sts", down="hang"))
    provider = make_provider(timeout=Timeout(connect=1, read=0.5))

    started = time.perf_counter()
    with pytest.raises(TransportTimeout) as caught:
        provider.get_credentials()
    elapsed = time.perf_counter() - started

    assert elapsed < 1.2
    assert len(transport.requests) == 1
    assert urlsplit(akless_emulator.endpoint).netloc in caught.value.url


# --- the STS endpoint, resolved without contacting anything --------------------------------------


def offline(**options: Any) -> tuple[RamRoleArnProvider, FakeTransport]:
    transport = FakeTransport(lambda request: pytest.fail(f"unexpected {request.url}"))
    options.setdefault("environ", {})
    provider = RamRoleArnProvider(
        StaticAKProvider("LTAI5tExample01", "secret"),
        role_arn="acs:ram::1234567890123456:role/app",
        transport=transport,
        **options,
    )
    return provider, transport


@pytest.mark.parametrize(
    ("options", "endpoint"),
    [
        ({}, "https://sts.aliyuncs.com"),
        ({"sts_region_id": "cn-shanghai"}, "https://sts.cn-shanghai.aliyuncs.com"),
        (
            {"sts_region_id": "cn-shanghai", "enable_vpc": True},
            "https://sts-vpc.cn-shanghai.aliyuncs.com",
        ),
        ({"enable_vpc": True}, "https://sts.aliyuncs.com"),  # no region: VPC alone means nothing
        (
            {"environ": {"ALIBABA_CLOUD_STS_REGION": "ap-southeast-1"}},
            "https://sts.ap-southeast-1.aliyuncs.com",
        ),
        (
            {
                "environ": {
                    "ALIBABA_CLOUD_STS_REGION": "ap-southeast-1",
                    "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true",
                }
            },
            "https://sts-vpc.ap-southeast-1.aliyuncs.com",
        ),
        (
            {"environ": {"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:8080"}},
            "http://127.0.0.1:8080",
        ),
        ({"sts_endpoint": "sts.example.test"}, "https://sts.example.test"),
        (
            {"sts_endpoint": "sts.example.test", "sts_region_id": "cn-shanghai"},
            "https://sts.example.test",
        ),
    ],
    ids=[
        "default",
        "region",
        "region-vpc",
        "vpc-without-region",
        "region-variable",
        "vpc-variable",
        "endpoint-variable",
        "host",
        "endpoint-beats-region",
    ],
)
def test_the_sts_endpoint_is_resolved_without_contacting_anything(
    options: dict[str, Any], endpoint: str
) -> None:
    provider, transport = offline(**options)

    assert provider.sts_endpoint == endpoint
    assert transport.requests == []


def test_an_invalid_sts_endpoint_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="sts_endpoint"):
        offline(sts_endpoint="ftp://sts.example.test")
