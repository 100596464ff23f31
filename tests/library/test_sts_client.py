"""``StsClient`` against the emulator (real signatures, real trust policies, real expiry), its
endpoint resolution as pure data, and its parsing of malformed answers with ``FakeTransport``."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.errors import ConfigurationError, MalformedResponse, ServiceError, TransportError
from akless.sts import AssumedRole, CallerIdentity, StsClient, resolve_sts_endpoint
from akless.transport import FakeTransport, Request, Response
from tests.conftest import DEAD_ENDPOINT


@pytest.fixture
def sts(akless_emulator: EmulatorServer) -> StsClient:
    return StsClient(akless_emulator.endpoint)


@pytest.fixture
def user(akless_emulator: EmulatorServer) -> Credentials:
    """The emulator's seeded RAM user's AccessKey."""
    identity = akless_emulator.cloud.identity
    return Credentials(identity.access_key_id, identity.access_key_secret)


# --- against the emulator -------------------------------------------------------------------


def test_get_caller_identity_names_the_ram_user(
    sts: StsClient, user: Credentials, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity

    caller = sts.get_caller_identity(user)

    assert isinstance(caller, CallerIdentity)
    assert caller.identity_type == "RAMUser"
    assert caller.account_id == identity.account_id
    assert caller.arn == f"acs:ram::{identity.account_id}:user/{identity.user_name}"
    assert caller.user_id is not None
    assert caller.role_id is None


def test_assume_role_returns_temporary_credentials_for_the_role(
    sts: StsClient, user: Credentials, akless_emulator: EmulatorServer
) -> None:
    role_arn = akless_emulator.cloud.identity.role_arn

    assumed = sts.assume_role(user, role_arn=role_arn, role_session_name="ci-job-7")

    assert isinstance(assumed, AssumedRole)
    assert assumed.arn == f"{role_arn}/ci-job-7"
    assert assumed.assumed_role_id.endswith(":ci-job-7")
    credentials = assumed.credentials
    assert credentials.access_key_id.startswith("STS.")
    assert credentials.security_token
    assert credentials.is_temporary
    assert credentials.provider_name == "ram_role_arn"
    assert credentials.expiration is not None
    assert abs(credentials.expiration - (time.time() + 3600)) < 60


def test_assume_role_honours_duration_and_provider_name(
    sts: StsClient, user: Credentials, akless_emulator: EmulatorServer
) -> None:
    assumed = sts.assume_role(
        user,
        role_arn=akless_emulator.cloud.identity.role_arn,
        role_session_name="short",
        duration_seconds=900,
        provider_name="ram_role_arn/static_ak",
    )

    assert assumed.credentials.provider_name == "ram_role_arn/static_ak"
    assert assumed.credentials.expiration is not None
    assert abs(assumed.credentials.expiration - (time.time() + 900)) < 60


def test_assumed_credentials_identify_as_the_assumed_role_user(
    sts: StsClient, user: Credentials, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    assumed = sts.assume_role(user, role_arn=identity.role_arn, role_session_name="who-am-i")

    caller = sts.get_caller_identity(assumed.credentials)

    assert caller.identity_type == "AssumedRoleUser"
    assert caller.arn == f"acs:ram::{identity.account_id}:assumed-role/akless-dev-role/who-am-i"
    assert caller.role_id is not None
    assert caller.principal_id == f"{caller.role_id}:who-am-i"


def test_assume_role_with_oidc_exchanges_a_token_for_credentials(
    sts: StsClient, akless_emulator: EmulatorServer
) -> None:
    cloud = akless_emulator.cloud

    assumed = sts.assume_role_with_oidc(
        role_arn=cloud.identity.oidc_role_arn,
        oidc_provider_arn=cloud.identity.oidc_provider_arn,
        oidc_token=cloud.mint_oidc_token(),
        role_session_name="pod-session",
    )

    assert assumed.credentials.provider_name == "oidc_role_arn"
    assert assumed.arn == f"{cloud.identity.oidc_role_arn}/pod-session"
    caller = sts.get_caller_identity(assumed.credentials)
    assert caller.arn.endswith(":assumed-role/akless-oidc-role/pod-session")


def test_a_role_that_does_not_trust_the_caller_is_a_service_error(
    sts: StsClient, user: Credentials, akless_emulator: EmulatorServer
) -> None:
    oidc_only_role = akless_emulator.cloud.identity.oidc_role_arn

    with pytest.raises(ServiceError) as caught:
        sts.assume_role(user, role_arn=oidc_only_role, role_session_name="nope")

    error = caught.value
    assert (error.code, error.status) == ("NoPermission", 403)
    assert error.request_id
    assert error.endpoint == akless_emulator.endpoint


def test_a_wrong_secret_is_a_signature_mismatch_that_reveals_nothing(
    sts: StsClient, user: Credentials, akless_emulator: EmulatorServer
) -> None:
    assumed = sts.assume_role(
        user, role_arn=akless_emulator.cloud.identity.role_arn, role_session_name="session"
    ).credentials
    wrong = Credentials(
        assumed.access_key_id,
        "wrong-secret-4f9c2e",
        security_token=assumed.security_token,
        expiration=assumed.expiration,
    )

    with pytest.raises(ServiceError) as caught:
        sts.get_caller_identity(wrong)

    error = caught.value
    assert error.code == "SignatureDoesNotMatch"
    shown = f"{error} {error!r} {error.args}"
    assert "wrong-secret-4f9c2e" not in shown
    assert assumed.access_key_secret not in shown
    assert assumed.security_token is not None
    assert assumed.security_token not in shown
    assert "[redacted]" in shown


def test_the_endpoint_can_come_from_the_environment_mapping(
    user: Credentials, akless_emulator: EmulatorServer
) -> None:
    client = StsClient(environ={"ALIBABA_CLOUD_STS_ENDPOINT": akless_emulator.endpoint})

    assert client.endpoint == akless_emulator.endpoint
    assert client.get_caller_identity(user).identity_type == "RAMUser"


def test_without_arguments_the_endpoint_comes_from_os_environ() -> None:
    assert StsClient().endpoint == DEAD_ENDPOINT  # pinned by tests/conftest.py


def test_a_dead_endpoint_fails_fast_with_a_transport_error() -> None:
    client = StsClient(DEAD_ENDPOINT)
    started = time.monotonic()

    with pytest.raises(TransportError, match="refused"):
        client.get_caller_identity(Credentials("LTAI5tExampleKeyId000000", "secret"))

    assert time.monotonic() - started < 1.0


# --- endpoint resolution (no network) -------------------------------------------------------


def test_an_explicit_endpoint_beats_everything() -> None:
    environ = {"ALIBABA_CLOUD_STS_ENDPOINT": "env.example", "ALIBABA_CLOUD_STS_REGION": "x"}

    resolved = resolve_sts_endpoint("http://127.0.0.1:8080", region="cn-hangzhou", environ=environ)

    assert resolved == "http://127.0.0.1:8080"


def test_an_explicit_host_means_https() -> None:
    assert resolve_sts_endpoint("sts.cn-shanghai.aliyuncs.com", environ={}) == (
        "https://sts.cn-shanghai.aliyuncs.com"
    )


@pytest.mark.parametrize(
    ("configured", "resolved"),
    [
        ("sts.example.test", "https://sts.example.test"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("  http://127.0.0.1:8080/ ", "http://127.0.0.1:8080"),
    ],
)
def test_the_environment_endpoint_beats_region_and_vpc(configured: str, resolved: str) -> None:
    environ = {
        "ALIBABA_CLOUD_STS_ENDPOINT": configured,
        "ALIBABA_CLOUD_STS_REGION": "cn-beijing",
        "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true",
    }

    assert resolve_sts_endpoint(region="cn-hangzhou", vpc=True, environ=environ) == resolved


def test_a_blank_environment_endpoint_is_ignored() -> None:
    environ = {"ALIBABA_CLOUD_STS_ENDPOINT": "   "}

    assert resolve_sts_endpoint(environ=environ) == "https://sts.aliyuncs.com"


def test_a_region_selects_the_regional_endpoint() -> None:
    assert resolve_sts_endpoint(region="cn-hangzhou", environ={}) == (
        "https://sts.cn-hangzhou.aliyuncs.com"
    )
    assert resolve_sts_endpoint(environ={"ALIBABA_CLOUD_STS_REGION": "ap-southeast-1"}) == (
        "https://sts.ap-southeast-1.aliyuncs.com"
    )


def test_a_region_argument_beats_the_region_variable() -> None:
    environ = {"ALIBABA_CLOUD_STS_REGION": "ap-southeast-1"}

    assert resolve_sts_endpoint(region="cn-hangzhou", environ=environ) == (
        "https://sts.cn-hangzhou.aliyuncs.com"
    )


def test_vpc_selects_the_vpc_endpoint_of_the_region() -> None:
    assert resolve_sts_endpoint(region="cn-hangzhou", vpc=True, environ={}) == (
        "https://sts-vpc.cn-hangzhou.aliyuncs.com"
    )
    environ = {
        "ALIBABA_CLOUD_STS_REGION": "cn-hangzhou",
        "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "TRUE",
    }
    assert resolve_sts_endpoint(environ=environ) == "https://sts-vpc.cn-hangzhou.aliyuncs.com"


def test_an_explicit_vpc_false_beats_the_vpc_variable() -> None:
    environ = {"ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true"}

    assert resolve_sts_endpoint(region="cn-hangzhou", vpc=False, environ=environ) == (
        "https://sts.cn-hangzhou.aliyuncs.com"
    )


def test_vpc_without_a_region_is_the_global_endpoint_as_officially() -> None:
    assert resolve_sts_endpoint(vpc=True, environ={}) == "https://sts.aliyuncs.com"


def test_with_nothing_configured_the_endpoint_is_the_global_one() -> None:
    assert resolve_sts_endpoint(environ={}) == "https://sts.aliyuncs.com"


def test_an_invalid_environment_endpoint_names_the_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_sts_endpoint(environ={"ALIBABA_CLOUD_STS_ENDPOINT": "ftp://sts.example"})

    assert caught.value.source == "ALIBABA_CLOUD_STS_ENDPOINT"


# --- malformed answers ----------------------------------------------------------------------

GOOD_CREDENTIALS = {
    "AccessKeyId": "STS.NExampleKeyId0001",
    "AccessKeySecret": "example-secret",
    "SecurityToken": "CAIS-example-token",
    "Expiration": "2030-01-02T03:04:05Z",
}


def answering(body: dict[str, Any]) -> StsClient:
    def handler(request: Request) -> Response:
        return Response(200, {}, json.dumps(body).encode(), request.url)

    return StsClient("http://sts.test", transport=FakeTransport(handler))


def assume(client: StsClient) -> AssumedRole:
    return client.assume_role(
        Credentials("LTAI5tExampleKeyId000000", "secret"),
        role_arn="acs:ram::1:role/r",
        role_session_name="s",
    )


def test_a_well_formed_answer_parses_the_expiration_as_utc() -> None:
    assumed = assume(answering({"RequestId": "R", "Credentials": GOOD_CREDENTIALS}))

    assert assumed.credentials.expiration == 1893553445.0  # 2030-01-02T03:04:05Z
    assert assumed.credentials.security_token == "CAIS-example-token"
    assert assumed.arn == ""  # AssumedRoleUser is optional


def test_an_answer_without_credentials_is_malformed() -> None:
    with pytest.raises(MalformedResponse) as caught:
        assume(answering({"RequestId": "R"}))

    assert caught.value.field == "Credentials"
    assert caught.value.endpoint == "http://sts.test"
    assert "without Credentials" in str(caught.value)


@pytest.mark.parametrize("name", ["AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"])
def test_credentials_missing_a_field_are_malformed_naming_it(name: str) -> None:
    partial = {key: value for key, value in GOOD_CREDENTIALS.items() if key != name}

    with pytest.raises(MalformedResponse) as caught:
        assume(answering({"Credentials": partial}))

    assert caught.value.field == f"Credentials.{name}"
    assert f"Credentials.{name}" in str(caught.value)


@pytest.mark.parametrize(
    "expiration", ["2030-01-02T03:04:05.123Z", "2030-01-02 03:04:05", "tomorrow", "1893553445"]
)
def test_an_expiration_not_in_the_documented_format_is_malformed(expiration: str) -> None:
    body = {"Credentials": {**GOOD_CREDENTIALS, "Expiration": expiration}}

    with pytest.raises(MalformedResponse) as caught:
        assume(answering(body))

    assert caught.value.field == "Credentials.Expiration"
    assert expiration in str(caught.value)


def test_a_malformed_answer_never_shows_the_secret_or_token() -> None:
    body = {"Credentials": {**GOOD_CREDENTIALS, "Expiration": "soon"}}

    with pytest.raises(MalformedResponse) as caught:
        assume(answering(body))

    assert "example-secret" not in str(caught.value)
    assert "CAIS-example-token" not in str(caught.value)


def test_a_caller_identity_without_an_arn_is_malformed() -> None:
    client = answering({"AccountId": "1", "IdentityType": "RAMUser"})

    with pytest.raises(MalformedResponse) as caught:
        client.get_caller_identity(Credentials("LTAI5tExampleKeyId000000", "secret"))

    assert caught.value.field == "Arn"
