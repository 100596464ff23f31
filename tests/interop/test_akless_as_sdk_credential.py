"""``akless.Client`` as the ``credential`` of an official SDK V2.0 client.

``alibabacloud_sts20150401`` (on ``alibabacloud_tea_openapi``) calls ``get_credential()`` before
every request and signs with what it gets: ACS3-HMAC-SHA256 by default, RPC HMAC-SHA1 with
``signature_algorithm='v2'``. Every kind of akless credential (static AccessKey, RAM role,
ECS instance role, RRSA/OIDC, the default chain) must make ``GetCallerIdentity`` succeed against
the emulator with both, as the right principal, and the SDK must send our ``provider_name`` in
its ``x-acs-credentials-provider`` header. The emulator does not record request headers, so the
SDK's own send function is wrapped to see them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.models import Config as SdkConfig
from darabonba.core import DaraCore

from akless import Client, Config
from akless.emulator import EmulatorServer
from akless.providers.ecs_ram_role import NOT_ON_ECS

SIGNATURES = [pytest.param(None, id="v3"), pytest.param("v2", id="v2")]
"""``Config.signature_algorithm``: unset is ACS3-HMAC-SHA256 (V3), ``'v2'`` is RPC HMAC-SHA1."""
PROVIDER_HEADER = "x-acs-credentials-provider"


@pytest.fixture(autouse=True)
def _forget_unreachable_metadata() -> Iterator[None]:
    NOT_ON_ECS.forget()
    yield
    NOT_ON_ECS.forget()


@pytest.fixture
def sent_headers(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """The headers of every request the SDK sends, in order."""
    sent: list[dict[str, str]] = []
    send = DaraCore.do_action

    def recording(request: Any, runtime_option: Any = None) -> Any:
        sent.append(dict(request.headers))
        return send(request, runtime_option)

    monkeypatch.setattr(DaraCore, "do_action", staticmethod(recording))
    return sent


def sts_sdk(emulator: EmulatorServer, signature_algorithm: str | None, credential: Client) -> Any:
    return StsClient(
        SdkConfig(
            credential=credential,
            endpoint=emulator.endpoint.split("://", 1)[1],
            protocol="http",
            signature_algorithm=signature_algorithm,
        )
    )


def assumed_role_arn(emulator: EmulatorServer, role_name: str, session_name: str) -> str:
    return f"acs:ram::{emulator.cloud.account_id}:assumed-role/{role_name}/{session_name}"


@dataclass
class Expected:
    """Who the emulator must see, and the provider name the SDK must send."""

    arn: str
    provider_name: str


Setup = Callable[[EmulatorServer, pytest.MonkeyPatch, Path], tuple[Client, Expected]]


def static_access_key(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Client, Expected]:
    identity = emulator.cloud.identity
    client = Client(
        Config(
            type="access_key",
            access_key_id=identity.access_key_id,
            access_key_secret=identity.access_key_secret,
        )
    )
    return client, Expected(emulator.cloud.user_arn(identity.user_name), "static_ak")


def ram_role(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Client, Expected]:
    identity = emulator.cloud.identity
    client = Client(
        Config(
            type="ram_role_arn",
            access_key_id=identity.access_key_id,
            access_key_secret=identity.access_key_secret,
            role_arn=identity.role_arn,
            role_session_name="akless-interop",
            sts_endpoint=emulator.endpoint,
        )
    )
    arn = assumed_role_arn(emulator, "akless-dev-role", "akless-interop")
    return client, Expected(arn, "ram_role_arn/static_ak")


def ecs_role(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Client, Expected]:
    monkeypatch.delenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT", emulator.endpoint)
    emulator.cloud.set_hardened_only(True)
    identity = emulator.cloud.identity
    arn = assumed_role_arn(emulator, identity.instance_role, identity.instance_id)
    return Client(Config(type="ecs_ram_role")), Expected(arn, "ecs_ram_role")


def _oidc_token_file(emulator: EmulatorServer, tmp_path: Path) -> Path:
    token_file = tmp_path / "token"
    token_file.write_text(emulator.cloud.mint_oidc_token() + "\n")
    return token_file


def oidc_role(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Client, Expected]:
    identity = emulator.cloud.identity
    client = Client(
        Config(
            type="oidc_role_arn",
            role_arn=identity.oidc_role_arn,
            oidc_provider_arn=identity.oidc_provider_arn,
            oidc_token_file_path=str(_oidc_token_file(emulator, tmp_path)),
            role_session_name="akless-rrsa",
            sts_endpoint=emulator.endpoint,
        )
    )
    arn = assumed_role_arn(emulator, "akless-oidc-role", "akless-rrsa")
    return client, Expected(arn, "oidc_role_arn")


def default_chain_environment(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Client, Expected]:
    identity = emulator.cloud.identity
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", identity.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", identity.access_key_secret)
    return Client(), Expected(emulator.cloud.user_arn(identity.user_name), "default/env")


def default_chain_rrsa(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Client, Expected]:
    identity = emulator.cloud.identity
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", str(_oidc_token_file(emulator, tmp_path)))
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_ARN", identity.oidc_role_arn)
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", identity.oidc_provider_arn)
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_SESSION_NAME", "akless-pod")
    monkeypatch.setenv("ALIBABA_CLOUD_STS_ENDPOINT", emulator.endpoint)
    arn = assumed_role_arn(emulator, "akless-oidc-role", "akless-pod")
    return Client(), Expected(arn, "default/oidc_role_arn")


def default_chain_ecs(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Client, Expected]:
    _, expected = ecs_role(emulator, monkeypatch, tmp_path)
    return Client(), Expected(expected.arn, "default/ecs_ram_role")


CREDENTIALS = [
    pytest.param(static_access_key, id="static-ak"),
    pytest.param(ram_role, id="ram-role"),
    pytest.param(ecs_role, id="ecs-role"),
    pytest.param(oidc_role, id="oidc"),
    pytest.param(default_chain_environment, id="default-env"),
    pytest.param(default_chain_rrsa, id="default-rrsa"),
    pytest.param(default_chain_ecs, id="default-ecs"),
]


@pytest.mark.parametrize("signature_algorithm", SIGNATURES)
@pytest.mark.parametrize("setup", CREDENTIALS)
def test_the_sdk_calls_get_caller_identity_with_an_akless_credential(
    setup: Setup,
    signature_algorithm: str | None,
    akless_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sent_headers: list[dict[str, str]],
) -> None:
    credential, expected = setup(akless_emulator, monkeypatch, tmp_path)
    sdk = sts_sdk(akless_emulator, signature_algorithm, credential)

    first = sdk.get_caller_identity().body
    second = sdk.get_caller_identity().body

    assert first.arn == second.arn == expected.arn
    assert first.account_id == akless_emulator.cloud.account_id
    assert [headers.get(PROVIDER_HEADER) for headers in sent_headers] == [
        expected.provider_name
    ] * 2


@pytest.mark.parametrize("setup", [pytest.param(ram_role, id="ram-role")])
def test_the_sdk_fetches_a_role_credential_once_for_many_calls(
    setup: Setup,
    akless_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sent_headers: list[dict[str, str]],
) -> None:
    credential, expected = setup(akless_emulator, monkeypatch, tmp_path)
    sdk = sts_sdk(akless_emulator, None, credential)

    for _ in range(5):
        assert sdk.get_caller_identity().body.arn == expected.arn

    actions = [call.action for call in akless_emulator.cloud.store.calls()]
    assert actions.count("AssumeRole") == 1
    assert actions.count("GetCallerIdentity") == 5


@pytest.mark.parametrize("setup", [pytest.param(oidc_role, id="oidc")])
def test_the_async_sdk_call_uses_get_credential_async(
    setup: Setup,
    akless_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    credential, expected = setup(akless_emulator, monkeypatch, tmp_path)
    sdk = sts_sdk(akless_emulator, None, credential)
    asked: list[str] = []
    original = credential.get_credential_async

    async def spy() -> Any:
        asked.append("async")
        return await original()

    monkeypatch.setattr(credential, "get_credential_async", spy)

    body = asyncio.run(sdk.get_caller_identity_async()).body

    assert body.arn == expected.arn
    assert asked == ["async"]
