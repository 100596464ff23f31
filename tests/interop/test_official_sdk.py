"""The official Alibaba Cloud Python SDKs, clients akless did not write, accept the emulator.

* ``alibabacloud_sts20150401`` (on ``alibabacloud_tea_openapi``) signs with ACS3-HMAC-SHA256 by
  default and with RPC HMAC-SHA1 when ``signature_algorithm='v2'``: every test runs both.
* ``alibabacloud_credentials`` fetches credentials from the emulator (ECS metadata, AssumeRole,
  AssumeRoleWithOIDC) and hands them to the STS client, which signs its calls with them.

Reaching the emulator: ``alibabacloud_credentials`` sets protocol ``https`` on its STS requests
with no option for plain HTTP, but Tea's ``compose_url`` drops that protocol when the host already
carries a scheme, so an ``sts_endpoint`` of ``http://127.0.0.1:PORT`` reaches the emulator
unpatched. Its metadata host has no override at all; see the ``imds_provider`` fixture.
"""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_credentials.client import Client as CredClient
from alibabacloud_credentials.models import Config as CredConfig
from alibabacloud_credentials.provider import EcsRamRoleCredentialsProvider
from alibabacloud_credentials.utils import auth_util
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config

from akless.emulator import EmulatorServer

SIGNATURES = [
    pytest.param(None, id="v3"),
    pytest.param("v2", id="v2"),
]
"""``Config.signature_algorithm``: unset is ACS3-HMAC-SHA256 (V3), ``'v2'`` is RPC HMAC-SHA1."""

ANONYMOUS_SIGNATURES = [pytest.param(None, id="v3"), pytest.param("v2", id="v2")]
"""For unsigned calls, which the bug above does not reach."""

SESSION_POLICY = json.dumps(
    {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}],
    },
    separators=(", ", ": "),
)
"""A session policy with spaces, which tea-openapi sends as ``+`` in the query string."""

CREDENTIALS_EXPIRATION = "%Y-%m-%dT%H:%M:%SZ"
"""How ``alibabacloud_credentials`` parses ``Expiration`` (no fractional seconds)."""


def _host(emulator: EmulatorServer) -> str:
    """``127.0.0.1:PORT``: what tea-openapi calls an endpoint."""
    return emulator.endpoint.split("://", 1)[1]


def _sts(
    emulator: EmulatorServer,
    signature_algorithm: str | None,
    *,
    access_key_id: str | None = None,
    access_key_secret: str | None = None,
    security_token: str | None = None,
    credential: CredClient | None = None,
) -> StsClient:
    return StsClient(
        Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            security_token=security_token,
            credential=credential,
            endpoint=_host(emulator),
            protocol="http",
            signature_algorithm=signature_algorithm,
        )
    )


def _user_sts(emulator: EmulatorServer, signature_algorithm: str | None) -> StsClient:
    identity = emulator.cloud.identity
    return _sts(
        emulator,
        signature_algorithm,
        access_key_id=identity.access_key_id,
        access_key_secret=identity.access_key_secret,
    )


def _assume_role(client: StsClient, role_arn: str, session_name: str, **fields: Any) -> Any:
    request = sts_models.AssumeRoleRequest(
        role_arn=role_arn, role_session_name=session_name, **fields
    )
    return client.assume_role(request).body


def _session_sts(
    emulator: EmulatorServer, signature_algorithm: str | None, credentials: Any
) -> StsClient:
    return _sts(
        emulator,
        signature_algorithm,
        access_key_id=credentials.access_key_id,
        access_key_secret=credentials.access_key_secret,
        security_token=credentials.security_token,
    )


def _assumed_role_arn(emulator: EmulatorServer, role_name: str, session_name: str) -> str:
    return f"acs:ram::{emulator.cloud.account_id}:assumed-role/{role_name}/{session_name}"


# --- the STS SDK with the emulator's user key ---------------------------------------------------


@pytest.mark.parametrize("signature_algorithm", SIGNATURES)
def test_get_caller_identity_names_the_ram_user(
    akless_emulator: EmulatorServer, signature_algorithm: str | None
) -> None:
    identity = akless_emulator.cloud.identity

    body = _user_sts(akless_emulator, signature_algorithm).get_caller_identity().body

    assert body.account_id == identity.account_id
    assert body.arn == f"acs:ram::{identity.account_id}:user/akless-dev"
    assert body.identity_type == "RAMUser"


@pytest.mark.parametrize("signature_algorithm", SIGNATURES)
@pytest.mark.parametrize(
    ("fields", "lifetime"),
    [
        pytest.param({}, 3600, id="defaults"),
        pytest.param({"policy": SESSION_POLICY}, 3600, id="policy-with-spaces"),
        pytest.param({"duration_seconds": 900}, 900, id="900-seconds"),
    ],
)
def test_assume_role_issues_a_session_of_the_role(
    akless_emulator: EmulatorServer,
    signature_algorithm: str | None,
    fields: dict[str, Any],
    lifetime: int,
) -> None:
    identity = akless_emulator.cloud.identity
    client = _user_sts(akless_emulator, signature_algorithm)

    body = _assume_role(client, identity.role_arn, "interop-session", **fields)

    assert body.assumed_role_user.arn == f"{identity.role_arn}/interop-session"
    assert body.credentials.access_key_id.startswith("STS.")
    assert body.credentials.access_key_secret
    assert body.credentials.security_token
    expiration = calendar.timegm(time.strptime(body.credentials.expiration, CREDENTIALS_EXPIRATION))
    assert lifetime - 5 <= expiration - akless_emulator.cloud.now() <= lifetime


@pytest.mark.parametrize("signature_algorithm", SIGNATURES)
def test_assumed_role_credentials_sign_get_caller_identity(
    akless_emulator: EmulatorServer, signature_algorithm: str | None
) -> None:
    identity = akless_emulator.cloud.identity
    user = _user_sts(akless_emulator, signature_algorithm)
    session = _assume_role(user, identity.role_arn, "interop-session").credentials

    body = _session_sts(akless_emulator, signature_algorithm, session).get_caller_identity().body

    assert body.identity_type == "AssumedRoleUser"
    assert body.account_id == identity.account_id
    assert body.arn == _assumed_role_arn(akless_emulator, "akless-dev-role", "interop-session")


@pytest.mark.parametrize("signature_algorithm", SIGNATURES)
def test_assumed_role_credentials_assume_a_role_trusting_that_role(
    akless_emulator: EmulatorServer, signature_algorithm: str | None
) -> None:
    cloud = akless_emulator.cloud
    cloud.create_role("chained", trusted=[cloud.identity.role_arn])
    chained_arn = cloud.role_arn("chained")
    user = _user_sts(akless_emulator, signature_algorithm)
    first = _assume_role(user, cloud.identity.role_arn, "first-hop").credentials

    session = _session_sts(akless_emulator, signature_algorithm, first)
    second = _assume_role(session, chained_arn, "second-hop")

    assert second.assumed_role_user.arn == f"{chained_arn}/second-hop"
    caller = _session_sts(akless_emulator, signature_algorithm, second.credentials)
    body = caller.get_caller_identity().body
    assert body.arn == _assumed_role_arn(akless_emulator, "chained", "second-hop")


# --- the gateway's refusals, as the SDK reports them ---------------------------------------------


def _wrong_secret(emulator: EmulatorServer, signature_algorithm: str | None) -> StsClient:
    identity = emulator.cloud.identity
    return _sts(
        emulator,
        signature_algorithm,
        access_key_id=identity.access_key_id,
        access_key_secret=identity.access_key_secret[::-1],
    )


def _disabled_key(emulator: EmulatorServer, signature_algorithm: str | None) -> StsClient:
    emulator.cloud.set_access_key_status(emulator.cloud.identity.access_key_id, "Inactive")
    return _user_sts(emulator, signature_algorithm)


def _unknown_key(emulator: EmulatorServer, signature_algorithm: str | None) -> StsClient:
    return _sts(
        emulator,
        signature_algorithm,
        access_key_id="LTAI5tUnknownKeyUnknownKey",
        access_key_secret=emulator.cloud.identity.access_key_secret,
    )


def _expired_session(emulator: EmulatorServer, signature_algorithm: str | None) -> StsClient:
    cloud = emulator.cloud
    cloud.set_credential_lifetime(1)
    user = _user_sts(emulator, signature_algorithm)
    session = _assume_role(user, cloud.identity.role_arn, "short-lived").credentials
    # The emulated clock, not a sleep: 2 s ahead is past the session's expiry and well within
    # the gateway's allowed clock skew for the request's own timestamp.
    cloud.set_clock_offset(2)
    return _session_sts(emulator, signature_algorithm, session)


@pytest.mark.parametrize("signature_algorithm", SIGNATURES)
@pytest.mark.parametrize(
    ("make_client", "code"),
    [
        pytest.param(_wrong_secret, "SignatureDoesNotMatch", id="wrong-secret"),
        pytest.param(_disabled_key, "InvalidAccessKeyId.Inactive", id="disabled-key"),
        pytest.param(_unknown_key, "InvalidAccessKeyId.NotFound", id="unknown-key"),
        pytest.param(_expired_session, "InvalidSecurityToken.Expired", id="expired-session"),
    ],
)
def test_refused_credentials_raise_client_exception_with_the_gateway_code(
    akless_emulator: EmulatorServer,
    signature_algorithm: str | None,
    make_client: Callable[[EmulatorServer, str | None], StsClient],
    code: str,
) -> None:
    client = make_client(akless_emulator, signature_algorithm)

    with pytest.raises(ClientException) as refused:
        client.get_caller_identity()

    assert refused.value.code == code


# --- anonymous AssumeRoleWithOIDC ----------------------------------------------------------------


@pytest.mark.parametrize("signature_algorithm", ANONYMOUS_SIGNATURES)
def test_anonymous_assume_role_with_oidc_exchanges_an_emulator_token(
    akless_emulator: EmulatorServer, signature_algorithm: str | None
) -> None:
    cloud = akless_emulator.cloud
    identity = cloud.identity
    anonymous = _sts(akless_emulator, signature_algorithm)
    with pytest.raises(ClientException) as no_credentials:
        anonymous.get_caller_identity()
    assert no_credentials.value.code == "InvalidCredentials"  # it really holds no key

    request = sts_models.AssumeRoleWithOIDCRequest(
        role_arn=identity.oidc_role_arn,
        oidcprovider_arn=identity.oidc_provider_arn,
        oidctoken=cloud.mint_oidc_token(),
        role_session_name="interop-oidc",
    )
    body = anonymous.assume_role_with_oidc(request).body

    assert body.assumed_role_user.arn == f"{identity.oidc_role_arn}/interop-oidc"
    assert body.oidctoken_info.issuer == identity.oidc_issuer
    assert body.oidctoken_info.subject == "system:serviceaccount:default:akless"
    assert body.credentials.access_key_id.startswith("STS.")


@pytest.mark.parametrize("signature_algorithm", SIGNATURES)
def test_oidc_session_credentials_sign_get_caller_identity(
    akless_emulator: EmulatorServer, signature_algorithm: str | None
) -> None:
    cloud = akless_emulator.cloud
    request = sts_models.AssumeRoleWithOIDCRequest(
        role_arn=cloud.identity.oidc_role_arn,
        oidcprovider_arn=cloud.identity.oidc_provider_arn,
        oidctoken=cloud.mint_oidc_token(),
        role_session_name="interop-oidc",
    )
    session = _sts(akless_emulator, None).assume_role_with_oidc(request).body.credentials

    body = _session_sts(akless_emulator, signature_algorithm, session).get_caller_identity().body

    assert body.identity_type == "AssumedRoleUser"
    assert body.arn == _assumed_role_arn(akless_emulator, "akless-oidc-role", "interop-oidc")


# --- alibabacloud_credentials as a client of the emulator ---------------------------------------


def _credential_sts(
    emulator: EmulatorServer, signature_algorithm: str | None, credential: CredClient
) -> StsClient:
    return _sts(emulator, signature_algorithm, credential=credential)


@pytest.mark.parametrize("signature_algorithm", SIGNATURES)
def test_access_key_credential_client_signs_for_the_sts_sdk(
    akless_emulator: EmulatorServer, signature_algorithm: str | None
) -> None:
    identity = akless_emulator.cloud.identity
    credential = CredClient(
        CredConfig(
            type="access_key",
            access_key_id=identity.access_key_id,
            access_key_secret=identity.access_key_secret,
        )
    )

    client = _credential_sts(akless_emulator, signature_algorithm, credential)
    body = client.get_caller_identity().body

    assert body.identity_type == "RAMUser"
    assert body.arn == f"acs:ram::{identity.account_id}:user/akless-dev"


@pytest.fixture
def imds_provider(
    akless_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> EcsRamRoleCredentialsProvider:
    """The official ECS RAM-role provider, reading the emulator's metadata service.

    The library reads its switches from the environment once, at import, so the module values
    are set here rather than the variables. ``Client(Config(type='ecs_ram_role'))`` always starts
    an APScheduler thread that nothing can stop; the provider's own ``async_update_enabled=False``
    is the same provider without it. Its host, ``100.100.100.200``, is a name-mangled attribute
    set in ``__init__`` with no option to change it: it is replaced on the instance.
    """
    monkeypatch.setattr(auth_util, "environment_ecs_metadata_disabled", "false")
    monkeypatch.setattr(auth_util, "environment_ecs_metadata", None)
    monkeypatch.setattr(auth_util, "environment_imds_v1_disabled", "false")
    provider = EcsRamRoleCredentialsProvider(disable_imds_v1=True, async_update_enabled=False)
    host = "_EcsRamRoleCredentialsProvider__metadata_service_host"
    assert getattr(provider, host) == "100.100.100.200"  # the library still works this way
    setattr(provider, host, _host(akless_emulator))
    return provider


@pytest.mark.parametrize("signature_algorithm", SIGNATURES)
def test_ecs_ram_role_provider_reads_the_instance_role_in_hardened_mode(
    akless_emulator: EmulatorServer,
    imds_provider: EcsRamRoleCredentialsProvider,
    signature_algorithm: str | None,
) -> None:
    cloud = akless_emulator.cloud
    cloud.set_hardened_only(True)  # only the token flow (PUT /latest/api/token) can succeed
    credential = CredClient(provider=imds_provider)

    model = credential.get_credential()

    assert model.provider_name == "ecs_ram_role"
    assert model.access_key_id.startswith("STS.")
    body = _credential_sts(akless_emulator, signature_algorithm, credential).get_caller_identity()
    assert body.body.arn == _assumed_role_arn(
        akless_emulator, "akless-instance-role", cloud.identity.instance_id
    )


@pytest.mark.parametrize("signature_algorithm", SIGNATURES)
def test_ram_role_arn_credential_assumes_the_role_through_the_emulator(
    akless_emulator: EmulatorServer, signature_algorithm: str | None
) -> None:
    identity = akless_emulator.cloud.identity
    credential = CredClient(
        CredConfig(
            type="ram_role_arn",
            access_key_id=identity.access_key_id,
            access_key_secret=identity.access_key_secret,
            role_arn=identity.role_arn,
            role_session_name="interop-ram-role-arn",
            sts_endpoint=akless_emulator.endpoint,  # a scheme: plain HTTP
        )
    )

    model = credential.get_credential()

    assert model.provider_name == "ram_role_arn/static_ak"
    assert model.access_key_id.startswith("STS.")
    body = _credential_sts(akless_emulator, signature_algorithm, credential).get_caller_identity()
    assert body.body.arn == _assumed_role_arn(
        akless_emulator, "akless-dev-role", "interop-ram-role-arn"
    )


@pytest.mark.parametrize("signature_algorithm", SIGNATURES)
def test_oidc_role_arn_credential_exchanges_a_token_file_through_the_emulator(
    akless_emulator: EmulatorServer, signature_algorithm: str | None, tmp_path: Path
) -> None:
    cloud = akless_emulator.cloud
    token_file = tmp_path / "token"
    token_file.write_text(cloud.mint_oidc_token() + "\n")  # projected tokens may end in a newline
    credential = CredClient(
        CredConfig(
            type="oidc_role_arn",
            role_arn=cloud.identity.oidc_role_arn,
            oidc_provider_arn=cloud.identity.oidc_provider_arn,
            oidc_token_file_path=str(token_file),
            role_session_name="interop-oidc-role-arn",
            sts_endpoint=akless_emulator.endpoint,  # a scheme: plain HTTP
        )
    )

    model = credential.get_credential()

    assert model.provider_name == "oidc_role_arn"
    assert model.access_key_id.startswith("STS.")
    body = _credential_sts(akless_emulator, signature_algorithm, credential).get_caller_identity()
    assert body.body.arn == _assumed_role_arn(
        akless_emulator, "akless-oidc-role", "interop-oidc-role-arn"
    )
