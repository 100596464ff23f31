"""``akless whoami`` end to end against the emulator: every credential source the chain knows,
``--profile`` and ``--output json``, each bad case with one line and its exit code, and no secret
in any output. Then ``whoami()`` and the server time behind the clock-skew check, as a library."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from akless.cli.main import EXIT_NOT_FOUND, EXIT_OK, EXIT_REMOTE, EXIT_USAGE
from akless.credentials import Credentials
from akless.emulator import EmulatorServer
from akless.providers.static import StaticAKProvider, StaticSTSProvider
from akless.sts import StsClient
from akless.transport import FakeTransport, Request, Response
from akless.whoami import WhoAmI, identify, whoami
from tests.cli.conftest import Akless, Outcome, emulator_env

NO_METADATA = {"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}


def home() -> Path:
    return Path(os.environ["HOME"])


def write_ini(text: str, mode: int = 0o600) -> Path:
    """``~/.alibabacloud/credentials.ini`` under the test's HOME."""
    path = home() / ".alibabacloud" / "credentials.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def key_env(emulator: EmulatorServer, **extra: str | None) -> dict[str, str | None]:
    """The emulator's RAM user key in the environment, metadata step off."""
    identity = emulator.cloud.identity
    keys = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": identity.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": identity.access_key_secret,
    }
    return emulator_env(emulator.endpoint, **{**keys, **NO_METADATA, **extra})


def assumed(role_arn: str) -> str:
    """The ARN GetCallerIdentity gives a session of ``role_arn``, up to the session name."""
    return role_arn.replace(":role/", ":assumed-role/") + "/"


def assert_clean(outcome: Outcome, *secrets: str) -> None:
    """No traceback, and none of ``secrets`` anywhere in what was printed."""
    assert "Traceback" not in outcome.err
    for secret in secrets:
        assert secret not in outcome.out
        assert secret not in outcome.err


def one_line_error(outcome: Outcome) -> str:
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("akless: ")
    assert outcome.out == ""
    return lines[0]


# --- who the credential is ------------------------------------------------------------------


def test_environment_keys_text_view(akless: Akless, akless_emulator: EmulatorServer) -> None:
    identity = akless_emulator.cloud.identity

    outcome = akless("whoami", env=key_env(akless_emulator))

    assert outcome.code == EXIT_OK, outcome.err
    text = outcome.out
    assert f"acs:ram::{identity.account_id}:user/{identity.user_name}" in text  # not an emoji
    assert identity.account_id in text
    assert "RAMUser" in text
    assert "default/env" in text
    assert f"LTAI****{identity.access_key_id[-4:]}" in text
    assert "long-term AccessKey" in text
    assert_clean(outcome, identity.access_key_secret, identity.access_key_id)


def test_environment_keys_json(akless: Akless, akless_emulator: EmulatorServer) -> None:
    identity = akless_emulator.cloud.identity

    outcome = akless("whoami", "--output", "json", env=key_env(akless_emulator))

    assert outcome.code == EXIT_OK, outcome.err
    data = json.loads(outcome.out)
    assert data == {
        "account_id": identity.account_id,
        "arn": f"acs:ram::{identity.account_id}:user/{identity.user_name}",
        "identity_type": "RAMUser",
        "principal_id": data["principal_id"],
        "provider_name": "default/env",
        "access_key_id": f"LTAI****{identity.access_key_id[-4:]}",
        "temporary": False,
        "expiration": None,
        "expires_in_seconds": None,
    }
    assert data["principal_id"]
    assert_clean(outcome, identity.access_key_secret, identity.access_key_id)


def test_an_ini_profile_in_the_default_chain(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    write_ini(
        "[default]\ntype = access_key\n"
        f"access_key_id = {identity.access_key_id}\n"
        f"access_key_secret = {identity.access_key_secret}\n"
    )

    outcome = akless(
        "whoami", "-o", "json", env=emulator_env(akless_emulator.endpoint, **NO_METADATA)
    )

    assert outcome.code == EXIT_OK, outcome.err
    data = json.loads(outcome.out)
    assert data["provider_name"] == "default/profile/static_ak"
    assert data["identity_type"] == "RAMUser"
    assert_clean(outcome, identity.access_key_secret)


def test_profile_option_assumes_the_profiles_role(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    identity = akless_emulator.cloud.identity
    write_ini(
        "[default]\ntype = access_key\n"
        f"access_key_id = {identity.access_key_id}\n"
        f"access_key_secret = {identity.access_key_secret}\n"
        f"[deploy]\ntype = ram_role_arn\nsource_profile = default\nrole_arn = {identity.role_arn}\n"
        "role_session_name = whoami-test\n"
    )
    # The environment keys would win in the default chain; --profile skips the chain.
    env = key_env(akless_emulator, ALIBABA_CLOUD_ACCESS_KEY_SECRET="not-used-with-a-profile")

    outcome = akless("whoami", "--profile", "deploy", "-o", "json", env=env)

    assert outcome.code == EXIT_OK, outcome.err
    data = json.loads(outcome.out)
    assert data["provider_name"] == "profile/ram_role_arn/static_ak"
    assert data["identity_type"] == "AssumedRoleUser"
    assert data["arn"] == f"{assumed(identity.role_arn)}whoami-test"
    assert data["temporary"] is True
    assert data["access_key_id"].startswith("STS.****")
    assert data["expiration"].endswith("Z")
    assert 3000 < data["expires_in_seconds"] <= 3600
    assert_clean(outcome, identity.access_key_secret)


def test_the_ecs_instance_role(akless: Akless, akless_emulator: EmulatorServer) -> None:
    identity = akless_emulator.cloud.identity

    outcome = akless("whoami", env=emulator_env(akless_emulator.endpoint))

    assert outcome.code == EXIT_OK, outcome.err
    assert "default/ecs_ram_role" in outcome.out
    assert "AssumedRoleUser" in outcome.out
    assert assumed(identity.instance_role_arn) in outcome.out
    assert "temporary (STS)" in outcome.out
    assert_clean(outcome)


def test_rrsa_oidc_variables(
    akless: Akless, akless_emulator: EmulatorServer, tmp_path: Path
) -> None:
    cloud = akless_emulator.cloud
    token = cloud.mint_oidc_token()
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    env = emulator_env(
        akless_emulator.endpoint,
        ALIBABA_CLOUD_ROLE_ARN=cloud.identity.oidc_role_arn,
        ALIBABA_CLOUD_OIDC_PROVIDER_ARN=cloud.identity.oidc_provider_arn,
        ALIBABA_CLOUD_OIDC_TOKEN_FILE=str(token_file),
        **NO_METADATA,
    )

    outcome = akless("whoami", "-o", "json", env=env)

    assert outcome.code == EXIT_OK, outcome.err
    data = json.loads(outcome.out)
    assert data["provider_name"] == "default/oidc_role_arn"
    assert data["arn"].startswith(assumed(cloud.identity.oidc_role_arn))
    assert data["temporary"] is True
    assert_clean(outcome, token)


# --- bad cases: one line, the documented code, no secret --------------------------------------


def test_no_credentials_exits_1_listing_every_step(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    outcome = akless("whoami", env=emulator_env(akless_emulator.endpoint, **NO_METADATA))

    assert outcome.code == EXIT_NOT_FOUND
    assert outcome.out == ""
    assert outcome.err.startswith("akless: no credentials found")
    for step in ("env", "oidc_role_arn", "cli_profile", "profile", "ecs_ram_role"):
        assert f". {step}: " in outcome.err
    assert_clean(outcome)


def test_unknown_profile_exits_2(akless: Akless, akless_emulator: EmulatorServer) -> None:
    outcome = akless("whoami", "--profile", "nope", env=key_env(akless_emulator))

    assert outcome.code == EXIT_USAGE
    assert "no profile named 'nope'" in one_line_error(outcome)
    assert_clean(outcome, akless_emulator.cloud.identity.access_key_secret)


@pytest.mark.parametrize("profile", [None, "default"])
def test_malformed_profile_file_exits_2(
    akless: Akless, akless_emulator: EmulatorServer, profile: str | None
) -> None:
    path = write_ini("access_key_secret = planted-secret-value\n[default\n")
    args = ["whoami"] + (["--profile", profile] if profile else [])

    outcome = akless(*args, env=emulator_env(akless_emulator.endpoint, **NO_METADATA))

    assert outcome.code == EXIT_USAGE
    assert str(path) in one_line_error(outcome)
    assert_clean(outcome, "planted-secret-value")


def test_sts_unreachable_exits_3_naming_the_endpoint(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    outcome = akless("whoami", "--sts-endpoint", "http://127.0.0.1:9", env=key_env(akless_emulator))

    assert outcome.code == EXIT_REMOTE
    assert "http://127.0.0.1:9" in one_line_error(outcome)
    assert_clean(outcome, akless_emulator.cloud.identity.access_key_secret)


def test_wrong_secret_exits_3_without_the_secret(
    akless: Akless, akless_emulator: EmulatorServer
) -> None:
    planted = "Wr0ngS3cretPlantedByTheTest"

    outcome = akless(
        "whoami", env=key_env(akless_emulator, ALIBABA_CLOUD_ACCESS_KEY_SECRET=planted)
    )

    assert outcome.code == EXIT_REMOTE
    assert "SignatureDoesNotMatch" in one_line_error(outcome)
    assert_clean(outcome, planted, akless_emulator.cloud.identity.access_key_id)


def test_a_security_token_never_shows(akless: Akless, akless_emulator: EmulatorServer) -> None:
    cloud = akless_emulator.cloud
    user = Credentials(cloud.identity.access_key_id, cloud.identity.access_key_secret)
    session = (
        StsClient(akless_emulator.endpoint)
        .assume_role(user, role_arn=cloud.identity.role_arn, role_session_name="env-sts")
        .credentials
    )
    assert session.security_token is not None
    env = key_env(
        akless_emulator,
        ALIBABA_CLOUD_ACCESS_KEY_ID=session.access_key_id,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=session.access_key_secret,
        ALIBABA_CLOUD_SECURITY_TOKEN=session.security_token,
    )

    for output in ("text", "json"):
        outcome = akless("whoami", "-o", output, env=env)
        assert outcome.code == EXIT_OK, outcome.err
        assert "env-sts" in outcome.out
        assert_clean(outcome, session.access_key_secret, session.security_token)


# --- the library ----------------------------------------------------------------------------


def test_whoami_returns_a_frozen_result_without_secrets(akless_emulator: EmulatorServer) -> None:
    identity = akless_emulator.cloud.identity
    provider = StaticAKProvider(identity.access_key_id, identity.access_key_secret)

    result = whoami(provider, environ={"ALIBABA_CLOUD_STS_ENDPOINT": akless_emulator.endpoint})

    assert isinstance(result, WhoAmI)
    assert result.provider_name == "static_ak"
    assert result.access_key_id == f"LTAI****{identity.access_key_id[-4:]}"
    assert result.temporary is False
    assert (result.expiration, result.expires_in_seconds) == (None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.arn = "changed"  # type: ignore[misc]
    assert identity.access_key_secret not in repr(result)


def identity_answer(date: str | None) -> FakeTransport:
    body = {
        "RequestId": "r-1",
        "AccountId": "1234567890",
        "Arn": "acs:ram::1234567890:assumed-role/app/s",
        "IdentityType": "AssumedRoleUser",
        "PrincipalId": "300:s",
        "RoleId": "300",
    }
    headers = {"content-type": "application/json"} | ({"date": date} if date else {})

    def answer(request: Request) -> Response:
        return Response(200, headers, json.dumps(body).encode())

    return FakeTransport(answer)


def test_whoami_counts_the_expiry_on_the_given_clock() -> None:
    now = 1_700_000_000.0
    provider = StaticSTSProvider("STS.abcdefgh12345678", "secret", "token", expiration=now + 900)

    result = whoami(
        provider,
        environ={"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:9"},
        transport=identity_answer(None),
        clock=lambda: now,
    )

    assert result.temporary is True
    assert result.expiration == "2023-11-14T22:28:20Z"
    assert result.expires_in_seconds == 900
    assert result.access_key_id == "STS.****5678"


@pytest.mark.parametrize(
    ("date", "skew"),
    [
        ("Tue, 14 Nov 2023 22:13:20 GMT", 0.0),
        ("Tue, 14 Nov 2023 22:11:20 GMT", 120.0),  # the server is 2 minutes behind
        ("Tue, 14 Nov 2023 22:15:20 -0000", -120.0),  # no zone: taken as UTC
        ("not a date", None),
        (None, None),
    ],
)
def test_the_servers_date_gives_the_clock_skew(date: str | None, skew: float | None) -> None:
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    credentials = Credentials("LTAI5tExample0000", "secret")
    sts = StsClient("http://127.0.0.1:9", transport=identity_answer(date))

    caller = sts.get_caller_identity(credentials)
    identified = identify(
        credentials,
        environ={"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:9"},
        transport=identity_answer(date),
        clock=lambda: now,
    )

    assert caller.server_time == (None if skew is None else now - skew)
    assert identified.clock_skew == skew
